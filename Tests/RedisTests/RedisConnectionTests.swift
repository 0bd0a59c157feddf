import Foundation
import Testing
import TestSupport
@testable import Redis

@Suite("Commands, replies and pipelines")
struct RedisConnectionTests {
    @Test(arguments: Topology.plainAndTLS)
    func binaryValuesRoundTrip(over topology: Topology) throws {
        let connection = try topology.connection()
        let key = TestRedis.uniquePrefix() + "binary"
        let value: [UInt8] = [0, 1, 0xFF, 0xFE, 0x80, 0, 0x0D, 0x0A, 0xC3, 0x28]  // NULs, CRLF, invalid UTF-8
        try connection.send(RedisCommand("SET", Array(key.utf8), value))
        #expect(try connection.send(RedisCommand("GET", key)) == .bulk(value))
        let binaryKey: [UInt8] = Array(key.utf8) + [0, 0xFF]
        try connection.send(RedisCommand("SET", binaryKey, "x"))
        #expect(try connection.send(RedisCommand("GET", binaryKey)).string == "x")
        #expect(try connection.send(RedisCommand("GET", key + "-other")) == .null)
        try connection.send(RedisCommand("DEL", key, binaryKey))
    }

    @Test(arguments: Topology.plainAndTLS)
    func everyReplyType(over topology: Topology) throws {
        let connection = try topology.connection()
        let key = TestRedis.uniquePrefix() + "types"
        #expect(try connection.send(RedisCommand("SET", key, "")) == .status("OK"))
        #expect(try connection.send(RedisCommand("GET", key)) == .bulk([]))
        #expect(try connection.send(RedisCommand("DEL", key)) == .integer(1))
        #expect(try connection.send(RedisCommand("GET", key)).isNull)
        #expect(try connection.send(RedisCommand("LRANGE", key, 0, -1)) == .array([]))
        let nested = try connection.send(RedisCommand("EVAL", "return {1, 'two', {3, {}}, redis.status_reply('FINE')}", 0))
        #expect(nested == .array([.integer(1), .bulk(Array("two".utf8)), .array([.integer(3), .array([])]), .status("FINE")]))
        let error = try connection.sendReturningErrors(["NOSUCHCOMMAND"])
        #expect(error.serverError?.code == "ERR")
        #expect(try connection.send(RedisCommand("INCRBY", key, -7)).int == -7)
        try connection.send(RedisCommand("DEL", key))
    }

    @Test(arguments: Topology.plainAndTLS)
    func serverErrorTextIsSurfaced(over topology: Topology) throws {
        let connection = try topology.connection()
        let key = TestRedis.uniquePrefix() + "list"
        try connection.send(RedisCommand("RPUSH", key, "a"))
        #expect {
            try connection.send(RedisCommand("INCR", key))
        } throws: { error in
            guard let error = error as? RedisServerError else { return false }
            return error.code == "WRONGTYPE" && error.message.contains("wrong kind of value")
        }
        #expect(try connection.send(["PING"]) == .status("PONG"), "an error reply leaves the connection usable")
        try connection.send(RedisCommand("DEL", key))
    }

    @Test(arguments: Topology.plainAndTLS)
    func tenThousandCommandPipeline(over topology: Topology) throws {
        let connection = try topology.connection()
        let key = TestRedis.uniquePrefix() + "counter"
        let commands = (0..<10_000).map { _ in RedisCommand("INCR", key) }
        let replies = try connection.pipeline(commands)
        #expect(replies.count == 10_000)
        #expect(replies.first == .integer(1))
        #expect(replies.last == .integer(10_000))
        #expect(replies.map(\.int) == (1...10_000).map { $0 })
        try connection.send(RedisCommand("DEL", key))
    }

    @Test(arguments: Topology.plainAndTLS)
    func pipelineKeepsErrorRepliesInPlace(over topology: Topology) throws {
        let connection = try topology.connection()
        let key = TestRedis.uniquePrefix() + "mixed"
        let replies = try connection.pipeline([RedisCommand("SET", key, "a"), RedisCommand("INCR", key), ["PING"]])
        #expect(replies[0] == .status("OK"))
        #expect(replies[1].serverError != nil)
        #expect(replies[2] == .status("PONG"))
        try connection.send(RedisCommand("DEL", key))
    }

    @Test(arguments: Topology.plainAndTLS)
    func clientNameIsVisibleToOperators(over topology: Topology) throws {
        let name = "sb-test-\(UUID().uuidString.prefix(6))"
        let connection = try topology.connection(name: name)
        try connection.connect()
        let list = try connection.send(["CLIENT", "LIST"]).string ?? ""
        #expect(list.contains("name=\(name)"))
    }

    @Test(arguments: Topology.plainAndTLS)
    func selectsTheConfiguredDatabase(over topology: Topology) throws {
        var configuration = try topology.configuration()
        configuration.database = 3
        let inThree = RedisConnection(configuration: configuration)
        let key = TestRedis.uniquePrefix() + "db"
        try inThree.send(RedisCommand("SET", key, "here"))
        #expect(try topology.connection().send(RedisCommand("EXISTS", key)) == .integer(0))
        #expect(try inThree.send(RedisCommand("GET", key)).string == "here")
        try inThree.send(RedisCommand("DEL", key))
    }

    @Test func tcpConnectionWithKeepAlive() throws {
        let connection = RedisConnection(configuration: try RedisConfiguration(url: TestRedis.tcpURL))
        #expect(try connection.send(["PING"]) == .status("PONG"))
        #expect(try connection.serverVersion().hasPrefix("7."))
    }

    @Test func refusedConnectionSaysWhatToDo() throws {
        let port = try LoopbackPort.free()
        let connection = RedisConnection(configuration: try RedisConfiguration(url: "redis://127.0.0.1:\(port)"))
        #expect {
            try connection.send(["PING"])
        } throws: { error in
            let error = error as! RedisClientError
            return error.kind == .connectFailed && error.message.contains("127.0.0.1:\(port)") && error.recoverySuggestion.contains("REDIS_URL")
        }
    }

    @Test(arguments: Topology.plainAndTLS)
    func sha1MatchesRedis(over topology: Topology) throws {
        let source = "return 'probe ' .. ARGV[1]"
        let loaded = try topology.connection().send(RedisCommand("SCRIPT", "LOAD", source))
        #expect(loaded.string == SHA1.hexDigest(source.utf8))
    }
}
