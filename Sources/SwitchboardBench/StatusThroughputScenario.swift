// Scenario 2: agent.status entries applied per second by 1 and by 2 workers, next to the
// Redis-side limit: redis-benchmark calling the same function by FCALL, 16 deep.
import Foundation
import Redis
import Switchboard

enum StatusThroughputScenario {
    static func agentID(_ index: Int) -> String { String(format: "a%012d", index) }

    static func run(redis: BenchmarkRedis, entries count: Int, agents: Int) throws -> [BenchmarkRow] {
        var rates: [Double] = []
        let connection = RedisConnection(configuration: redis.configuration(name: "bench-status"))
        for workers in [1, 2] {
            let fleet = WorkerFleet(redis: redis, prefix: "st\(workers)")
            try fleet.start(1)
            try fleet.submit((0..<agents).map { ["op", "agent.login", "workspace", "bench", "agent", agentID($0), "session", "s"] }, on: connection)
            try fleet.settle(on: connection)
            fleet.stop()
            let statuses = ["online", "busy", "away", "dnd"]
            try fleet.submit((0..<count).map { ["op", "agent.status", "workspace", "bench", "agent", agentID($0 % agents), "status", statuses[$0 / agents % 4]] },
                             on: connection)
            let clock = ContinuousClock()
            let started = clock.now
            try fleet.start(workers)
            try fleet.settle(on: connection)
            rates.append(Double(count) / (clock.now - started).fractionalSeconds)
            fleet.stop()
        }
        let limit = try redisSideLimit(redis: redis, connection: connection, requests: count, agents: agents)
        return [
            BenchmarkRow(scenario: "status", name: "agent.status applied, 1 worker", unit: "entries/s", value: rates[0], baseline: limit, goalRatio: 0.5),
            BenchmarkRow(scenario: "status", name: "agent.status applied, 2 workers", unit: "entries/s", value: rates[1], baseline: limit, goalRatio: nil),
        ]
    }

    /// redis-benchmark -P 16 calling the status function directly with entry id `*`, so Redis
    /// does exactly the work of an in-order intake entry, without any worker.
    static func redisSideLimit(redis: BenchmarkRedis, connection: RedisConnection, requests: Int, agents: Int) throws -> Double {
        let keys = KeySchema(prefix: "limit").workspace(Identifier("bench")!)
        try connection.load(SwitchboardLibrary.library)
        let logins = (0..<agents).map {
            RedisCommand(argumentBytes: AgentEventScript.directCallArguments(keys: keys, agent: agentID($0), eventJSON: #"{"k":"open","s":"s","ttl":3600000}"#).map { Array($0.utf8) })
        }
        for start in stride(from: 0, to: logins.count, by: 1_000) { _ = try connection.pipeline(Array(logins[start..<min(start + 1_000, logins.count)])) }
        let status = AgentEventScript.directCallArguments(keys: keys, agent: "a__rand_int__", eventJSON: #"{"k":"status","st":"away"}"#)
        return try redis.redisBenchmark(["-P", "16", "-r", String(agents)] + status, requests: requests)
    }
}
