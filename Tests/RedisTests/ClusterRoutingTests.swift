import Foundation
import Testing
import TestSupport
@testable import Redis

/// Keys of the shared cluster, one test's own, that land on different primaries.
struct ClusterKeys {
    let connection: RedisConnection
    let prefix = TestRedis.uniquePrefix()

    init(_ url: String? = nil) throws {
        connection = RedisConnection(configuration: try RedisConfiguration(url: url ?? TestRedis.clusterURL))
    }

    init(configuration: RedisConfiguration) {
        connection = RedisConnection(configuration: configuration)
    }

    /// One key per primary, in the order of the primaries' lowest slots.
    func onePerPrimary() throws -> [String] {
        let primaries = try connection.sendToEveryPrimary(["PING"]).map(\.node)
        var keys = [String?](repeating: nil, count: primaries.count)
        for index in 0..<1000 where keys.contains(nil) {
            let key = "\(prefix){w\(index)}"
            let owner = try primaries.firstIndex { node in
                try connection.send(RedisCommand("EXISTS", key), toPrimary: node).serverError == nil
            }
            if let owner, keys[owner] == nil { keys[owner] = key }
        }
        return keys.compactMap { $0 }
    }
}

@Suite("Cluster: routing on the shared cluster")
struct ClusterRoutingTests {
    @Test func oneSeedReachesKeysOnEveryPrimary() throws {
        let seed = try TestRedis.clusterURL.split(separator: ",")[0]
        let keys = try ClusterKeys(String(seed))
        #expect(try keys.connection.isCluster())
        let perPrimary = try keys.onePerPrimary()
        #expect(perPrimary.count == 3)
        for key in perPrimary {
            try keys.connection.send(RedisCommand("SET", key, key + "-value"))
            #expect(try keys.connection.send(RedisCommand("GET", key)).string == key + "-value")
            try keys.connection.send(RedisCommand("DEL", key))
        }
        #expect(keys.connection.connectCount >= 3, "one link per primary")
        keys.connection.close()
        for key in perPrimary {
            #expect(throws: RedisClientError.self) { try keys.connection.send(RedisCommand("GET", key)) }
        }
        #expect((try? keys.connection.sendToEveryPrimary(["PING"])) == nil, "closed, links to every node included")
    }

    @Test func aDeadFirstSeedIsSkipped() throws {
        let url = "redis://127.0.0.1:\(try LoopbackPort.free())," + String(try TestRedis.clusterURL.dropFirst("redis://".count))
        let connection = RedisConnection(configuration: try RedisConfiguration(url: url))
        #expect(try connection.isCluster())
        let key = TestRedis.uniquePrefix() + "seed"
        try connection.send(RedisCommand("SET", key, "1"))
        #expect(try connection.send(RedisCommand("GET", key)).string == "1")
        try connection.send(RedisCommand("DEL", key))
    }

    @Test func aSingleRedisIsNotACluster() throws {
        let connection = try TestRedis.connection()
        #expect(try connection.isCluster() == false)
        #expect(try connection.keyGroupsForOneCommand(["{a}1", "{b}1"]) == [["{a}1", "{b}1"]])
    }

    @Test func aPipelineSpanningThreeNodesKeepsItsOrder() throws {
        let keys = try ClusterKeys()
        let perPrimary = try keys.onePerPrimary()
        try #require(perPrimary.count == 3)
        let (a, b, c) = (perPrimary[0], perPrimary[1], perPrimary[2])
        let replies = try keys.connection.pipeline([
            RedisCommand("SET", a, "1"), RedisCommand("RPUSH", b, "x"), RedisCommand("SET", c, "3"),
            RedisCommand("INCR", b),  // WRONGTYPE, in the middle
            RedisCommand("GET", a), RedisCommand("LLEN", b), RedisCommand("GET", c), RedisCommand("PING"),
            RedisCommand("DEL", a), RedisCommand("DEL", b), RedisCommand("DEL", c),
        ])
        #expect(replies.count == 11)
        #expect(replies[0] == .status("OK") && replies[1] == .integer(1) && replies[2] == .status("OK"))
        #expect(replies[3].serverError?.code == "WRONGTYPE")
        #expect(replies[4].string == "1" && replies[5] == .integer(1) && replies[6].string == "3" && replies[7] == .status("PONG"))
        #expect(replies[8...].allSatisfy { $0 == .integer(1) })
    }

    @Test func topologyQuestions() throws {
        let keys = try ClusterKeys()
        #expect(try keys.connection.keyGroupsForOneCommand(["{a}1", "{b}1", "{a}2", "c"]) == [["{a}1", "{a}2"], ["{b}1"], ["c"]])
        let everyPrimary = try keys.connection.sendToEveryPrimary(["CLUSTER", "MYID"])
        #expect(everyPrimary.count == 3 && Set(everyPrimary.compactMap(\.reply.string)).count == 3)
        for key in try keys.onePerPrimary() { try keys.connection.send(RedisCommand("SET", key, "w")) }
        #expect(try keys.connection.waitForReplicas(1, timeout: .seconds(5)) >= 1)
        for key in try keys.onePerPrimary() { try keys.connection.send(RedisCommand("DEL", key)) }
    }

    @Test func multiKeyCommandsOverSlotsAreRefused() throws {
        let keys = try ClusterKeys()
        let perPrimary = try keys.onePerPrimary()
        let reply = try keys.connection.sendReturningErrors(RedisCommand("DEL", perPrimary[0], perPrimary[1]))
        #expect(reply.serverError?.code == "CROSSSLOT")
    }

    @Test func functionsAreCalledOnEveryPrimary() throws {
        let keys = try ClusterKeys()
        let library = RedisFunctionLibrary(prefix: "clustertest", code: "redis.register_function(LIBRARY .. '_echo', function(keys, args) return redis.call('SET', keys[1], args[1]) end)")
        keys.connection.librariesLoadedOnConnect = [library]
        let echo = library.function("echo")
        let perPrimary = try keys.onePerPrimary()
        let replies = try keys.connection.callPipelined(perPrimary.map { (echo, echo.command(keys: [$0], arguments: ["v"])) })
        #expect(replies == [RedisValue](repeating: .status("OK"), count: 3))
        for key in perPrimary { #expect(try keys.connection.call(echo, keys: [key], arguments: ["w"]) == .status("OK")) }
        for key in perPrimary { try keys.connection.send(RedisCommand("DEL", key)) }
    }
}
