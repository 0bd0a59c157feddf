import Foundation
import Glibc
import Redis
import Testing
import TestSupport

/// `--wait-replicas K`: a batch is acknowledged (and its replies pushed) only once K replicas
/// hold its writes; while they cannot confirm, its entries stay pending and are applied again.
@Suite("Durability: --wait-replicas")
struct WaitReplicasTests {
    @Test func entriesStayPendingUntilAReplicaHoldsTheirWrites() throws {
        let primary = try RedisServerProcess(tcp: true)
        let replica = try RedisServerProcess(tcp: true, arguments: ["--replicaof", "127.0.0.1", String(primary.port ?? 0)])
        try replica.awaitCLI("INFO", "replication", prints: "master_link_status:up")
        let harness = try PresenceHarness(workers: 1, workerArguments: ["--wait-replicas", "1", "--wait-timeout", "200ms"], redisURL: primary.url)
        let worker = harness.workers[0]

        // With the replica keeping up: applied, acknowledged, nothing pending.
        #expect(try harness.apply([("op", "agent.login"), ("agent", "a"), ("session", "s1")])["outcome"] as? String == "applied")
        #expect(try harness.awaitDrained(timeout: 15))

        // The replica stops acknowledging: the entry is applied on the primary but neither
        // acknowledged nor answered.
        replica.signal(SIGSTOP)
        defer { replica.signal(SIGCONT) }
        let id = try harness.submit([("op", "agent.status"), ("agent", "a"), ("status", "away")], reply: true)
        #expect(try eventually { worker.log.contains("Only 0 of the 1 replicas asked for (--wait-replicas)") }, "log: \(worker.log.suffix(2_000))")
        #expect(try eventually { try harness.agent("a")["status"] == "away" }, "applied on the primary meanwhile")
        #expect(try !harness.intakeDrained(), "the entry stays pending")
        #expect(try harness.connection.send(RedisCommand("LLEN", harness.replyKey(id))).int == 0, "no reply before the replica has it")

        // The replica is back: the entry is applied again (stale: no second effect),
        // acknowledged and answered.
        replica.signal(SIGCONT)
        let reply = try harness.connection.send(RedisCommand("BLPOP", harness.replyKey(id), "20"), timeout: .seconds(22))
        let outcome = reply.array?.last?.string.map(PresenceHarness.decode)?["outcome"] as? String
        #expect(outcome == "applied" || outcome == "stale", "\(reply)")
        #expect(try harness.awaitDrained(timeout: 15))
        #expect(try harness.events().filter { $0["type"] == "status" && $0["status"] == "away" }.count == 1, "applied once in effect")
        let replicaConnection = RedisConnection(configuration: replica.configuration())
        #expect(try replicaConnection.send(RedisCommand("HGET", harness.key("agent:a"), "status")).string == "away", "the replica holds it")
        #expect(worker.isRunning)
    }
}
