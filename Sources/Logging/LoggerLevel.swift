// Logger.Level and Logger.Format: the severities and output formats, spelled as on the command line.

extension Logger {
    /// Severity of an event, from least to most severe; `Level(rawValue: "debug")` parses a `--log-level` value.
    public enum Level: String, Sendable, Comparable, CaseIterable {
        /// Step-by-step detail.
        case trace
        /// Diagnostic detail.
        case debug
        /// Normal events.
        case info
        /// Significant normal events.
        case notice
        /// Recovered problems.
        case warning
        /// Failed operations.
        case error
        /// The process cannot continue as intended.
        case critical

        /// Orders by severity (trace < … < critical), not by name.
        public static func < (lhs: Level, rhs: Level) -> Bool {
            lhs.severity < rhs.severity
        }

        private var severity: Int {
            switch self {
            case .trace: 0
            case .debug: 1
            case .info: 2
            case .notice: 3
            case .warning: 4
            case .error: 5
            case .critical: 6
            }
        }
    }

    /// How a line is written; `Format(rawValue:)` parses a `--log-format` value.
    public enum Format: String, Sendable, CaseIterable {
        /// `ts=… level=info label=… msg="…" key=value`, for people and `grep`.
        case logfmt
        /// One JSON object per line with the same keys, for log collectors.
        case json
    }
}
