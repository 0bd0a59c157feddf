// switchboard-bench: figures side by side with their yardsticks, measured in the same run.
import Foundation
import Redis

let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
    USAGE: switchboard-bench [--requests N] [--status-entries N] [--heartbeat-entries N]
                             [--latency-seconds N] [--conversations N]
                             [--team-sizes 1000,10000,100000] [--subscribers N]
                             [--memory-agents N] [--idle-seconds N] [--cluster-entries N]
                             [--gateway-clients N] [--gateway-changes N] [--json PATH]
                             [--only client,client-tls,status,heartbeat,latency,fanout,routing,memory,idle,cluster,gateway]

    Starts a private redis-server and real `switchboard worker` processes, runs each
    scenario next to its yardstick measured in the same run (redis-benchmark: plain
    commands, or `-P 16` of a minimal Lua script from Sources/SwitchboardBench/Yardsticks),
    and prints a Markdown table, then a profile of each drain: Redis commands per entry,
    Redis's busy share, the worker's CPU per entry. The cluster scenario starts private Redis
    Clusters (3 primaries, 1 primary) and prints how Redis's time splits over the primaries.
    The gateway scenario opens --gateway-clients WebSocket clients (Python websockets, from
    Tests/EndToEndTests/Python/gateway_load.py) on one worker's gateway and times
    --gateway-changes status changes reaching all of them.
    --json PATH writes all of it.
    SWITCHBOARD_INTAKE_SHARDS=N runs the workers over N intake shards (default 1).
    """)
    exit(0)
}
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), arguments.index(after: index) < arguments.endIndex else { return nil }
    return arguments[arguments.index(after: index)]
}
let requests = option("--requests").flatMap(Int.init) ?? 100_000
let scenarios = ["client", "client-tls", "status", "heartbeat", "latency", "fanout", "routing", "memory", "idle", "cluster", "gateway"]
/// Scenarios to run (all by default): for profiling one of them.
let selected = Set((option("--only") ?? scenarios.joined(separator: ",")).split(separator: ",").map(String.init))
if let unknown = selected.subtracting(scenarios).sorted().first {
    FileHandle.standardError.write(Data("switchboard-bench: unknown scenario \"\(unknown)\" in --only; choose from \(scenarios.joined(separator: ","))\n".utf8))
    exit(2)
}

/// What `--json` writes: the table's rows, the drains' profiles and the cluster splits.
struct BenchmarkReport: Codable {
    var rows: [BenchmarkRow] = []
    var profiles: [DrainProfile] = []
    var splits: [ClusterSplit] = []
    var model: ClusterModel?

    mutating func add(_ measured: (rows: [BenchmarkRow], profiles: [DrainProfile])) {
        rows += measured.rows
        profiles += measured.profiles
    }
}

do {
    let redis = try BenchmarkRedis()
    defer { redis.stop() }
    var report = BenchmarkReport()
    if selected.contains("client") { report.rows += try ClientScenario.run(redis: redis, requests: requests) }
    if selected.contains("client-tls") {
        let tlsRedis = try BenchmarkRedis(tls: true)
        defer { tlsRedis.stop() }
        report.rows += try ClientScenario.run(redis: tlsRedis, requests: requests, scenario: "client-tls")
    }
    if selected.contains("status") { report.add(try StatusThroughputScenario.run(redis: redis, entries: option("--status-entries").flatMap(Int.init) ?? 200_000,
                                                                                  agents: 10_000)) }
    if selected.contains("heartbeat") { report.add(try HeartbeatScenario.run(redis: redis, entries: option("--heartbeat-entries").flatMap(Int.init) ?? 100_000,
                                                                             agents: 10_000)) }
    if selected.contains("latency") { report.rows += try StatusLatencyScenario.run(redis: redis, seconds: option("--latency-seconds").flatMap(Int.init) ?? 10) }
    if selected.contains("fanout") { report.rows += try FanOutScenario.run(redis: redis, subscribers: option("--subscribers").flatMap(Int.init) ?? 1_000, changes: 20) }
    if selected.contains("routing") { report.add(try RoutingScenario.run(redis: redis, conversations: option("--conversations").flatMap(Int.init) ?? 100_000,
                                                                         teamSizes: (option("--team-sizes") ?? "1000,10000,100000").split(separator: ",").compactMap { Int($0) })) }
    if selected.contains("memory") { report.rows += try MemoryScenario.run(redis: redis, agents: option("--memory-agents").flatMap(Int.init) ?? 100_000) }
    if selected.contains("idle") { report.rows += try IdleScenario.run(redis: redis, seconds: option("--idle-seconds").flatMap(Int.init) ?? 5) }
    if selected.contains("cluster") {
        let entries = option("--cluster-entries").flatMap(Int.init) ?? 60_000
        let measured = try ClusterScenario.run(redis: redis, statusEntries: entries, conversations: entries / 2)
        report.rows += measured.rows
        report.splits += measured.splits
        report.model = ClusterModel(splits: measured.splits)
    }
    if selected.contains("gateway") { report.rows += try GatewayScenario.run(redis: redis, clients: option("--gateway-clients").flatMap(Int.init) ?? 5_000,
                                                                             changes: option("--gateway-changes").flatMap(Int.init) ?? 20) }
    print(BenchmarkRow.header)
    report.rows.forEach { print($0.markdown) }
    for profile in report.profiles { print("\n" + profile.markdown) }
    for split in report.splits { print("\n" + split.markdown) }
    if let model = report.model { print("\n" + model.markdown) }
    if let path = option("--json") {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
    }
} catch {
    FileHandle.standardError.write(Data("switchboard-bench: \(error)\n".utf8))
    exit(1)
}
