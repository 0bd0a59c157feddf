import ChildProcess
import Foundation
import Redis
import Testing
import TestSupport

@Suite("switchboard agent, inspect and watch")
struct AgentCommandTests {
    private func run(_ harness: PresenceHarness, _ arguments: [String]) throws -> (output: String, status: Int32) {
        try ChildProcess.run(BuiltProducts.switchboard, arguments + ["--redis", harness.redisURL, "--prefix", harness.prefix, "--workspace", harness.workspace])
    }

    @Test func agentCommandsWaitForTheOutcomeAndInspectShowsTheState() throws {
        let harness = try PresenceHarness()
        let login = try run(harness, ["agent", "login", "42", "--session", "tab1", "--wait"])
        #expect(login.status == 0 && login.output.contains("\"outcome\":\"applied\""), "\(login.output)")
        let away = try run(harness, ["agent", "status", "42", "away", "--message", "Lunch", "--wait"])
        #expect(away.status == 0, "\(away.output)")

        let one = try run(harness, ["inspect", "agent", "42", "--json"])
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(one.output.utf8)) as? [String: Any])
        #expect(snapshot["status"] as? String == "away")
        #expect(snapshot["message"] as? String == "Lunch")
        #expect((snapshot["sessions"] as? [String: Any])?.keys.sorted() == ["tab1"])
        #expect(snapshot["eligible"] as? Bool == false, "away: routing gives them nothing")
        #expect(snapshot["routing"] as? String == "status")
        #expect(snapshot["load"] as? Int == 0)

        let table = try run(harness, ["inspect", "agents"])
        #expect(table.status == 0 && table.output.contains("AGENT") && table.output.contains("away") && table.output.contains("Lunch"))
        #expect(table.output.contains("no (away)"), "\(table.output)")

        #expect(try run(harness, ["agent", "status", "42", "online", "--wait"]).status == 0)
        let online = try #require(try JSONSerialization.jsonObject(with: Data(try run(harness, ["inspect", "agent", "42", "--json"]).output.utf8)) as? [String: Any])
        #expect(online["eligible"] as? Bool == true && online["routing"] as? String == "pool")
        let missing = try run(harness, ["inspect", "agent", "nobody"])
        #expect(missing.status == 1 && missing.output.contains("has no agent 'nobody'"))
    }

    /// `inspect workspace`: the snapshot as JSON (version, agents in full, queues, widget,
    /// settings) and a table that counts only agents routing may pick.
    @Test func inspectWorkspaceShowsTheSnapshotWithItsVersion() throws {
        let harness = try PresenceHarness()
        try harness.apply([("op", "agent.login"), ("agent", "on"), ("session", "s")])
        try harness.apply([("op", "agent.status"), ("agent", "nosession"), ("status", "online")])
        try harness.apply([("op", "conversation.new"), ("conversation", "c1"), ("team", "sales")])
        let json = try run(harness, ["inspect", "workspace", "--json"])
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any], "\(json.output)")
        let version = try harness.connection.send(RedisCommand("HGET", harness.key("meta"), "version")).string
        #expect((snapshot["version"] as? Int).map(String.init) == version)
        let agents = try #require(snapshot["agents"] as? [[String: Any]])
        #expect(agents.map { $0["agent"] as? String } == ["nosession", "on"])
        #expect(agents.map { $0["routing"] as? String } == ["no_session", "pool"])
        #expect((snapshot["queues"] as? [String: Any])?["teams"] as? [String: Int] == ["sales": 1])
        #expect((snapshot["settings"] as? [String: Any])?["default_capacity"] as? Int == 3)
        #expect((snapshot["widget"] as? [String: Any])?["state"] as? String == "online")
        #expect(snapshot["sessions"] as? Int == 1)

        let table = try run(harness, ["inspect", "workspace"])
        #expect(table.status == 0 && table.output.contains("2, 1 eligible for routing now"), "\(table.output)")
        #expect(table.output.contains("version    \(version ?? "?")"), "\(table.output)")
    }

    @Test func invalidInputIsRefusedBeforeAnythingIsWritten() throws {
        let harness = try PresenceHarness(workers: 0)
        let bad = try run(harness, ["agent", "status", "42", "sleeping"])
        #expect(bad.status == 64 && bad.output.contains("sleeping"))
        let injected = try run(harness, ["agent", "login", "a}b", "--session", "s"])
        #expect(injected.status == 64)
        #expect(try harness.connection.send(RedisCommand("EXISTS", "\(harness.prefix):intake")).int == 0)
    }

    @Test func aRefusedOverrideExitsNonZeroWithTheReason() throws {
        let harness = try PresenceHarness()
        try harness.apply([("op", "agent.login"), ("agent", "42"), ("session", "s")])
        let refused = try run(harness, ["agent", "status", "42", "offline", "--actor", "7", "--wait"])
        #expect(refused.status == 1 && refused.output.contains("may not change the status"))
    }

    @Test func watchPrintsEachBroadcastAsOneLine() throws {
        let harness = try PresenceHarness()
        let output = NSTemporaryDirectory() + "sb-watch-\(harness.prefix).log"
        let watch = try ChildProcess(executable: BuiltProducts.switchboard,
                                     arguments: ["watch", "--json", "--redis", harness.redisURL, "--prefix", harness.prefix, "--workspace", harness.workspace],
                                     outputPath: output)
        defer { watch.signal(SIGINT); _ = watch.waitOrKill(after: .seconds(10)) }
        // Subscribed once the watcher counts among the channel's subscribers.
        let channel = harness.key("status")
        var subscribed = false
        for _ in 0..<500 where !subscribed {
            let counts = try harness.connection.send(RedisCommand("PUBSUB", "NUMSUB", channel)).array ?? []
            subscribed = (counts.last?.int ?? 0) > 0
            if !subscribed { usleep(10_000) }
        }
        #expect(subscribed)
        try harness.apply([("op", "agent.login"), ("agent", "w1"), ("session", "s")])
        try harness.apply([("op", "agent.status"), ("agent", "w1"), ("status", "dnd")])
        // The broadcasts reach the watcher in its own time: wait for both lines, then stop it
        // (a SIGINT sent at once races their delivery).
        func printed() -> [Substring] {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.hasPrefix("{") }
        }
        #expect(eventually { printed().count >= 2 })
        watch.signal(SIGINT)
        #expect(watch.waitOrKill(after: .seconds(20)) == 0, "watch did not stop within 20 s of SIGINT")
        let lines = printed()
        #expect(lines.count == 2)
        #expect(lines.last?.contains("\"status\":\"dnd\"") == true)
    }
}
