// The yardsticks: minimal Lua scripts (Yardsticks/*.lua) that do the least Redis work of
// one Switchboard operation, run by `redis-benchmark -P 16` in the same run as the scenario
// they measure. A scenario's rate divided by its yardstick's is how close Switchboard
// comes to the minimal work.
import Foundation
import Redis

/// One minimal script, the keys it runs on and the data it needs first.
struct Yardstick {
    /// What the row calls it, e.g. "minimal status change (5 calls)".
    let name: String
    let source: String
    /// KEYS, then ARGV; `__rand_int__` (once per command: redis-benchmark draws each
    /// occurrence on its own) spreads the calls over the agents or conversations.
    let keys: [String]
    let arguments: [String]
    /// Commands that put the data in place (agents, sessions, the pool), run before.
    let setup: [RedisCommand]

    static let prefix = "x:{bench}:"
    /// redis-benchmark reports whole milliseconds: a run shorter than a few seconds would
    /// round its rate, so every yardstick runs at least this many calls.
    static let minimumRequests = 300_000

    /// An agent id as redis-benchmark writes `a__rand_int__` (12 digits); scenarios use
    /// the same ids so both touch as many agents.
    static func agentID(_ index: Int) -> String { String(format: "a%012d", index) }

    /// Read the old status, write the agent hash, bump the version, publish, append the event.
    static func statusChange(agents: Int) -> Yardstick {
        Yardstick(name: "minimal status change (5 calls)", source: text(PackageResources.status_change_lua),
                  keys: [prefix + "agent:a__rand_int__", prefix + "meta", prefix + "events"],
                  arguments: [prefix + "status", "1795453983752"],
                  setup: (0..<agents).map { RedisCommand("HSET", prefix + "agent:" + agentID($0), "status", "online") })
    }

    /// Write the session's expiry, update the sessions index.
    static func heartbeat(agents: Int) -> Yardstick {
        Yardstick(name: "minimal heartbeat (2 calls)", source: text(PackageResources.heartbeat_lua),
                  keys: [prefix + "agent:a__rand_int__:sessions", prefix + "sessions"],
                  arguments: ["s", "1795453983752"],
                  setup: (0..<agents).flatMap {
                      [RedisCommand("HSET", prefix + "agent:" + agentID($0) + ":sessions", "s", "1795453900000"),
                       RedisCommand("ZADD", prefix + "sessions", "1795453900000", agentID($0) + "/s")]
                  })
    }

    /// Pick the pool head, assign, count, version, event, publish.
    static func routingStep(agents: Int) -> Yardstick {
        Yardstick(name: "minimal routing step (7 calls)", source: text(PackageResources.routing_step_lua),
                  keys: [prefix + "conversation:c__rand_int__", prefix + "pool", prefix + "meta", prefix + "events"],
                  arguments: [prefix + "assignments", prefix + "agent:", "1795453983752"],
                  setup: (0..<agents).flatMap {
                      [RedisCommand("HSET", prefix + "agent:" + agentID($0), "status", "online", "load", "0"),
                       RedisCommand("ZADD", prefix + "pool", "0", agentID($0))]
                  })
    }

    /// Calls per second of `redis-benchmark -P 16` (50 connections) running this script by
    /// `EVALSHA` over `keyspace` random ids, and its profile: Redis's CPU per call is the
    /// minimal work the scenario's profile compares with. Its keys are deleted afterwards.
    func measure(redis: BenchmarkRedis, connection: RedisConnection, requests: Int, keyspace: Int) throws -> (rate: Double, profile: DrainProfile) {
        try deleteKeys(connection)
        for start in stride(from: 0, to: setup.count, by: 1_000) {
            for reply in try connection.pipeline(Array(setup[start..<min(start + 1_000, setup.count)])) { _ = try reply.orThrow() }
        }
        guard let sha = try connection.send(RedisCommand("SCRIPT", "LOAD", source)).string else {
            throw BenchmarkError("SCRIPT LOAD of the yardstick \"\(name)\" returned no digest")
        }
        // One call first, so a broken script fails here with Redis's message.
        _ = try connection.send(RedisCommand("EVALSHA", arguments: [sha, String(keys.count)] + keys.map { $0.replacingOccurrences(of: "__rand_int__", with: "000000000000") } + arguments))
        // redis-benchmark counts error replies as answered requests: a failing script would
        // look fast. Redis counts them too.
        let errorsBefore = try errorReplies(connection)
        let before = try DrainReadings.read(connection)
        let clock = ContinuousClock()
        let started = clock.now
        let rate = try redis.redisBenchmark(["-P", "16", "-r", String(keyspace), "EVALSHA", sha, String(keys.count)] + keys + arguments, requests: requests)
        let seconds = (clock.now - started).fractionalSeconds
        let after = try DrainReadings.read(connection)
        let errors = try errorReplies(connection) - errorsBefore
        guard errors == 0 else { throw BenchmarkError("the yardstick \"\(name)\" failed \(errors) of \(requests) calls under redis-benchmark; see INFO errorstats") }
        try deleteKeys(connection)
        // The `before` reading's second INFO counts once it has run.
        let profile = DrainProfile(scenario: "yardstick: \(name), redis-benchmark -P 16", per: "call", entries: requests, seconds: seconds,
                                   before: before, after: after, polls: ["info": 1], workerCPUSeconds: nil)
        return (rate, profile)
    }

    private func errorReplies(_ connection: RedisConnection) throws -> Int {
        Int(try connection.info("stats")["total_error_replies"] ?? "0") ?? 0
    }

    private func deleteKeys(_ connection: RedisConnection) throws {
        var cursor = "0"
        repeat {
            let reply = try connection.send(RedisCommand("SCAN", cursor, "MATCH", Self.prefix + "*", "COUNT", "1000")).array ?? []
            cursor = reply.first?.string ?? "0"
            let keys = reply.count > 1 ? (reply[1].array ?? []).compactMap(\.string) : []
            if !keys.isEmpty { try connection.send(RedisCommand("UNLINK", arguments: keys)) }
        } while cursor != "0"
    }

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
