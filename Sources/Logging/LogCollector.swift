// LogCollector: a thread-safe list of log lines, for tests that assert on what was logged.

import Synchronization

/// Collects the lines written through ``LogSink/collecting(into:)``; safe to use from any thread.
public final class LogCollector: Sendable {
    private let storage = Mutex<[String]>([])

    /// Creates an empty collector.
    public init() {}

    /// The lines collected so far, oldest first.
    public var lines: [String] {
        storage.withLock { $0 }
    }

    /// Appends one line.
    public func append(_ line: String) {
        storage.withLock { $0.append(line) }
    }

    /// Forgets all lines collected so far.
    public func removeAll() {
        storage.withLock { $0.removeAll() }
    }
}
