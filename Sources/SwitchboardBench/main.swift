// switchboard-bench: figures side by side with redis-benchmark, measured in the same run.
import Foundation
import Redis

let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
    USAGE: switchboard-bench [--requests N] [--status-entries N] [--latency-seconds N]
                             [--conversations N] [--team-sizes 1000,10000,100000]
                             [--subscribers N] [--memory-agents N] [--json PATH]
                             [--idle-seconds N]
                             [--only client,status,latency,fanout,routing,memory,idle]

    Starts a private redis-server, runs each scenario next to the matching redis-benchmark
    baseline in the same run, and prints a Markdown table (and JSON with --json).
    SWITCHBOARD_INTAKE_SHARDS=N runs the workers over N intake shards (default 1).
    """)
    exit(0)
}
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), arguments.index(after: index) < arguments.endIndex else { return nil }
    return arguments[arguments.index(after: index)]
}
let requests = option("--requests").flatMap(Int.init) ?? 100_000
/// Scenarios to run (all by default): for profiling one of them.
let selected = Set((option("--only") ?? "client,status,latency,fanout,routing,memory,idle").split(separator: ",").map(String.init))

do {
    let redis = try BenchmarkRedis()
    defer { redis.stop() }
    var rows: [BenchmarkRow] = []
    if selected.contains("client") { rows += try ClientScenario.run(redis: redis, requests: requests) }
    if selected.contains("status") { rows += try StatusThroughputScenario.run(redis: redis, entries: option("--status-entries").flatMap(Int.init) ?? 200_000,
                                             agents: 10_000) }
    if selected.contains("latency") { rows += try StatusLatencyScenario.run(redis: redis, seconds: option("--latency-seconds").flatMap(Int.init) ?? 10) }
    if selected.contains("fanout") { rows += try FanOutScenario.run(redis: redis, subscribers: option("--subscribers").flatMap(Int.init) ?? 1_000, changes: 20) }
    if selected.contains("routing") { rows += try RoutingScenario.run(redis: redis, conversations: option("--conversations").flatMap(Int.init) ?? 100_000,
                                    teamSizes: (option("--team-sizes") ?? "1000,10000,100000").split(separator: ",").compactMap { Int($0) }) }
    if selected.contains("memory") { rows += try MemoryScenario.run(redis: redis, agents: option("--memory-agents").flatMap(Int.init) ?? 100_000) }
    if selected.contains("idle") { rows += try IdleScenario.run(redis: redis, seconds: option("--idle-seconds").flatMap(Int.init) ?? 5) }
    print(BenchmarkRow.header)
    rows.forEach { print($0.markdown) }
    if let path = option("--json") {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(rows).write(to: URL(fileURLWithPath: path))
    }
} catch {
    FileHandle.standardError.write(Data("switchboard-bench: \(error)\n".utf8))
    exit(1)
}
