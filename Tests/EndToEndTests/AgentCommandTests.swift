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
        #expect(snapshot["eligible"] == nil || snapshot["eligible"] as? Bool == false)

        let table = try run(harness, ["inspect", "agents"])
        #expect(table.status == 0 && table.output.contains("AGENT") && table.output.contains("away") && table.output.contains("Lunch"))
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
        watch.signal(SIGINT)
        #expect(watch.waitOrKill(after: .seconds(20)) == 0, "watch did not stop within 20 s of SIGINT")
        let lines = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == 2)
        #expect(lines.last?.contains("\"status\":\"dnd\"") == true)
    }
}
