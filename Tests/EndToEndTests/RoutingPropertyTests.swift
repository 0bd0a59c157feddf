import Foundation
import Redis
import Testing
import TestSupport

/// Four workers route thousands of conversations while agents change status and
/// conversations close. Afterwards the events log, read in order, must show that no agent
/// ever went over capacity, nothing went to an agent who was not Online at that moment,
/// and no conversation was assigned twice or lost.
@Suite("Routing under four workers")
struct RoutingPropertyTests {
    /// With one intake stream, and with four shards (every worker reads them all at once), on
    /// a single Redis; on the cluster with four shards (the intake streams on several primaries).
    @Test(arguments: [(Topology.standalone, 1), (.standalone, 4), (.cluster, 4)])
    func noDoubleAssignmentNoOverCapacityNoIneligibleAgentNothingLost(topology: Topology, shards: Int) throws {
        let harness = try PresenceHarness(workers: 4, workerArguments: ["--batch-size", "50"], shards: shards, topology: topology)
        var rng = SystemRandomNumberGenerator()
        let agents = (0..<200).map { "ag\($0)" }
        var capacity: [String: Int] = [:]
        var entries: [[(String, String)]] = []
        for agent in agents {
            capacity[agent] = Int.random(in: 1...4, using: &rng)
            entries.append([("op", "agent.profile"), ("agent", agent), ("capacity", String(capacity[agent]!))])
            entries.append([("op", "agent.login"), ("agent", agent), ("session", "s")])
        }
        let statuses = ["online", "online", "busy", "away", "dnd"]
        for index in 0..<5_000 {
            entries.append([("op", "conversation.new"), ("conversation", "c\(index)")])
            if Int.random(in: 0..<3, using: &rng) == 0 {
                entries.append([("op", "agent.status"), ("agent", agents.randomElement(using: &rng)!), ("status", statuses.randomElement(using: &rng)!)])
            }
            if index > 50, Int.random(in: 0..<2, using: &rng) == 0 {
                entries.append([("op", "conversation.close"), ("conversation", "c\(Int.random(in: 0..<index, using: &rng))")])
            }
        }
        for chunk in stride(from: 0, to: entries.count, by: 500) {
            let commands = entries[chunk..<min(chunk + 500, entries.count)].map { fields -> RedisCommand in
                var command = RedisCommand("XADD", harness.intake(), "*", "workspace", harness.workspace)
                for (name, value) in fields { command.append(name); command.append(value) }
                return command
            }
            for reply in try harness.connection.pipeline(commands) { _ = try reply.orThrow() }
        }
        // Settled: every entry acknowledged and trimmed.
        let settled = try harness.awaitDrained()
        #expect(settled, "the workers applied every entry")
        #expect(try harness.deadLetters().isEmpty)

        // Replay the events log in order; then every conversation is exactly one of queued,
        // assigned to one agent, or closed, and every agent's load matches.
        let replay = RoutingReplay(events: try harness.events(), capacity: capacity)
        #expect(replay.violations.isEmpty, "\(replay.violations.count) violations, first: \(replay.violations.prefix(5))")
        #expect(replay.holder.count > 300 && replay.closed.count > 300, "the run exercised routing: \(replay.holder.count) assigned, \(replay.closed.count) closed")
        let disagreements = try replay.disagreements(in: harness, conversations: (0..<5_000).map { "c\($0)" }, agents: agents)
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(5))")
    }
}
