import Foundation
import Redis
import Testing
import TestSupport

/// switchboard-bench divides Switchboard's rates by those of its yardsticks
/// (Sources/SwitchboardBench/Yardsticks/*.lua): each must do the work, and exactly the
/// calls, its row names, or the ratios would flatter or wrong Switchboard.
@Suite("Benchmark yardsticks")
struct BenchYardstickTests {
    let connection: RedisConnection
    /// Keys shaped as the benchmark's (`x:{bench}:…`), under a prefix of this test.
    let prefix: String

    init() throws {
        connection = try TestRedis.connection()
        prefix = TestRedis.uniquePrefix() + "{bench}:"
    }

    static func source(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("Sources/SwitchboardBench/Yardsticks/\(name).lua"), encoding: .utf8)
    }

    /// The commands a script calls, in order of its text.
    static func calls(_ source: String) -> [String] {
        source.components(separatedBy: "redis.call('").dropFirst().map { String($0.prefix { $0 != "'" }) }
    }

    private func run(_ name: String, keys: [String], arguments: [String]) throws -> RedisValue {
        try connection.send(RedisCommand("EVAL", arguments: [try Self.source(name), String(keys.count)] + keys + arguments))
    }

    @Test func theStatusChangeReadsWritesCountsPublishesAndLogsAChange() throws {
        #expect(Self.calls(try Self.source("status-change")) == ["HGET", "HSET", "HINCRBY", "PUBLISH", "XADD"])
        let agent = prefix + "agent:a000000000007"
        try connection.send(RedisCommand("HSET", agent, "status", "online"))
        let keys = [agent, prefix + "meta", prefix + "events"]
        #expect(try run("status-change", keys: keys, arguments: [prefix + "status", "1000"]).int == 1)
        #expect(try run("status-change", keys: keys, arguments: [prefix + "status", "2000"]).int == 2)
        #expect(try connection.send(RedisCommand("HGET", agent, "status")).string == "busy", "each call is a change: away, then busy")
        let events = try connection.send(RedisCommand("XRANGE", prefix + "events", "-", "+")).array ?? []
        let fields = events.compactMap { $0.array?.last?.stringPairs }
        #expect(fields.map { $0["previous"] } == ["online", "away"])
        #expect(fields.map { $0["agent_id"] } == ["a000000000007", "a000000000007"])
    }

    @Test func theHeartbeatWritesTheExpiryAndTheSessionsIndexOnly() throws {
        #expect(Self.calls(try Self.source("heartbeat")) == ["HSET", "ZADD"])
        let sessions = prefix + "agent:a000000000007:sessions"
        _ = try run("heartbeat", keys: [sessions, prefix + "sessions"], arguments: ["s", "5000"])
        #expect(try connection.send(RedisCommand("HGET", sessions, "s")).int == 5000)
        #expect(try connection.send(RedisCommand("ZSCORE", prefix + "sessions", "a000000000007/s")).int == 5000)
    }

    @Test func theRoutingStepAssignsThePoolHeadAndMovesItBack() throws {
        #expect(Self.calls(try Self.source("routing-step")) == ["ZRANGE", "HSET", "HINCRBY", "ZADD", "HINCRBY", "XADD", "PUBLISH"])
        try connection.send(RedisCommand("ZADD", prefix + "pool", "0", "a1", "0", "a2"))
        var assigned: [String] = []
        for conversation in ["c1", "c2", "c3"] {
            let keys = [prefix + "conversation:" + conversation, prefix + "pool", prefix + "meta", prefix + "events"]
            _ = try run("routing-step", keys: keys, arguments: [prefix + "assignments", prefix + "agent:", "1000"])
            assigned.append(try connection.send(RedisCommand("HGET", keys[0], "agent")).string ?? "")
        }
        #expect(assigned == ["a1", "a2", "a1"], "the least loaded agent first")
        #expect(try connection.send(RedisCommand("HGET", prefix + "agent:a1", "load")).int == 2)
        #expect(try connection.send(RedisCommand("XLEN", prefix + "events")).int == 3)
        #expect(try connection.send(RedisCommand("HGET", prefix + "meta", "version")).int == 3)
    }
}
