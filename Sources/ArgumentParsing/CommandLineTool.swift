// Entry points: `parse` (pure, for tests) and `main` (parses, prints, runs the command, returns the exit code).

import Foundation

/// Which standard stream a message belongs on.
public enum StandardStream: Sendable, Equatable {
    /// Standard output (help and version text).
    case standardOutput
    /// Standard error (usage errors).
    case standardError
}

/// The result of ``CommandLineTool/parse(_:arguments:environment:version:)``.
public enum ParseOutcome: Sendable {
    /// Parsing succeeded: `command` is the selected command (its `run` is non-nil).
    case run(command: CommandSpec, arguments: ParsedArguments)
    /// Nothing to run: print `text` (already newline-terminated) to `stream` and exit with `code`.
    case exit(code: Int32, text: String, stream: StandardStream)

    /// The parsed arguments when the outcome is ``run(command:arguments:)``.
    public var arguments: ParsedArguments? {
        if case .run(_, let arguments) = self { arguments } else { nil }
    }

    /// The exit code when the outcome is ``exit(code:text:stream:)``.
    public var exitCode: Int32? {
        if case .exit(let code, _, _) = self { code } else { nil }
    }

    /// The text to print when the outcome is ``exit(code:text:stream:)``.
    public var text: String? {
        if case .exit(_, let text, _) = self { text } else { nil }
    }
}

/// Parses a command line against a tree of ``CommandSpec``s and runs the selected command.
public enum CommandLineTool {
    /// Exit code for usage errors (`EX_USAGE` from sysexits.h).
    public static let usageErrorCode: Int32 = 64
    /// Exit code for errors other than ``ValidationError`` thrown by a command.
    public static let failureCode: Int32 = 1

    /// Parses `arguments` (the full argv, including argv[0], which is ignored in favour of `root.name`)
    /// without printing or running anything.
    ///
    /// `--help`/`-h` anywhere (before `--`) yields the help of the deepest command selected, exit 0.
    /// `--version` at the root yields `version`, exit 0 (only when `version` is non-nil).
    /// Usage errors yield `error: <sentence>` plus a `Run '<path> --help' for usage.` hint on
    /// standard error, exit 64; so does selecting a group that has no `run` action, followed by its help.
    public static func parse(
        _ root: CommandSpec,
        arguments: [String],
        environment: [String: String] = [:],
        version: String? = nil
    ) -> ParseOutcome {
        Parser(root: root, environment: environment, version: version).parse(arguments)
    }

    /// Parses, prints help/version/errors, runs the selected command and returns its exit code.
    ///
    /// A ``ValidationError`` thrown by `run` is reported like a usage error (exit 64); any other
    /// error prints `error: <error>` to standard error and returns 1.
    /// Typical use: `exit(CommandLineTool.main(root, version: "1.0.0"))`.
    public static func main(
        _ root: CommandSpec,
        arguments: [String] = CommandLine.arguments,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        version: String? = nil
    ) -> Int32 {
        main(root, arguments: arguments, environment: environment, version: version) { stream, text in
            let handle = stream == .standardOutput ? FileHandle.standardOutput : FileHandle.standardError
            handle.write(Data(text.utf8))
        }
    }

    /// Like ``main(_:arguments:environment:version:)``, but hands every message to `output`
    /// instead of writing to the standard streams (for tests of a tool's behaviour).
    public static func main(
        _ root: CommandSpec,
        arguments: [String],
        environment: [String: String],
        version: String? = nil,
        output: (StandardStream, String) -> Void
    ) -> Int32 {
        switch parse(root, arguments: arguments, environment: environment, version: version) {
        case .exit(let code, let text, let stream):
            output(stream, text)
            return code
        case .run(let command, let arguments):
            guard let action = command.run else { return usageErrorCode }
            do {
                return try action(arguments)
            } catch let error as ValidationError {
                output(.standardError, usageErrorText(error.message, path: arguments.commandPath))
                return usageErrorCode
            } catch {
                output(.standardError, "error: \(error)\n")
                return failureCode
            }
        }
    }

    /// The standard report for a usage error in the command at `path`.
    static func usageError(_ message: String, path: [String]) -> ParseOutcome {
        .exit(code: usageErrorCode, text: usageErrorText(message, path: path), stream: .standardError)
    }

    private static func usageErrorText(_ message: String, path: [String]) -> String {
        "error: \(message)\nRun '\(path.joined(separator: " ")) --help' for usage.\n"
    }
}
