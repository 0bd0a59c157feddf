import Foundation
import Testing
import TestSupport
@testable import Redis

/// `WAIT` confirms only the writes of the connection it runs on: waitForReplicas must not
/// confirm writes made before a reconnect, and must not count nodes that only served reads.
@Suite("Waiting for replicas")
struct ReplicaWaitTests {
    /// Closes a connection's link from the server side, then has it reconnect.
    private func killAndReconnect(_ link: RedisConnection, killer: (RedisCommand) throws -> Void) throws {
        let before = link.connectCount
        let id = try #require(try link.send(["CLIENT", "ID"]).int)
        try killer(RedisCommand("CLIENT", "KILL", "ID", id))
        #expect(eventually(upTo: 10) { (try? link.send(["PING"])) != nil && link.connectCount > before })
    }

    @Test func throughSentinelAWriteBeforeAReconnectIsNotConfirmed() throws {
        let configuration = try RedisConfiguration(url: try TestRedis.sentinelURL)
        let connection = RedisConnection(configuration: configuration), other = RedisConnection(configuration: configuration)
        let key = TestRedis.uniquePrefix() + "wait"
        try connection.send(RedisCommand("SET", key, "1", "EX", 60))
        #expect(try connection.waitForReplicas(1, timeout: .seconds(10)) == 1)

        try connection.send(RedisCommand("SET", key, "2", "EX", 60))
        try killAndReconnect(connection) { try other.send($0) }
        #expect(try connection.waitForReplicas(1, timeout: .seconds(10)) == 0, "the write ran on the connection that was lost")
        #expect(try connection.waitForReplicas(1, timeout: .seconds(10)) == 1, "nothing unconfirmed is left")
    }

    @Test func onAClusterALinkReconnectedSinceItsWriteConfirmsNothingAndReadsDoNotCount() throws {
        let keys = try ClusterKeys()
        let connection = keys.connection, other = RedisConnection(configuration: keys.connection.configuration)
        let perPrimary = try keys.onePerPrimary()
        let (written, read) = (perPrimary[0], perPrimary[1])
        let router = try #require(try connection.clusterRouter())
        let writtenNode = router.primary(ofSlot: ClusterSlot.of(written)), readNode = router.primary(ofSlot: ClusterSlot.of(read))
        #expect(try connection.waitForReplicas(1, timeout: .seconds(10)) == 1)

        // A node that only served reads has nothing to confirm: its reconnect does not matter.
        try connection.send(RedisCommand("SET", written, "1", "EX", 60))
        _ = try connection.send(RedisCommand("GET", read))
        try killAndReconnect(router.link(to: readNode)) { try other.send($0, toPrimary: readNode.description) }
        #expect(try connection.waitForReplicas(1, timeout: .seconds(10)) == 1)

        // The written node's link reconnected: WAIT there says nothing of the write.
        try connection.send(RedisCommand("SET", written, "2", "EX", 60))
        try killAndReconnect(router.link(to: writtenNode)) { try other.send($0, toPrimary: writtenNode.description) }
        #expect(try connection.waitForReplicas(1, timeout: .seconds(10)) == 0, "the write ran on the link that was lost")
        #expect(try connection.waitForReplicas(1, timeout: .seconds(10)) == 1, "nothing unconfirmed is left")
        try connection.send(RedisCommand("DEL", written))
    }
}
