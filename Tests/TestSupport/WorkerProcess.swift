// Real `switchboard worker` processes for end-to-end tests.
import ChildProcess
import Foundation

/// A `switchboard worker` started as a child process, logging to a file.
public final class WorkerProcess: Sendable {
    public let name: String
    public let logPath: String
    private let child: ChildProcess

    /// Starts a worker against `redisURL` with a key prefix of its own test (and, for a
    /// `rediss://` URL, the test CA unless `extraArguments` has TLS options of its own).
    public init(redisURL: String, prefix: String, name: String, extraArguments: [String] = []) throws {
        self.name = name
        logPath = NSTemporaryDirectory() + "sb-worker-\(prefix)-\(name).log"
        // A fresh log: tests with a fixed prefix must not read an earlier run's lines.
        try? FileManager.default.removeItem(atPath: logPath)
        child = try ChildProcess(executable: BuiltProducts.switchboard,
                                 arguments: ["worker", "--redis", redisURL, "--prefix", prefix, "--name", name, "--log-level", "debug"]
                                     + (extraArguments.contains("--http") ? [] : ["--http", "off"])
                                     + (extraArguments.contains { $0.hasPrefix("--redis-tls-") } ? [] : try TestTLS.workerArguments(for: redisURL))
                                     + extraArguments,
                                 outputPath: logPath)
    }

    /// Sends SIGTERM and waits; returns the exit code, or -1 when the worker had not stopped
    /// after 30 s and was killed.
    @discardableResult
    public func stop() -> Int32 {
        child.signal(SIGTERM)
        return child.waitOrKill(after: .seconds(30)) ?? -1
    }

    /// Kills the worker at once (SIGKILL), as a crash would.
    public func kill() {
        child.signal(SIGKILL)
        child.wait()
    }

    public var isRunning: Bool { child.isRunning }

    /// Waits until the worker exits by itself; its exit code, or nil if it still runs after `limit`.
    public func waitForExit(within limit: Duration) -> Int32? { child.wait(atMost: limit) }

    /// The worker's process id.
    public var pid: pid_t { child.pid }

    /// The worker's log so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
