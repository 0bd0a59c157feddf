// Real `switchboard worker` processes for end-to-end tests.
import ChildProcess
import Foundation

/// A `switchboard worker` started as a child process, logging to a file.
public final class WorkerProcess: Sendable {
    public let name: String
    public let logPath: String
    private let child: ChildProcess

    /// Starts a worker against `redisURL` with a key prefix of its own test.
    public init(redisURL: String, prefix: String, name: String, extraArguments: [String] = []) throws {
        self.name = name
        logPath = NSTemporaryDirectory() + "sb-worker-\(prefix)-\(name).log"
        // A fresh log: tests with a fixed prefix must not read an earlier run's lines.
        try? FileManager.default.removeItem(atPath: logPath)
        child = try ChildProcess(executable: BuiltProducts.switchboard,
                                 arguments: ["worker", "--redis", redisURL, "--prefix", prefix, "--name", name, "--log-level", "debug"]
                                     + (extraArguments.contains("--http") ? [] : ["--http", "off"]) + extraArguments,
                                 outputPath: logPath)
    }

    /// Sends SIGTERM and waits; returns the exit code.
    @discardableResult
    public func stop() -> Int32 {
        child.signal(SIGTERM)
        return child.wait()
    }

    /// Kills the worker at once (SIGKILL), as a crash would.
    public func kill() {
        child.signal(SIGKILL)
        child.wait()
    }

    public var isRunning: Bool { child.isRunning }

    /// The worker's process id.
    public var pid: pid_t { child.pid }

    /// CPU time (user + system) the worker has used so far, in seconds, from /proc.
    public var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(child.pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based, whole line).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The worker's log so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
