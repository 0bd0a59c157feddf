import ChildProcess
import Foundation
import Redis
import Testing
import TestSupport

@Suite("switchboard conversation, settings, agent reassign and inspect queue/conversation")
struct ConversationCommandTests {
    private func run(_ harness: PresenceHarness, _ arguments: [String]) throws -> (output: String, status: Int32) {
        try ChildProcess.run(BuiltProducts.switchboard, arguments + ["--redis", harness.redisURL, "--prefix", harness.prefix, "--workspace", harness.workspace])
    }

    /// Runs a command that prints JSON and decodes its object.
    private func json(_ harness: PresenceHarness, _ arguments: [String]) throws -> [String: Any] {
        let result = try run(harness, arguments + ["--json"])
        #expect(result.status == 0, "\(arguments): \(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)")
    }

    /// Runs a command with --wait and expects the worker to have applied it.
    private func applied(_ harness: PresenceHarness, _ arguments: [String]) throws {
        let result = try run(harness, arguments + ["--wait"])
        #expect(result.status == 0 && result.output.contains("\"outcome\":\"applied\""), "\(arguments): \(result.output)")
    }

    private func queued(_ harness: PresenceHarness, team: String? = nil) throws -> (ids: [String], count: Int) {
        let queue = try json(harness, ["inspect", "queue"] + (team.map { ["--team", $0] } ?? []))
        let conversations = queue["conversations"] as? [[String: Any]] ?? []
        return (conversations.compactMap { $0["conversation"] as? String }, queue["count"] as? Int ?? -1)
    }

    /// A supervisor `sup` and an agent `a` known to the workspace but not logged in, so routing leaves the queue alone.
    private func supervisorAndAgent(_ harness: PresenceHarness) throws {
        try harness.apply([("op", "agent.profile"), ("agent", "sup"), ("role", "supervisor")])
        try harness.apply([("op", "agent.profile"), ("agent", "a"), ("capacity", "2")])
    }

    @Test func newAndCloseWaitForTheOutcome() throws {
        let harness = try PresenceHarness()
        try applied(harness, ["conversation", "new", "c1", "--team", "sales", "--priority", "3"])
        let open = try json(harness, ["inspect", "conversation", "c1"])
        #expect(open["state"] as? String == "queued" && open["team"] as? String == "sales" && open["priority"] as? Int == 3)
        #expect(open["created_at"] is Int && open["agent"] == nil)

        try applied(harness, ["conversation", "close", "c1"])
        let closed = try json(harness, ["inspect", "conversation", "c1"])
        #expect(closed["state"] as? String == "closed" && closed["closed_at"] is Int)
        #expect(try queued(harness, team: "sales").count == 0)

        let text = try run(harness, ["inspect", "conversation", "c1"])
        #expect(text.status == 0 && text.output.contains("closed") && text.output.contains("sales"), "\(text.output)")
        let unknown = try run(harness, ["inspect", "conversation", "nope"])
        #expect(unknown.status == 1 && unknown.output.contains("no conversation 'nope'"))
    }

    @Test func inspectQueueListsWaitingConversationsInPriorityOrder() throws {
        let harness = try PresenceHarness()
        try applied(harness, ["conversation", "new", "low"])
        try applied(harness, ["conversation", "new", "high", "--priority", "5"])
        try applied(harness, ["conversation", "new", "other-team", "--team", "billing"])

        let general = try queued(harness)
        #expect(general.ids == ["high", "low"] && general.count == 2)
        let queue = try json(harness, ["inspect", "queue"])
        let first = (queue["conversations"] as? [[String: Any]])?.first
        #expect(first?["position"] as? Int == 1 && first?["priority"] as? Int == 5 && first?["created_at"] is Int)
        #expect(try queued(harness, team: "billing").ids == ["other-team"])

        let text = try run(harness, ["inspect", "queue"])
        let lines = text.output.split(separator: "\n").map(String.init)
        #expect(text.status == 0 && lines.count == 4, "\(text.output)")
        #expect(lines.first?.hasPrefix("POSITION") == true && lines[1].contains("high") && lines[2].contains("low"))
        #expect(lines.last == "2 waiting in the general queue")
        let limited = try run(harness, ["inspect", "queue", "--limit", "1"])
        #expect(limited.output.contains("1 shown of 2 waiting") && !limited.output.contains("low"), "\(limited.output)")
    }

    @Test func aSupervisorAssignsTransfersAndReassigns() throws {
        let harness = try PresenceHarness()
        try supervisorAndAgent(harness)
        try applied(harness, ["conversation", "new", "c1"])

        let refused = try run(harness, ["conversation", "assign", "c1", "a", "--actor", "a", "--wait"])
        #expect(refused.status == 1 && refused.output.contains("may not assign"), "\(refused.output)")

        try applied(harness, ["conversation", "assign", "c1", "a", "--actor", "sup"])
        let assigned = try json(harness, ["inspect", "conversation", "c1"])
        #expect(assigned["state"] as? String == "assigned" && assigned["agent"] as? String == "a" && assigned["assigned_at"] is Int)
        #expect(try queued(harness).count == 0)

        // Back to the queue, at its original place.
        try applied(harness, ["agent", "reassign", "a", "--actor", "sup"])
        let requeued = try json(harness, ["inspect", "conversation", "c1"])
        #expect(requeued["state"] as? String == "queued" && requeued["agent"] == nil)
        #expect(try queued(harness).ids == ["c1"])

        try applied(harness, ["conversation", "assign", "c1", "a", "--actor", "sup"])
        try applied(harness, ["conversation", "transfer", "c1", "billing", "--actor", "sup"])
        let transferred = try json(harness, ["inspect", "conversation", "c1"])
        #expect(transferred["team"] as? String == "billing" && transferred["state"] as? String == "queued" && transferred["agent"] == nil)
        #expect(try queued(harness, team: "billing").ids == ["c1"])
        #expect(try queued(harness).count == 0)
        #expect(try harness.agent("a")["load"] == "0")
    }

    @Test func settingsAreWrittenThenReadBack() throws {
        let harness = try PresenceHarness()
        let before = try json(harness, ["settings"])
        #expect(before["routing"] as? String == "round_robin" && before["default_capacity"] as? Int == 3)
        #expect((before["defaults"] as? [String])?.count == 4)

        try applied(harness, ["settings", "--routing", "least_loaded", "--default-capacity", "5", "--ai-chat", "true"])
        let after = try json(harness, ["settings"])
        #expect(after["routing"] as? String == "least_loaded")
        #expect(after["default_capacity"] as? Int == 5 && after["ai_chat"] as? Bool == true && after["busy_fallback"] as? Bool == false)
        #expect(after["defaults"] as? [String] == ["busy_fallback"])

        let text = try run(harness, ["settings"])
        #expect(text.status == 0 && text.output.contains("least_loaded") && text.output.contains("false (default)"), "\(text.output)")
    }

    @Test func invalidInputIsRefusedBeforeAnythingIsWritten() throws {
        let harness = try PresenceHarness(workers: 0)
        let cases: [(arguments: [String], says: String)] = [
            (["conversation", "new", "c1", "--priority", "abc"], "abc"),
            (["conversation", "new", "c1", "--priority", "1001"], "1001"),
            (["conversation", "new", "a}b"], "a}b"),
            (["conversation", "close", "a}b"], "a}b"),
            (["conversation", "assign", "c1", "a"], "--actor"),
            (["conversation", "transfer", "c1", "a b"], "a b"),
            (["agent", "reassign", "a"], "--actor"),
            (["agent", "reassign", "a", "--actor", "sup", "--to", "x{y"], "x{y"),
            (["settings", "--routing", "fastest"], "fastest"),
            (["settings", "--busy-fallback", "yes"], "yes"),
            (["settings", "--default-capacity", "-1"], "-1"),
            (["inspect", "queue", "--team", "a}b"], "a}b"),
        ]
        for (arguments, says) in cases {
            let result = try run(harness, arguments)
            #expect(result.status == 64 && result.output.contains(says), "\(arguments): \(result.status) \(result.output)")
        }
        #expect(try harness.connection.send(RedisCommand("EXISTS", "\(harness.prefix):intake")).int == 0)
    }
}
