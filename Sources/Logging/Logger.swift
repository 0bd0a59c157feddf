// Logger: the value every component holds to write structured log lines, one line per event.
// Deliberately small (a swift-log look-alike) because the package takes no dependencies.

/// Writes structured log lines (logfmt or JSON) at or above a level to a ``LogSink``.
///
/// A value type: copy it and add metadata for a component (`logger[metadataKey: "worker"] = "w1"`)
/// without affecting the original.
public struct Logger: Sendable {
    /// Extra key/value pairs written on a line, sorted by key.
    public typealias Metadata = [String: String]

    /// Names the component that logs, written as `label`.
    public var label: String
    /// Events below this level are dropped before their message is even built.
    public var logLevel: Level
    /// How lines are written.
    public var format: Format
    /// Attached to every line, e.g. `["worker": "w1"]`; per-call metadata wins on equal keys.
    public var metadata: Metadata
    /// Where lines go.
    public var sink: LogSink

    /// Creates a logger.
    public init(
        label: String,
        level: Level = .info,
        format: Format = .logfmt,
        metadata: Metadata = [:],
        sink: LogSink = .standardError
    ) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.metadata = metadata
        self.sink = sink
    }

    /// Gets or sets one key of ``metadata``.
    public subscript(metadataKey key: String) -> String? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Whether an event at `level` would be written.
    public func isEnabled(_ level: Level) -> Bool {
        level >= logLevel
    }

    /// Writes one line if `level` is at least ``logLevel``; `message` and `metadata` are evaluated only then.
    public func log(level: Level, _ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        guard isEnabled(level) else { return }
        let extra = metadata()
        let merged = extra.isEmpty ? self.metadata : self.metadata.merging(extra) { _, new in new }
        let line = LogLine(
            timestamp: LogTimestamp.now(), level: level, label: label, message: message(), metadata: merged
        )
        sink.write(line.rendered(as: format))
    }

    /// Logs at ``Level/trace``: step-by-step detail, off in production.
    public func trace(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .trace, message(), metadata: metadata())
    }

    /// Logs at ``Level/debug``: detail useful when diagnosing a problem.
    public func debug(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .debug, message(), metadata: metadata())
    }

    /// Logs at ``Level/info``: normal, noteworthy events.
    public func info(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .info, message(), metadata: metadata())
    }

    /// Logs at ``Level/notice``: normal but significant events.
    public func notice(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .notice, message(), metadata: metadata())
    }

    /// Logs at ``Level/warning``: something unexpected that the process recovers from.
    public func warning(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .warning, message(), metadata: metadata())
    }

    /// Logs at ``Level/error``: an operation failed.
    public func error(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .error, message(), metadata: metadata())
    }

    /// Logs at ``Level/critical``: the process cannot continue as intended.
    public func critical(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .critical, message(), metadata: metadata())
    }
}
