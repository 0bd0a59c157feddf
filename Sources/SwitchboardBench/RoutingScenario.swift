// Scenario 4: a backlog of new conversations drained into 1,000 / 10,000 / 100,000 Online
// agents with room (each goes straight to a free agent), in both routing modes:
// assignments per second next to the minimal routing step run by redis-benchmark in the
// same run, and the slowdown with team size.
import Foundation
import Redis

enum RoutingScenario {
    static func run(redis: BenchmarkRedis, conversations: Int, teamSizes: [Int]) throws -> (rows: [BenchmarkRow], profiles: [DrainProfile]) {
        var rows: [BenchmarkRow] = []
        let connection = RedisConnection(configuration: redis.configuration(name: "bench-routing"))
        let yardstick = Yardstick.routingStep(agents: 10_000)
        let minimal = try yardstick.measure(redis: redis, connection: connection, requests: max(conversations, Yardstick.minimumRequests), keyspace: conversations)
        var profiles = [minimal.profile]
        for mode in ["round_robin", "least_loaded"] {
            var rates: [Double] = []
            for agents in teamSizes {
                let fleet = WorkerFleet(redis: redis, prefix: "rt-\(mode)-\(agents)")
                try fleet.start(1)
                var setup: [[String]] = [["op", "workspace.settings", "workspace", "bench", "routing", mode]]
                // Room for every conversation: each one finds a free agent.
                let capacity = String(max(1, conversations / agents + 1))
                for index in 0..<agents {
                    setup.append(["op", "agent.profile", "workspace", "bench", "agent", Yardstick.agentID(index), "capacity", capacity])
                    setup.append(["op", "agent.login", "workspace", "bench", "agent", Yardstick.agentID(index), "session", "s"])
                }
                try fleet.submit(setup, on: connection)
                try fleet.settle(on: connection)
                fleet.stop()
                try fleet.submit((0..<conversations).map { ["op", "conversation.new", "workspace", "bench", "conversation", "c\($0)"] }, on: connection)
                let drain = try fleet.drain(workers: 1, entries: conversations, scenario: "routing, \(mode), \(agents) agents, 1 worker", on: connection)
                rates.append(drain.rate)
                profiles.append(drain.profile)
                rows.append(BenchmarkRow(scenario: "routing", name: "new conversation, agent free: \(mode), \(agents) agents, 1 worker (vs \(yardstick.name), 10000 agents)",
                                         unit: "assignments/s", value: drain.rate, baseline: minimal.rate, goalRatio: 0.5, goalMinimum: 20_000))
                // Free the memory for the next size.
                try connection.send(RedisCommand("FLUSHALL"))
            }
            if let first = rates.first, let last = rates.last {
                rows.append(BenchmarkRow(scenario: "routing", name: "\(mode): slowdown \(teamSizes.first!) → \(teamSizes.last!) agents", unit: "×",
                                         value: first / last, baseline: nil, goalRatio: nil, goalMaximum: 1.5))
            }
        }
        return (rows, profiles)
    }
}
