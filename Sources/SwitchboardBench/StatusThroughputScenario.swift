// Scenario 2: in-order agent.status entries applied per second by 1 and by 2 workers
// draining a pre-filled intake (agents logged in first), next to the minimal status
// change run by redis-benchmark in the same run.
import Foundation
import Redis

enum StatusThroughputScenario {
    static func run(redis: BenchmarkRedis, entries count: Int, agents: Int) throws -> (rows: [BenchmarkRow], profiles: [DrainProfile]) {
        let connection = RedisConnection(configuration: redis.configuration(name: "bench-status"))
        var rates: [Double] = []
        var profiles: [DrainProfile] = []
        for workers in [1, 2] {
            let fleet = WorkerFleet(redis: redis, prefix: "st\(workers)")
            try fleet.start(1)
            try fleet.submit((0..<agents).map { ["op", "agent.login", "workspace", "bench", "agent", Yardstick.agentID($0), "session", "s"] }, on: connection)
            try fleet.settle(on: connection)
            fleet.stop()
            // Every entry changes its agent's status (each agent's statuses in stream order).
            let statuses = ["online", "busy", "away", "dnd"]
            try fleet.submit((0..<count).map { ["op", "agent.status", "workspace", "bench", "agent", Yardstick.agentID($0 % agents),
                                                "status", statuses[($0 / agents + 1) % 4]] },
                             on: connection)
            let drain = try fleet.drain(workers: workers, entries: count, scenario: "status, agent.status in order, \(workers == 1 ? "1 worker" : "\(workers) workers")", on: connection)
            rates.append(drain.rate)
            profiles.append(drain.profile)
        }
        let yardstick = Yardstick.statusChange(agents: agents)
        let minimal = try yardstick.measure(redis: redis, connection: connection, requests: max(count, Yardstick.minimumRequests), keyspace: agents)
        return ([
            BenchmarkRow(scenario: "status", name: "agent.status in order, 1 worker (vs \(yardstick.name))", unit: "entries/s",
                         value: rates[0], baseline: minimal.rate, goalRatio: 0.5),
            BenchmarkRow(scenario: "status", name: "agent.status in order, 2 workers", unit: "entries/s", value: rates[1], baseline: minimal.rate, goalRatio: nil),
        ], [minimal.profile] + profiles)
    }
}
