// Scenario: heartbeats of live sessions, the bulk of a presence system's load (every open
// tab, every 20 s). Agents log in first; then one worker drains a pre-filled intake of
// agent.heartbeat entries of those sessions, next to the minimal heartbeat run by
// redis-benchmark in the same run.
import Foundation
import Redis

enum HeartbeatScenario {
    static func run(redis: BenchmarkRedis, entries count: Int, agents: Int) throws -> (rows: [BenchmarkRow], profiles: [DrainProfile]) {
        let connection = RedisConnection(configuration: redis.configuration(name: "bench-heartbeat"))
        let fleet = WorkerFleet(redis: redis, prefix: "hb")
        try fleet.start(1)
        try fleet.submit((0..<agents).map { ["op", "agent.login", "workspace", "bench", "agent", Yardstick.agentID($0), "session", "s"] }, on: connection)
        try fleet.settle(on: connection)
        fleet.stop()
        // The sessions live for the fleet's session TTL (an hour): every heartbeat extends a live one.
        try fleet.submit((0..<count).map { ["op", "agent.heartbeat", "workspace", "bench", "agent", Yardstick.agentID($0 % agents), "session", "s"] },
                         on: connection)
        let drain = try fleet.drain(workers: 1, entries: count, scenario: "heartbeat of a live session, 1 worker", on: connection)
        let yardstick = Yardstick.heartbeat(agents: agents)
        let minimal = try yardstick.measure(redis: redis, connection: connection, requests: max(count, Yardstick.minimumRequests), keyspace: agents)
        return ([
            BenchmarkRow(scenario: "heartbeat", name: "agent.heartbeat of a live session, 1 worker (vs \(yardstick.name))", unit: "entries/s",
                         value: drain.rate, baseline: minimal.rate, goalRatio: 0.5),
        ], [minimal.profile, drain.profile])
    }
}
