import Foundation
import Redis
import Testing
import TestSupport

/// A worker on a `redis-sentinel://` URL follows a failover by itself.
@Suite("Sentinel failover")
struct SentinelFailoverTests {
    @Test func aWorkerAppliesEntriesWrittenToThePromotedReplicaWithoutARestart() throws {
        let group = try RedisSentinelGroup(masterName: "e2e")
        let harness = try PresenceHarness(workers: 1, redisURL: group.url)
        let before = try harness.apply([("op", "agent.login"), ("agent", "a1"), ("session", "s1")], timeout: 30)
        #expect(before["outcome"] as? String == "applied")
        // The login reached the replica before the primary dies (replication is asynchronous).
        #expect(try harness.connection.send(RedisCommand("WAIT", 1, 5000)).int == 1)

        let old = try group.primaryPort()
        group.server(port: old)!.kill()
        let promoted = try group.awaitPrimary(otherThan: old)

        // The harness's connection also goes through the sentinels: this entry is written to
        // the promoted replica, where the same worker, reconnecting by itself, applies it.
        let after = try harness.apply([("op", "agent.login"), ("agent", "a2"), ("session", "s2")], timeout: 60)
        #expect(after["outcome"] as? String == "applied")
        #expect(try harness.connection.info("server")["tcp_port"] == String(promoted))
        #expect(try harness.agent("a1")["status"] != nil, "the entry applied before the failover survived it")
        #expect(try harness.agent("a2")["status"] != nil)
        #expect(harness.workers[0].isRunning)
        #expect(try harness.awaitDrained(timeout: 30), "every entry acknowledged on the new primary")
    }
}
