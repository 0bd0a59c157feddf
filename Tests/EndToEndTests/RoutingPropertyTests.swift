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
    /// With one intake stream, and with four shards (every worker reads them all at once).
    @Test(arguments: [1, 4])
    func noDoubleAssignmentNoOverCapacityNoIneligibleAgentNothingLost(shards: Int) throws {
        let harness = try PresenceHarness(workers: 4, workerArguments: ["--batch-size", "50"], shards: shards)
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

        // Replay the events log in order.
        var status: [String: String] = [:]
        var open: [String: Set<String>] = [:]      // agent → its open conversations
        var holder: [String: String] = [:]          // conversation → agent
        var closed = Set<String>()
        var violations: [String] = []
        for event in try harness.events() {
            switch event["type"] {
            case "status":
                status[event["agent_id"]!] = event["status"]
            case "assigned":
                let conversation = event["conversation_id"]!, agent = event["agent_id"]!
                if holder[conversation] != nil { violations.append("\(conversation) assigned twice") }
                if closed.contains(conversation) { violations.append("\(conversation) assigned after closing") }
                if status[agent] != "online" || event["agent_status"] != "online" {
                    violations.append("\(conversation) went to \(agent) while \(status[agent] ?? "unknown")")
                }
                holder[conversation] = agent
                open[agent, default: []].insert(conversation)
                if open[agent]!.count > capacity[agent]! { violations.append("\(agent) over capacity: \(open[agent]!.count) > \(capacity[agent]!)") }
            case "closed":
                let conversation = event["conversation_id"]!
                closed.insert(conversation)
                if let agent = holder[conversation] { open[agent]?.remove(conversation) }
            default:
                break
            }
        }
        #expect(violations.isEmpty, "\(violations.count) violations, first: \(violations.prefix(5))")
        #expect(holder.count > 300 && closed.count > 300, "the run exercised routing: \(holder.count) assigned, \(closed.count) closed")

        // Every conversation is exactly one of queued, assigned to one agent, or closed.
        for index in 0..<5_000 {
            let id = "c\(index)"
            let stored = try harness.connection.send(RedisCommand("HMGET", harness.key("conversation:\(id)"), "state", "agent")).array ?? []
            let state = stored.first?.string
            let inQueue = try harness.connection.send(RedisCommand("ZSCORE", harness.key("queue"), id)).isNull == false
            switch state {
            case "queued": #expect(inQueue && holder[id] == nil && !closed.contains(id), "\(id) queued")
            case "assigned":
                #expect(!inQueue && !closed.contains(id) && holder[id] == stored[1].string, "\(id) assigned")
            case "closed": #expect(!inQueue && closed.contains(id), "\(id) closed")
            default: Issue.record("\(id) is lost: \(stored)")
            }
        }
        for agent in agents {
            let load = try harness.agent(agent)["load"].flatMap { Int($0) } ?? 0
            let members = try harness.connection.send(RedisCommand("SCARD", harness.key("agent:\(agent):conversations"))).int ?? 0
            #expect(load == members && load == (open[agent]?.count ?? 0), "\(agent) load \(load), open \(members)")
        }
    }
}
