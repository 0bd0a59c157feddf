// Real `switchboard worker` processes for a scenario, the intake entries they drain, and
// waiting for the intake to settle. The benchmark sees Switchboard only from outside:
// entries in, workers draining them, Redis's INFO.
import ChildProcess
import Foundation
import Redis
import Switchboard

/// Workers started from the `switchboard` binary next to this benchmark's binary.
final class WorkerFleet {
    private var workers: [ChildProcess] = []
    /// The workers' `--redis`: the private Redis's socket, or a cluster's seed list.
    let redisURL: String
    /// Where the workers' logs go.
    let directory: String
    let prefix: String
    /// How many streams the workers' intake is split into.
    let intakeShards: Int
    /// Commands `settle` sent since the last `drain` began, so profiles can leave them out.
    private var polls: [String: Int] = [:]

    convenience init(redis: BenchmarkRedis, prefix: String = "sb") {
        self.init(redisURL: "unix://\(redis.socketPath)", directory: redis.directory, prefix: prefix)
    }

    init(redisURL: String, directory: String, prefix: String, intakeShards: Int = WorkerFleet.configuredIntakeShards) {
        self.redisURL = redisURL
        self.directory = directory
        self.prefix = prefix
        self.intakeShards = intakeShards
    }

    /// How many streams the workers' intake is split into: `SWITCHBOARD_INTAKE_SHARDS`, as for
    /// `switchboard worker`, else 1.
    static let configuredIntakeShards = ProcessInfo.processInfo.environment["SWITCHBOARD_INTAKE_SHARDS"].flatMap { Int($0) }
        .map { min(max($0, 1), KeySchema.maximumIntakeShards) } ?? 1

    static var switchboardBinary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("switchboard").path
    }

    /// The intake stream a workspace's entries go to. The one place that decides it: every
    /// producer of the benchmark writes through here.
    func intakeKey(workspace: String) -> String {
        KeySchema(prefix: prefix).intake(forWorkspace: workspace, shards: intakeShards)
    }

    /// Every intake stream the workers read, for waiting until all are drained.
    var intakeKeys: [String] { KeySchema(prefix: prefix).intakeStreamsRead(shards: intakeShards) }

    /// Starts `count` workers; `extraArguments` go to each (e.g. `--gateway`).
    func start(_ count: Int, sessionTTL: String = "3600s", extraArguments: [String] = []) throws {
        for index in 0..<count {
            workers.append(try ChildProcess(executable: Self.switchboardBinary,
                                            arguments: ["worker", "--redis", redisURL, "--prefix", prefix,
                                                        "--name", "bench-\(index)", "--log-level", "warning", "--session-ttl", sessionTTL, "--http", "off",
                                                        "--intake-shards", String(intakeShards)] + extraArguments,
                                            outputPath: directory + "/worker-\(index).log"))
        }
    }

    func stop() {
        workers.forEach { $0.signal(SIGTERM) }
        workers.forEach { $0.wait() }
        workers.removeAll()
    }

    /// The workers' process ids, for RSS readings.
    var pids: [pid_t] { workers.map(\.pid) }

    /// The command that appends one intake entry (`fields` name its `workspace`).
    func entry(_ fields: [String]) -> RedisCommand {
        let workspace = fields.firstIndex(of: "workspace").map { fields[$0 + 1] } ?? ""
        return RedisCommand("XADD", arguments: [intakeKey(workspace: workspace), "*"] + fields)
    }

    /// Appends intake entries in pipelines of 1,000.
    func submit(_ entries: [[String]], on connection: RedisConnection) throws {
        for start in stride(from: 0, to: entries.count, by: 1_000) {
            let commands = entries[start..<min(start + 1_000, entries.count)].map(entry)
            for reply in try connection.pipeline(commands) { _ = try reply.orThrow() }
        }
    }

    /// Waits until every intake entry is applied (acknowledged and trimmed), in every shard.
    /// Stops the workers and throws when they made no progress for a minute.
    func settle(on connection: RedisConnection) throws {
        let clock = ContinuousClock()
        var lastProgress = clock.now
        var left = Int.max
        while true {
            let commands = intakeKeys.flatMap { [RedisCommand("XLEN", $0), RedisCommand("XPENDING", $0, "switchboard")] }
            let replies = try connection.pipeline(commands)
            polls["xlen", default: 0] += intakeKeys.count
            polls["xpending", default: 0] += intakeKeys.count
            let drained = stride(from: 0, to: replies.count, by: 2).allSatisfy { index in
                (replies[index].int ?? 1) == 0 && (replies[index + 1].array?.first?.int ?? 0) == 0
            }
            if drained { return }
            let waiting = stride(from: 0, to: replies.count, by: 2).reduce(0) { $0 + (replies[$1].int ?? 0) }
            if waiting < left {
                left = waiting
                lastProgress = clock.now
            } else if clock.now - lastProgress > .seconds(60) {
                stop()
                throw BenchmarkError("the workers applied nothing for 60 s (\(waiting) entries left); see \(directory)/worker-*.log")
            }
            usleep(2_000)
        }
    }

    /// Starts `workers` on the entries already in the intake, waits until they are all
    /// applied, stops the workers, and returns entries per second and where the time went.
    func drain(workers count: Int, entries: Int, scenario: String, on connection: RedisConnection) throws -> (rate: Double, profile: DrainProfile) {
        polls = [:]
        let before = try DrainReadings.read(connection)
        let clock = ContinuousClock()
        let started = clock.now
        try start(count)
        try settle(on: connection)
        let seconds = (clock.now - started).fractionalSeconds
        let after = try DrainReadings.read(connection)
        let workerCPU = pids.reduce(0) { $0 + Self.cpuSeconds($1) }
        stop()
        polls["info", default: 0] += 1  // the `before` reading's second INFO (each counts once it has run)
        let profile = DrainProfile(scenario: scenario, entries: entries, seconds: seconds, before: before, after: after,
                                   polls: polls, workerCPUSeconds: workerCPU)
        return (Double(entries) / seconds, profile)
    }

    /// User + system CPU seconds of a process so far, from /proc/<pid>/stat.
    static func cpuSeconds(_ pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
