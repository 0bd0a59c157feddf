// --log-level and --log-format, for commands that log.
import ArgumentParsing
import Logging

enum LoggingOptions {
    static let options: [Option] = [
        Option(name: "log-level", valueName: "LEVEL", help: "trace, debug, info, notice, warning, error or critical.",
               environment: "SWITCHBOARD_LOG_LEVEL", defaultValue: "info"),
        Option(name: "log-format", valueName: "FORMAT", help: "logfmt or json (one line per event on stderr).",
               environment: "SWITCHBOARD_LOG_FORMAT", defaultValue: "logfmt"),
    ]

    static func logger(from arguments: ParsedArguments, label: String) throws -> Logger {
        guard let level = Logger.Level(rawValue: arguments.value("log-level") ?? "info") else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        guard let format = Logger.Format(rawValue: arguments.value("log-format") ?? "logfmt") else {
            throw ValidationError("--log-format must be logfmt or json.")
        }
        return Logger(label: label, level: level, format: format)
    }
}
