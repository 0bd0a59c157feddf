// Real `switchboard worker` processes for a scenario, and waiting for the intake to settle.
import ChildProcess
import Foundation
import Redis

/// Workers started from the `switchboard` binary next to this benchmark's binary.
final class WorkerFleet {
    private var workers: [ChildProcess] = []
    let redis: BenchmarkRedis
    let prefix: String

    init(redis: BenchmarkRedis, prefix: String = "sb") {
        self.redis = redis
        self.prefix = prefix
    }

    static var switchboardBinary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("switchboard").path
    }

    func start(_ count: Int, sessionTTL: String = "3600s") throws {
        for index in 0..<count {
            workers.append(try ChildProcess(executable: Self.switchboardBinary,
                                            arguments: ["worker", "--redis", "unix://\(redis.socketPath)", "--prefix", prefix,
                                                        "--name", "bench-\(index)", "--log-level", "warning", "--session-ttl", sessionTTL, "--http", "off"],
                                            outputPath: redis.directory + "/worker-\(index).log"))
        }
    }

    func stop() {
        workers.forEach { $0.signal(SIGTERM) }
        workers.forEach { $0.wait() }
        workers.removeAll()
    }

    /// The workers' process ids, for RSS readings.
    var pids: [pid_t] { workers.map(\.pid) }

    /// Appends intake entries in pipelines of 1,000.
    func submit(_ entries: [[String]], on connection: RedisConnection) throws {
        for start in stride(from: 0, to: entries.count, by: 1_000) {
            let commands = entries[start..<min(start + 1_000, entries.count)].map { fields in
                RedisCommand("XADD", arguments: ["\(prefix):intake", "*"] + fields)
            }
            for reply in try connection.pipeline(commands) { _ = try reply.orThrow() }
        }
    }

    /// Waits until every intake entry is applied (acknowledged and trimmed).
    func settle(on connection: RedisConnection) throws {
        while true {
            let replies = try connection.pipeline([RedisCommand("XLEN", "\(prefix):intake"),
                                                   RedisCommand("XPENDING", "\(prefix):intake", "switchboard")])
            let length = replies[0].int ?? 1
            let pending = replies[1].array?.first?.int ?? 0
            if length == 0 && pending == 0 { return }
            usleep(2_000)
        }
    }
}
