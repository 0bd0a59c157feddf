import Foundation
import Redis
import Testing
import TestSupport

/// A steady routing load on three busy workspaces, one on each primary of a private cluster,
/// while the slot of one of them is moved to another primary key by key (the clients meet
/// ASK and TRYAGAIN, then MOVED). Afterwards every workspace's events log, replayed in order,
/// shows nothing lost, nothing doubled and no agent over capacity.
@Suite("Live resharding under load")
struct ClusterReshardingTests {
    @Test(.timeLimit(.minutes(3)))
    func aBusyWorkspaceMovedToAnotherPrimaryLosesAndDoublesNothing() throws {
        let cluster = try RedisClusterProcess(primaries: 3, replicasPerPrimary: 0)
        let harness = try PresenceHarness(workers: 2, workerArguments: ["--batch-size", "20"], shards: 4, redisURL: cluster.url)
        let workspaces = try ClusterSlotOwners.workspacesOnEveryPrimary(of: cluster.url)
        let load = RoutingLoad(harness: harness, workspaces: workspaces)
        try load.setUp()
        let generator = Thread { load.run() }
        generator.start()
        defer { load.stop() }

        // Move the first workspace's slot once the load is under way, and go on until the
        // load has run a while on the new owner.
        #expect(load.rounds.wait(upTo: 60) { $0.count >= 5 }, "the load started: \(load.failure ?? "")")
        let moved = workspaces[0]
        let slot = ClusterSlotOwners.slot(of: "{\(moved)}")
        let source = try cluster.primaryPort(ofSlot: slot)
        let target = try cluster.primaryPort(ofSlot: ClusterSlotOwners.slot(of: "{\(workspaces[1])}"))
        #expect(source != target, "the workspaces are on different primaries")
        let roundsBefore = load.rounds.all.count
        try cluster.moveSlot(slot, toPrimaryPort: target)
        #expect(try cluster.primaryPort(ofSlot: slot) == target)
        #expect(try cluster.cli(["EXISTS", harness.workspaceKey("events", of: moved)], node: cluster.node(port: target)).contains("1"),
                "the workspace's keys are on the new primary")
        let roundsDuringMove = load.rounds.all.count - roundsBefore
        #expect(load.rounds.wait(upTo: 60) { $0.count >= roundsBefore + roundsDuringMove + 5 }, "the load went on after the move: \(load.failure ?? "")")
        load.stop()
        #expect(load.finished.wait(upTo: 60) { !$0.isEmpty }, "the load stopped")
        #expect(load.failure == nil, "\(load.failure ?? "")")

        #expect(try harness.awaitDrained(timeout: 60), "the workers applied every entry")
        let deadLetters = try harness.deadLetters()
        #expect(deadLetters.isEmpty, "\(deadLetters.count) dead letters, first: \(deadLetters.prefix(3))")
        #expect(harness.workers.allSatisfy { $0.isRunning }, "no worker died")
        for workspace in workspaces {
            let replay = RoutingReplay(events: try harness.events(workspace: workspace), capacity: load.capacity)
            #expect(replay.violations.isEmpty, "\(workspace): \(replay.violations.count) violations, first: \(replay.violations.prefix(5))")
            #expect(replay.holder.count > 20, "\(workspace) was busy: \(replay.holder.count) assigned")
            let disagreements = try replay.disagreements(in: harness, workspace: workspace, conversations: load.conversations(of: workspace), agents: load.agents)
            #expect(disagreements.isEmpty, "\(workspace): \(disagreements.count) disagreements, first: \(disagreements.prefix(5))")
        }
    }
}
