// Real `switchboard worker` processes for a scenario, and waiting for the intake to settle.
import ChildProcess
import Foundation
import Redis
import Switchboard

/// Workers started from the `switchboard` binary next to this benchmark's binary.
final class WorkerFleet {
    private var workers: [ChildProcess] = []
    let redis: BenchmarkRedis
    let prefix: String

    init(redis: BenchmarkRedis, prefix: String = "sb") {
        self.redis = redis
        self.prefix = prefix
    }

    /// How many streams the workers' intake is split into: `SWITCHBOARD_INTAKE_SHARDS`, as for
    /// `switchboard worker`, else 1.
    static let intakeShards = ProcessInfo.processInfo.environment["SWITCHBOARD_INTAKE_SHARDS"].flatMap { Int($0) }
        .map { min(max($0, 1), KeySchema.maximumIntakeShards) } ?? 1

    /// The intake stream of a workspace's entries.
    func intake(for workspace: String) -> String {
        KeySchema(prefix: prefix).intake(forWorkspace: workspace, shards: Self.intakeShards)
    }

    static var switchboardBinary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("switchboard").path
    }

    func start(_ count: Int, sessionTTL: String = "3600s") throws {
        for index in 0..<count {
            workers.append(try ChildProcess(executable: Self.switchboardBinary,
                                            arguments: ["worker", "--redis", "unix://\(redis.socketPath)", "--prefix", prefix,
                                                        "--name", "bench-\(index)", "--log-level", "warning", "--session-ttl", sessionTTL, "--http", "off",
                                                        "--intake-shards", String(Self.intakeShards)],
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

    /// Appends intake entries (`[name, value, …]`, with a `workspace`) in pipelines of 1,000.
    func submit(_ entries: [[String]], on connection: RedisConnection) throws {
        for start in stride(from: 0, to: entries.count, by: 1_000) {
            let commands = entries[start..<min(start + 1_000, entries.count)].map { fields in
                let workspace = fields.firstIndex(of: "workspace").map { fields[$0 + 1] } ?? ""
                return RedisCommand("XADD", arguments: [intake(for: workspace), "*"] + fields)
            }
            for reply in try connection.pipeline(commands) { _ = try reply.orThrow() }
        }
    }

    /// Waits until every intake entry is applied (acknowledged and trimmed), in every shard.
    func settle(on connection: RedisConnection) throws {
        let streams = KeySchema(prefix: prefix).intakeStreamsRead(shards: Self.intakeShards)
        while true {
            let replies = try connection.pipeline(streams.flatMap { [RedisCommand("XLEN", $0), RedisCommand("XPENDING", $0, "switchboard")] })
            let busy = stride(from: 0, to: replies.count, by: 2).contains { (replies[$0].int ?? 1) != 0 || (replies[$0 + 1].array?.first?.int ?? 0) != 0 }
            if !busy { return }
            usleep(2_000)
        }
    }
}
