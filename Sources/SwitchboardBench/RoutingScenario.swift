// Scenario 4: a backlog of conversations drained into 1,000 / 10,000 / 100,000 Online
// agents, in both routing modes: assignments per second, and the slowdown with team size.
// The baseline is the Redis-side limit: the server's own time per routing script call.
import Foundation
import Redis

enum RoutingScenario {
    static func run(redis: BenchmarkRedis, conversations: Int, teamSizes: [Int]) throws -> [BenchmarkRow] {
        var rows: [BenchmarkRow] = []
        let connection = RedisConnection(configuration: redis.configuration(name: "bench-routing"))
        for mode in ["round_robin", "least_loaded"] {
            var rates: [Double] = []
            for agents in teamSizes {
                let fleet = WorkerFleet(redis: redis, prefix: "rt-\(mode)-\(agents)")
                try fleet.start(1)
                var setup: [[String]] = [["op", "workspace.settings", "workspace", "bench", "routing", mode]]
                let capacity = String(max(1, conversations / agents + 1))
                for index in 0..<agents {
                    setup.append(["op", "agent.profile", "workspace", "bench", "agent", "a\(index)", "capacity", capacity])
                    setup.append(["op", "agent.login", "workspace", "bench", "agent", "a\(index)", "session", "s"])
                }
                try fleet.submit(setup, on: connection)
                try fleet.settle(on: connection)
                fleet.stop()
                try fleet.submit((0..<conversations).map { ["op", "conversation.new", "workspace", "bench", "conversation", "c\($0)"] }, on: connection)
                try connection.send(RedisCommand("CONFIG", "RESETSTAT"))
                let clock = ContinuousClock()
                let started = clock.now
                try fleet.start(1)
                try fleet.settle(on: connection)
                let rate = Double(conversations) / (clock.now - started).fractionalSeconds
                fleet.stop()
                rates.append(rate)
                rows.append(BenchmarkRow(scenario: "routing", name: "\(mode), \(agents) agents, 1 worker", unit: "assignments/s",
                                         value: rate, baseline: try redisSideLimit(connection), goalRatio: nil, goalMinimum: 20_000))
                // Free the memory for the next size.
                try connection.send(RedisCommand("FLUSHALL"))
            }
            if let first = rates.first, let last = rates.last {
                rows.append(BenchmarkRow(scenario: "routing", name: "\(mode): slowdown \(teamSizes.first!) → \(teamSizes.last!) agents", unit: "×",
                                         value: first / last, baseline: nil, goalRatio: nil, goalMaximum: 1.5))
            }
        }
        return rows
    }

    /// Conversations per second Redis could route if it did nothing but run the routing
    /// function: one second over the server's own time per `FCALL` (INFO commandstats,
    /// reset before the drain), the Redis-side limit of this scenario.
    static func redisSideLimit(_ connection: RedisConnection) throws -> Double? {
        guard let stats = try connection.info("commandstats")["cmdstat_fcall"],
              let field = stats.split(separator: ",").first(where: { $0.hasPrefix("usec_per_call=") }),
              let microseconds = Double(field.dropFirst("usec_per_call=".count)), microseconds > 0 else { return nil }
        return 1_000_000 / microseconds
    }
}
