// Scenario 6: Redis memory per agent (profile, one session, status), and worker RSS idle
// and under load.
import Foundation
import Redis

enum MemoryScenario {
    static func run(redis: BenchmarkRedis, agents: Int) throws -> [BenchmarkRow] {
        let connection = RedisConnection(configuration: redis.configuration(name: "bench-memory"))
        try connection.send(RedisCommand("FLUSHALL"))
        let fleet = WorkerFleet(redis: redis, prefix: "mem")
        try fleet.start(1)
        defer { fleet.stop() }
        // Idle means started and past its first read: one entry through it first.
        try fleet.submit([["op", "agent.status", "workspace", "warmup", "agent", "w", "status", "offline"]], on: connection)
        try fleet.settle(on: connection)
        let idle = rss(fleet.pids[0])
        let before = try usedMemory(connection)
        var entries: [[String]] = []
        for index in 0..<agents {
            entries.append(["op", "agent.profile", "workspace", "bench", "agent", "a\(index)", "capacity", "3", "teams", "sales"])
            entries.append(["op", "agent.login", "workspace", "bench", "agent", "a\(index)", "session", "s"])
            entries.append(["op", "agent.status", "workspace", "bench", "agent", "a\(index)", "status", "away"])
        }
        try fleet.submit(entries, on: connection)
        try fleet.settle(on: connection)
        let loaded = rss(fleet.pids[0])
        let fresh = Double(try usedMemory(connection) - before) / Double(agents)
        // The replay logs expire one window (60 s) after the agent's last event: what a
        // workspace of agents that set their status a minute ago costs.
        Thread.sleep(forTimeInterval: 62)
        let settledBytes = try usedMemory(connection) - before
        let events = try connection.send(RedisCommand("MEMORY", "USAGE", "mem:{bench}:events", "SAMPLES", "0")).int ?? 0
        let eventCount = try connection.send(RedisCommand("XLEN", "mem:{bench}:events")).int ?? 0
        return [
            BenchmarkRow(scenario: "memory", name: "Redis memory per agent within the 60 s replay window (\(agents) agents: profile, session, status)",
                         unit: "bytes", value: fresh, baseline: nil, goalRatio: nil),
            BenchmarkRow(scenario: "memory", name: "Redis memory per agent after the replay window", unit: "bytes",
                         value: Double(settledBytes) / Double(agents), baseline: nil, goalRatio: nil, goalMaximum: 300),
            BenchmarkRow(scenario: "memory", name: "of which the events log (\(eventCount) entries, capped per workspace)", unit: "bytes",
                         value: Double(events) / Double(agents), baseline: nil, goalRatio: nil),
            BenchmarkRow(scenario: "memory", name: "agent state alone (after the window, without the events log)", unit: "bytes",
                         value: Double(settledBytes - events) / Double(agents), baseline: nil, goalRatio: nil, goalMaximum: 300),
            BenchmarkRow(scenario: "memory", name: "worker RSS idle", unit: "MB", value: idle, baseline: nil, goalRatio: nil, goalMaximum: 30),
            BenchmarkRow(scenario: "memory", name: "worker RSS after \(entries.count) entries", unit: "MB", value: loaded, baseline: nil, goalRatio: nil, goalMaximum: 30),
        ]
    }

    static func usedMemory(_ connection: RedisConnection) throws -> Int {
        Int(try connection.info("memory")["used_memory"] ?? "0") ?? 0
    }

    /// Resident set size of a process in MB, from /proc.
    static func rss(_ pid: pid_t) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes / 1024
    }
}
