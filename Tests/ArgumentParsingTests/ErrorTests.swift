// Usage errors: each one exits 64 on stderr with a clear sentence and a pointer to --help.

import ArgumentParsing
import Testing

@Suite("Errors")
struct ErrorTests {
    /// The stderr text for a usage error, recording an issue unless the outcome is exit 64 on stderr.
    private func usageError(_ words: [String], environment: [String: String] = [:]) -> String {
        let outcome = CommandLineTool.parse(Fixtures.root, arguments: ["switchboard"] + words, environment: environment)
        guard case .exit(64, let text, .standardError) = outcome else {
            Issue.record("expected a usage error for \(words), got \(outcome)")
            return ""
        }
        return text
    }

    @Test func unknownLongOption() {
        #expect(usageError(["ping", "--bogus"]) == "error: unknown option '--bogus'\nRun 'switchboard ping --help' for usage.\n")
    }

    @Test func unknownShortOption() {
        #expect(usageError(["ping", "-x"]).hasPrefix("error: unknown option '-x'\n"))
    }

    @Test func optionsAreScopedToTheirCommand() {
        #expect(usageError(["--redis", "redis://a", "ping"]).hasPrefix("error: unknown option '--redis'\nRun 'switchboard --help'"))
    }

    @Test func missingValueAtEnd() {
        #expect(usageError(["ping", "--redis"]).hasPrefix("error: missing value for option '--redis'; expected <URL>\n"))
        #expect(usageError(["ping", "-r"]).hasPrefix("error: missing value for option '--redis'"))
    }

    @Test func missingValueBeforeAnotherOption() {
        #expect(usageError(["agent", "status", "--workspace", "--wait", "1", "away"])
            .hasPrefix("error: missing value for option '--workspace'; expected <name>\n"))
    }

    @Test func flagWithValue() {
        #expect(usageError(["agent", "status", "1", "a", "--wait=yes"]).hasPrefix("error: flag '--wait' does not take a value\n"))
    }

    @Test func missingRequiredPositionals() {
        let text = usageError(["agent", "status", "42"])
        #expect(text == "error: missing required argument '<status>'\nRun 'switchboard agent status --help' for usage.\n")
        #expect(usageError(["agent", "status"]).hasPrefix("error: missing required argument '<agent>'"))
        #expect(usageError(["agent", "tag", "42"]).hasPrefix("error: missing required argument '<labels>'"))
    }

    @Test func unexpectedPositional() {
        #expect(usageError(["agent", "status", "42", "away", "extra"]).hasPrefix("error: unexpected argument 'extra'\n"))
        #expect(usageError(["ping", "now"]).hasPrefix("error: unexpected argument 'now'\n"))
    }

    @Test func unknownSubcommand() {
        let text = usageError(["agent", "stats"])
        #expect(text.hasPrefix("error: unknown subcommand 'stats' for 'switchboard agent'; expected one of: status, list, tag\n"))
        #expect(text.hasSuffix("Run 'switchboard agent --help' for usage.\n"))
        #expect(usageError(["pong"]).hasPrefix("error: unknown subcommand 'pong' for 'switchboard'"))
    }

    @Test func groupWithoutSubcommandPrintsHelpToStandardError() {
        let text = usageError(["agent"])
        #expect(text.hasPrefix("error: missing subcommand for 'switchboard agent'\n"))
        #expect(text.contains("SUBCOMMANDS:"))
        #expect(usageError([]).contains("USAGE: switchboard <subcommand>"))
    }

    @Test func unknownOptionWithInlineValueDoesNotEchoTheValue() {
        let text = usageError(["ping", "--db-password=hunter2"])
        #expect(text.hasPrefix("error: unknown option '--db-password'\n"))
        #expect(!text.contains("hunter2"))
    }

    /// Runs `root` through `main`, capturing what it would print.
    private func run(_ root: CommandSpec, _ words: String...) -> (code: Int32, output: [(StandardStream, String)]) {
        var output: [(StandardStream, String)] = []
        let code = CommandLineTool.main(root, arguments: [root.name] + words, environment: [:]) { output.append(($0, $1)) }
        return (code, output)
    }

    @Test func validationErrorsFromRunAreUsageErrors() {
        let root = CommandSpec(name: "tool", options: [Option(name: "port")]) { arguments in
            _ = try arguments.integer("port", in: 1...65535)
            return 0
        }
        let rejected = run(root, "--port", "0")
        #expect(rejected.code == 64)
        #expect(rejected.output.count == 1)
        #expect(rejected.output.first?.0 == .standardError)
        #expect(rejected.output.first?.1 == """
            error: value 0 for option '--port' is out of range; expected an integer from 1 to 65535
            Run 'tool --help' for usage.

            """)
        let accepted = run(root, "--port", "80")
        #expect(accepted.code == 0 && accepted.output.isEmpty)
        let unknown = run(root, "--nope")
        #expect(unknown.code == 64 && unknown.output.first?.1.hasPrefix("error: unknown option '--nope'") == true)
    }

    @Test func otherErrorsFromRunExitWithOne() {
        struct Boom: Error, CustomStringConvertible {
            var description: String { "the pipe burst" }
        }
        let failing = run(CommandSpec(name: "tool") { _ in throw Boom() })
        #expect(failing.code == 1)
        #expect(failing.output.first?.0 == .standardError)
        #expect(failing.output.first?.1 == "error: the pipe burst\n")
        #expect(run(CommandSpec(name: "tool") { _ in 3 }).code == 3)
    }

    @Test func mainPrintsHelpAndVersionToStandardOutput() {
        let root = CommandSpec(name: "tool", abstract: "Does things.") { _ in 0 }
        var output: [(StandardStream, String)] = []
        let code = CommandLineTool.main(root, arguments: ["tool", "--version"], environment: [:], version: "9.9") { output.append(($0, $1)) }
        #expect(code == 0)
        #expect(output.first?.0 == .standardOutput && output.first?.1 == "9.9\n")
        let help = run(root, "-h")
        #expect(help.code == 0 && help.output.first?.0 == .standardOutput)
        #expect(help.output.first?.1.contains("OVERVIEW: Does things.") == true)
    }
}
