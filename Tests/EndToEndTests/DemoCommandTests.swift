import ChildProcess
import Foundation
import Redis
import Testing
import TestSupport

@Suite("switchboard demo")
struct DemoCommandTests {
    private func arguments(_ harness: PresenceHarness) -> [String] {
        ["--redis", harness.redisURL, "--prefix", harness.prefix, "--workspace", harness.workspace]
    }

    @Test func aShortRunSeedsAgentsAndGetsConversationsRouted() throws {
        let harness = try PresenceHarness(workers: 1)
        let run = try ChildProcess.run(BuiltProducts.switchboard,
                                       ["demo", "--no-view", "--duration", "4s", "--rate", "20", "--seed", "7"] + arguments(harness))
        #expect(run.status == 0, "\(run.output)")

        let agents = Set((try harness.connection.send(RedisCommand("SMEMBERS", harness.key("agents"))).array ?? []).compactMap(\.string))
        #expect(agents.count == 8, "\(agents)")
        for agent in agents {
            let fields = try harness.agent(agent)
            #expect(["online", "busy", "away", "dnd", "offline"].contains(fields["status"] ?? ""), "\(agent): \(fields)")
            #expect(["1", "2", "3"].contains(fields["capacity"] ?? ""), "\(agent): \(fields)")
        }
        #expect(try harness.agent("ana")["role"] == "supervisor")
        let events = try harness.events()
        #expect(events.contains { $0["type"] == "assigned" }, "no assignment among \(events.count) events")
        #expect(try harness.deadLetters().isEmpty, "the demo wrote entries the workers refused")

        let lines = run.output.split(separator: "\n")
        #expect(lines.contains { $0.contains("agent.login agent=") })
        #expect(lines.contains { $0.contains("conversation.new conversation=") })
        #expect(lines.filter { $0.contains("conversation.") || $0.contains("agent.status") }.count >= 20, "\(run.output)")
    }

    @Test func withoutATerminalItPrintsASummaryLineAndStopsOnInterrupt() throws {
        let harness = try PresenceHarness(workers: 1)
        let output = NSTemporaryDirectory() + "sb-demo-\(harness.prefix).log"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let demo = try ChildProcess(executable: BuiltProducts.switchboard, arguments: ["demo", "--rate", "10"] + arguments(harness), outputPath: output)
        let read = { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        var summaries: [Substring] = []
        for _ in 0..<300 where summaries.count < 2 {
            usleep(20_000)
            summaries = read().split(separator: "\n").filter { $0.contains(" workers=") }
        }
        demo.signal(SIGINT)
        #expect(demo.wait() == 0)
        let text = read()
        #expect(summaries.count >= 2, "\(text)")
        #expect(summaries.last?.contains("workers=1 online=") == true, "\(text)")
        #expect(!text.contains("\u{1B}["), "ANSI codes in output that is not a terminal")
        #expect(text.contains("demo: stopped after"))
    }

    @Test func helpDescribesTheOptions() throws {
        let help = try ChildProcess.run(BuiltProducts.switchboard, ["demo", "--help"])
        #expect(help.status == 0)
        for option in ["--agents", "--rate", "--duration", "--no-view", "--workspace", "--redis"] {
            #expect(help.output.contains(option), "\(option) missing from:\n\(help.output)")
        }
    }
}
