import Foundation
import Redis
import Testing
import TestSupport

/// `kill -9` of a primary holding a workspace, on a private 3 + 3 cluster, with workers
/// started with `--wait-replicas 1`. The workspace's replica is stopped first, so the
/// primary's last writes reach no replica (what asynchronous replication may always do):
/// an entry acknowledged then would be lost with the primary. The replica is promoted, the
/// workers carry on without a restart, and every entry the producer saw acknowledged before
/// the kill has its effect afterwards; the rest are applied again on the new primary (and
/// acknowledged once the killed node, restarted, has rejoined as its replica: with one
/// replica per primary, WAIT 1 cannot succeed before).
@Suite("A primary killed under the workers")
struct ClusterFailoverTests {
    @Test(.timeLimit(.minutes(3)))
    func withWaitReplicasEveryEntryAcknowledgedBeforeTheKillKeepsItsEffect() throws {
        let cluster = try RedisClusterProcess(primaries: 3, replicasPerPrimary: 1)
        let harness = try PresenceHarness(workers: 2, workerArguments: ["--wait-replicas", "1"], shards: 4, redisURL: cluster.url)
        // The doomed workspace's intake stream is on another primary, so its entries outlive the kill.
        let map = try ClusterSlotOwners(url: cluster.url)
        let home = { (key: String) in map.primary(ofSlot: ClusterSlotOwners.slot(of: key)) }
        let names = (0..<200).map { _ in "ws-\(UUID().uuidString.prefix(6).lowercased())" }
        let doomed = try #require(names.first { home("{\($0)}") != home(harness.intake(for: $0)) })
        let bystander = try #require(names.first { home("{\($0)}") != home("{\(doomed)}") })
        let doomedSlot = ClusterSlotOwners.slot(of: "{\(doomed)}")
        let primary = try #require(cluster.node(port: try cluster.primaryPort(ofSlot: doomedSlot)))
        let replica = try cluster.replica(ofPrimaryPort: primary.port!)

        for workspace in [doomed, bystander] {
            try harness.apply([("workspace", workspace), ("op", "agent.profile"), ("agent", "a"), ("capacity", "100")])
            try harness.apply([("workspace", workspace), ("op", "agent.login"), ("agent", "a"), ("session", "s")])
            for index in 0..<5 { try harness.apply([("workspace", workspace), ("op", "conversation.new"), ("conversation", "before-\(index)")]) }
        }

        // From now on the doomed primary's writes reach no replica.
        replica.signal(SIGSTOP)
        var thawed = false
        defer { if !thawed { replica.signal(SIGCONT) } }
        // Written at once, so that the workers find them together.
        let entries = (0..<20).flatMap { index in [doomed, bystander].map { (workspace: $0, conversation: "during-\(index)") } }
        let ids = try harness.connection.pipeline(entries.map { entry in
            RedisCommand("XADD", harness.intake(for: entry.workspace), "*", "workspace", entry.workspace, "op", "conversation.new", "conversation", entry.conversation)
        }).map { try $0.orThrow().string ?? "" }
        let written = zip(entries, ids).map { (workspace: $0.workspace, conversation: $0.conversation, id: $1) }
        // Some of the doomed workspace's entries were applied on its primary, which no replica
        // heard (a worker answers an entry only once it is acknowledged: look at the effect).
        #expect(try eventually(upTo: 20) {
            try harness.connection.pipeline((0..<20).map { RedisCommand("EXISTS", harness.workspaceKey("conversation:during-\($0)", of: doomed)) })
                .contains { $0.int == 1 }
        }, "entries were applied on the doomed primary before the kill")
        // What the producer sees acknowledged: the entries deleted from their intake stream.
        let acknowledged = try written.filter { entry in
            try harness.connection.send(RedisCommand("XRANGE", harness.intake(for: entry.workspace), entry.id, entry.id)).array?.isEmpty == true
        }
        #expect(!acknowledged.contains { $0.workspace == doomed }, "nothing applied on a primary without a live replica is acknowledged")

        primary.kill()
        replica.signal(SIGCONT)
        thawed = true
        try #require(eventually(upTo: 30) { (try? cluster.primaryPort(ofSlot: doomedSlot)) == replica.port }, "the replica took over")
        // The killed node comes back as the new primary's replica: with --wait-replicas 1 the
        // workspace's entries are acknowledged again once a replica confirms them.
        try primary.restart()
        try #require(eventually(upTo: 30) { (try? cluster.cli(["ROLE"], node: primary))?.hasPrefix("slave") == true }, "the old primary rejoined as a replica")
        try cluster.awaitHealthy(upTo: .seconds(30))

        // The workers carry on by themselves: what was pending and what comes now is applied.
        try harness.apply([("workspace", doomed), ("op", "conversation.new"), ("conversation", "after")], timeout: 30)
        #expect(try harness.awaitDrained(timeout: 60), "every entry was applied and acknowledged")
        #expect(harness.workers.allSatisfy { $0.isRunning }, "no worker died")
        for entry in acknowledged {
            #expect(try harness.connection.send(RedisCommand("HGET", harness.workspaceKey("conversation:\(entry.conversation)", of: entry.workspace), "state")).string != nil,
                    "\(entry.workspace)'s \(entry.conversation) was acknowledged before the kill and is kept")
        }
        for workspace in [doomed, bystander] {
            let conversations = (0..<5).map { "before-\($0)" } + (0..<20).map { "during-\($0)" } + (workspace == doomed ? ["after"] : [])
            let replay = RoutingReplay(events: try harness.events(workspace: workspace), capacity: ["a": 100])
            #expect(replay.violations.isEmpty, "\(workspace): \(replay.violations.prefix(5))")
            let disagreements = try replay.disagreements(in: harness, workspace: workspace, conversations: conversations, agents: ["a"])
            #expect(disagreements.isEmpty, "\(workspace): \(disagreements.count) disagreements, first: \(disagreements.prefix(5))")
        }
    }
}
