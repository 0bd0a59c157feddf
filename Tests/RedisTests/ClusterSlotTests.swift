import Foundation
import Testing
import TestSupport
@testable import Redis

@Suite("Cluster: hash slots, key positions, seed URLs")
struct ClusterSlotTests {
    /// Keys whose slot the client computes as Redis does: tagged, untagged and the edge cases
    /// of the hash-tag rule.
    static let keys: [[UInt8]] = [
        "", "a", "foo", "123456789", "sb:{acme}:agents", "sb:{acme}:queue", "{user1000}.following",
        "{}", "{}{a}", "{a}{b}", "a{", "{a", "a}", "}a{b}", "a{b", "a{}b{c}", "{{a}}", "x{y}z",
        "ünïcødé", "{日本}:key", "😀{😀}",
    ].map { Array($0.utf8) } + [[0], [0xFF, 0xFE, 0x00, 0x7B, 0x61, 0x7D], [0x7B, 0x00, 0x7D], Array(repeating: 0x61, count: 1000)]

    @Test func slotsMatchClusterKeyslot() throws {
        let connection = RedisConnection(configuration: try RedisConfiguration(url: TestRedis.clusterURL))
        for key in Self.keys {
            let expected = try connection.send(RedisCommand("CLUSTER", "KEYSLOT", key)).int
            #expect(ClusterSlot.of(bytes: key) == expected, "key \(key)")
        }
        #expect(ClusterSlot.of("sb:{acme}:agents") == ClusterSlot.of("acme"))
        #expect(ClusterSlot.of("123456789") == 0x31C3 & 16383)  // the CRC16 (XMODEM) check value
    }

    @Test func keyPositionsOfTheCommandsSent() {
        let slot = ClusterSlot.of("sb:{ws}:x")
        #expect(ClusterKeyPosition.slot(of: RedisCommand("HSET", "sb:{ws}:x", "f", "v")) == slot)
        #expect(ClusterKeyPosition.slot(of: RedisCommand("FCALL", "f", 2, "sb:{ws}:x", "sb:{ws}:y", "arg")) == slot)
        #expect(ClusterKeyPosition.slot(of: RedisCommand("fcall_ro", "f", 1, "sb:{ws}:x")) == slot)
        #expect(ClusterKeyPosition.slot(of: RedisCommand("FCALL", "f", 0, "not-a-key")) == nil)
        #expect(ClusterKeyPosition.slot(of: RedisCommand("EVALSHA", "abc", 1, "sb:{ws}:x")) == slot)
        #expect(ClusterKeyPosition.slot(of: RedisCommand("XREADGROUP", "GROUP", "g", "c", "COUNT", 5, "BLOCK", 10, "STREAMS", "sb:{ws}:x", ">")) == slot)
        #expect(ClusterKeyPosition.slot(of: RedisCommand("XGROUP", "CREATE", "sb:{ws}:x", "g", "$")) == slot)
        #expect(ClusterKeyPosition.slot(of: RedisCommand("MEMORY", "USAGE", "sb:{ws}:x")) == slot)
        #expect(ClusterKeyPosition.slot(of: RedisCommand("SPUBLISH", "sb:{ws}:x", "hello")) == slot)
        for keyless in [RedisCommand("PING"), RedisCommand("SCAN", 0), RedisCommand("FUNCTION", "LIST"), RedisCommand("INFO"), RedisCommand("NOSUCHCOMMAND", "k")] {
            #expect(ClusterKeyPosition.slot(of: keyless) == nil, "\(keyless.name) goes to any primary")
        }
        #expect(ClusterKeyPosition.slot(of: RedisCommand("GET")) == nil, "a command missing its key is Redis's to refuse")
    }

    @Test func urlListsSeeds() throws {
        let configuration = try RedisConfiguration(url: "redis://u:secret@a.internal:7000,b.internal:7001,[::1]:7002,c.internal")
        #expect(configuration.endpoint == .tcp(host: "a.internal", port: 7000))
        #expect(configuration.otherSeeds == [.tcp(host: "b.internal", port: 7001), .tcp(host: "::1", port: 7002), .tcp(host: "c.internal", port: 6379)])
        #expect(configuration.password == "secret")
        #expect(configuration.description == "redis://u:***@a.internal:7000,b.internal:7001,[::1]:7002,c.internal:6379")
        #expect(try RedisConfiguration(url: "redis://a:1,b:2/0").seeds.count == 2)
        for malformed in ["redis://a:1,", "redis://a:1,,b:2", "redis://a:1,b:0"] {
            #expect(throws: RedisClientError.self, "\(malformed)") { try RedisConfiguration(url: malformed) }
        }
    }

    // MARK: - The slot map's parser (reply literals in the shape the Redis documentation of
    // CLUSTER SHARDS shows; the Redis 7.0 of the tests never lists a failed primary as master)

    private static func text(_ string: String) -> RedisValue { .bulk(Array(string.utf8)) }

    private static func node(_ port: Int, role: String, health: String) -> RedisValue {
        .array([text("id"), text("node\(port)"), text("port"), .integer(Int64(port)), text("ip"), text("127.0.0.1"), text("endpoint"), text("127.0.0.1"),
                text("role"), text(role), text("replication-offset"), .integer(72156), text("health"), text(health)])
    }

    private static func shard(_ low: Int, _ high: Int, _ nodes: [RedisValue]) -> RedisValue {
        .array([text("slots"), .array([.integer(Int64(low)), .integer(Int64(high))]), text("nodes"), .array(nodes)])
    }

    private static func slotsEntry(_ low: Int, _ high: Int, _ port: Int) -> RedisValue {
        .array([.integer(Int64(low)), .integer(Int64(high)), .array([text("127.0.0.1"), .integer(Int64(port)), text("id")])])
    }

    /// Redis 7.2 may list a failed primary as `master` beside the replica promoted in its place.
    @Test func aShardsPrimaryIsItsOnlineMaster() throws {
        let reply = RedisValue.array([
            Self.shard(0, 5460, [Self.node(30001, role: "master", health: "failed"), Self.node(30004, role: "master", health: "online")]),
            Self.shard(5461, 10922, [Self.node(30002, role: "master", health: "online"), Self.node(30005, role: "replica", health: "online")]),
            Self.shard(10923, 16383, [Self.node(30006, role: "replica", health: "loading"), Self.node(30003, role: "master", health: "online")]),
        ])
        let map = try #require(ClusterSlotMap.parse(shards: reply, host: "h"))
        #expect(map.primary(ofSlot: 0) == .tcp(host: "127.0.0.1", port: 30004))
        #expect(map.primary(ofSlot: 5461) == .tcp(host: "127.0.0.1", port: 30002))
        #expect(map.primary(ofSlot: 16383) == .tcp(host: "127.0.0.1", port: 30003))
        #expect(map.primaries.count == 3)
        #expect(map.coversEverySlot)
    }

    /// A shard with no online primary leaves its slots unserved: CLUSTER SLOTS, which lists
    /// only the nodes serving slots, is asked then.
    @Test func aShardsMapWithUnservedSlotsIsCheckedAgainstClusterSlots() throws {
        let shards = RedisValue.array([
            Self.shard(0, 8191, [Self.node(30001, role: "master", health: "failed"), Self.node(30003, role: "replica", health: "online")]),
            Self.shard(8192, 16383, [Self.node(30002, role: "master", health: "online")]),
        ])
        let slots = RedisValue.array([Self.slotsEntry(0, 8191, 30003), Self.slotsEntry(8192, 16383, 30002)])
        var asked: [String] = []
        let map = try ClusterSlotMap.fetch(host: "h") { command throws(RedisClientError) in
            asked.append(command.arguments.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " "))
            return asked.count == 1 ? shards : slots
        }
        #expect(asked == ["CLUSTER SHARDS", "CLUSTER SLOTS"])
        #expect(map.primary(ofSlot: 0) == .tcp(host: "127.0.0.1", port: 30003))
        #expect(map.coversEverySlot)

        // A cluster still being set up serves some slots only: the map of CLUSTER SHARDS stands.
        let partial = RedisValue.array([Self.shard(0, 99, [Self.node(30001, role: "master", health: "online")])])
        let setUp = try ClusterSlotMap.fetch(host: "h") { command throws(RedisClientError) in
            command.arguments.count == 2 && command.arguments[1] == Array("SHARDS".utf8) ? partial : .array([])
        }
        #expect(setUp.primary(ofSlot: 99) == .tcp(host: "127.0.0.1", port: 30001))
        #expect(setUp.primary(ofSlot: 100) == nil)
    }

    /// A primary whose every slot was reassigned (MOVED replies) is no longer a primary.
    @Test func aPrimaryLeftWithoutSlotsIsDropped() throws {
        let a = RedisConfiguration.Endpoint.tcp(host: "a", port: 1), b = RedisConfiguration.Endpoint.tcp(host: "b", port: 2)
        let c = RedisConfiguration.Endpoint.tcp(host: "c", port: 3)
        var map = ClusterSlotMap()
        map.assign(slot: 0, to: a)
        map.assign(slot: 1, to: a)
        map.assign(slot: 2, to: b)
        map.assign(slot: 3, to: c)
        map.assign(slot: 0, to: c)
        #expect(map.primaries == [a, b, c])
        map.assign(slot: 1, to: c)
        #expect(map.primaries == [b, c])
        #expect(map.primary(ofSlot: 1) == c && map.primary(ofSlot: 2) == b && map.primary(ofSlot: 3) == c)
        #expect(!map.coversEverySlot)
    }

    @Test func readOnlyCommandsAreKnown() {
        for command in [RedisCommand("FCALL_RO", "f", 1, "k"), RedisCommand("get", "k"), RedisCommand("HGETALL", "k"), RedisCommand("XRANGE", "k", "-", "+"),
                        RedisCommand("SCAN", 0), RedisCommand("ZRANGE", "k", 0, -1), RedisCommand("XPENDING", "k", "g")] {
            #expect(command.isReadOnly, "\(command.name)")
        }
        for command in [RedisCommand("FCALL", "f", 1, "k"), RedisCommand("SET", "k", "v"), RedisCommand("XADD", "k", "*", "f", "v"),
                        RedisCommand("XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"), RedisCommand("EVALSHA", "x", 0), RedisCommand("DEL", "k")] {
            #expect(!command.isReadOnly, "\(command.name)")
        }
    }
}
