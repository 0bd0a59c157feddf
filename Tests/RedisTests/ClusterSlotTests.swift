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
}
