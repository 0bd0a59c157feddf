import Testing
import TestSupport
@testable import Redis

@Suite("Async client")
struct RedisClientTests {
    @Test(arguments: Topology.plainAndTLS)
    func asyncCallsRunInOrderOnTheDedicatedThread(over topology: Topology) async throws {
        let client = RedisClient(configuration: try topology.configuration(name: "sb-async"))
        defer { client.close() }
        let key = TestRedis.uniquePrefix() + "async"
        try await client.send(RedisCommand("SET", key, "1"))
        let replies = try await client.pipeline([RedisCommand("INCR", key), RedisCommand("GET", key)])
        #expect(replies == [.integer(2), .bulk(Array("2".utf8))])
        let name = try await client.withConnection { try $0.send(["CLIENT", "GETNAME"]).string }
        #expect(name == "sb-async")
        try await client.send(RedisCommand("DEL", key))
    }

    @Test(arguments: Topology.plainAndTLS)
    func concurrentCallersShareOneConnectionSafely(over topology: Topology) async throws {
        let client = RedisClient(configuration: try topology.configuration())
        defer { client.close() }
        let key = TestRedis.uniquePrefix() + "shared"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { for _ in 0..<50 { try await client.send(RedisCommand("INCR", key)) } } }
            try await group.waitForAll()
        }
        #expect(try await client.send(RedisCommand("GET", key)).int == 1000)
        try await client.send(RedisCommand("DEL", key))
    }
}
