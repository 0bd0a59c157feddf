import ChildProcess
import Foundation
import Redis
import Testing
import TestSupport

@Suite("switchboard demo")
struct DemoCommandTests {
    private func arguments(_ harness: PresenceHarness) throws -> [String] {
        ["--redis", harness.redisURL, "--prefix", harness.prefix, "--workspace", harness.workspace] + (try TestTLS.workerArguments(for: harness.redisURL))
    }

    /// Also the demo workload against a TLS-only Redis, the worker and the demo on rediss://
    /// with the CA file.
    @Test(arguments: [Topology.standalone, .tls])
    func aShortRunSeedsAgentsAndGetsConversationsRouted(topology: Topology) throws {
        let harness = try PresenceHarness(workers: 1, topology: topology)
        let run = try ChildProcess.run(BuiltProducts.switchboard,
                                       ["demo", "--no-view", "--duration", "4s", "--rate", "20", "--seed", "7"] + (try arguments(harness)))
        #expect(run.status == 0, "\(run.output)")

        // The same settings again, applied: the one worker has applied everything before it.
        try harness.apply([("op", "workspace.settings"), ("routing", "least_loaded"), ("busy_fallback", "true"), ("default_capacity", "2")])
        let agents = Set((try harness.connection.send(RedisCommand("SMEMBERS", harness.key("agents"))).array ?? []).compactMap(\.string))
        #expect(agents == ["ana", "ben", "chloe", "dev", "emma", "farid", "grace", "hiro"], "\(agents)")
        // Each agent ends with the status the demo last sent for it: a login makes it online,
        // a logout offline, an agent.status (or a supervisor's override) what it names.
        var lastSent: [String: String] = [:]
        for line in run.output.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let op = words.first(where: { $0.hasPrefix("agent.") }),
                  let agent = words.first(where: { $0.hasPrefix("agent=") })?.dropFirst(6) else { continue }
            switch op {
            case "agent.login": lastSent[String(agent)] = "online"
            case "agent.logout": lastSent[String(agent)] = "offline"
            case "agent.status": lastSent[String(agent)] = words.first(where: { $0.hasPrefix("status=") }).map { String($0.dropFirst(7)) }
            default: break
            }
        }
        #expect(Set(lastSent.keys) == agents, "\(lastSent)")
        for (index, agent) in ["ana", "ben", "chloe", "dev", "emma", "farid", "grace", "hiro"].enumerated() {
            let fields = try harness.agent(agent)
            #expect(fields["status"] == lastSent[agent], "\(agent): stored \(fields), last sent \(lastSent[agent] ?? "nothing")")
            #expect(fields["capacity"] == String(1 + index % 3), "\(agent): \(fields)")  // the demo's 1, 2, 3, 1, … by position
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
        let demo = try ChildProcess(executable: BuiltProducts.switchboard, arguments: ["demo", "--rate", "10"] + (try arguments(harness)), outputPath: output)
        let read = { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        var summaries: [Substring] = []
        for _ in 0..<300 where summaries.count < 2 {
            usleep(20_000)
            summaries = read().split(separator: "\n").filter { $0.contains(" workers=") }
        }
        demo.signal(SIGINT)
        #expect(demo.waitOrKill(after: .seconds(20)) == 0, "the demo did not stop within 20 s of SIGINT")
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
