import ChildProcess
import Foundation
import Testing
import TestSupport

/// The team view page served by a worker's gateway, in headless Chromium driven by Selenium
/// (Python/team_view_browser.py says what it checks).
@Suite("Team view in a real browser")
struct TeamViewBrowserTests {
    @Test func teamViewShowsAndChangesStatusesInHeadlessChromium() throws {
        let secretFile = NSTemporaryDirectory() + "sb-teamview-secret-\(UUID().uuidString)"
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: secretFile) }

        let gatewayPort = try LoopbackPort.free()
        let harness = try PresenceHarness(workers: 1, workerArguments: ["--gateway", "127.0.0.1:\(gatewayPort)", "--gateway-secret-file", secretFile])
        let (supervisor, other) = ("sup-1", "agent-7")
        // Both agents known before the page opens; the supervisor's profile role agrees with its token's.
        try harness.apply([("op", "agent.profile"), ("agent", supervisor), ("role", "supervisor")])
        try harness.apply([("op", "agent.profile"), ("agent", other), ("capacity", "3")])
        let served = eventually { httpGet(port: gatewayPort, path: "/app/")?.status == 200 }
        #expect(served, "the gateway did not serve /app/; worker log: \(harness.workers.map(\.log).joined())")
        guard served else { return }

        func token(agent: String, role: String) throws -> String {
            let minted = try ChildProcess.run(BuiltProducts.switchboard, ["token", "--workspace", harness.workspace, "--agent", agent,
                                                                         "--role", role, "--ttl", "1h", "--secret-file", secretFile])
            #expect(minted.status == 0, "switchboard token said: \(minted.output)")
            // The token is the last line printed (anything before it would be a log line).
            return String(minted.output.split(whereSeparator: \.isNewline).last ?? "")
        }

        let environment = ProcessInfo.processInfo.environment
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let artifacts = environment["SWITCHBOARD_TEST_ARTIFACTS"] ?? repository.appendingPathComponent(".build/test-artifacts").path
        let screenshot = artifacts + "/team-view.png"
        try? FileManager.default.removeItem(atPath: screenshot)

        var scriptEnvironment = environment
        scriptEnvironment["GATEWAY_URL"] = "http://127.0.0.1:\(gatewayPort)"
        scriptEnvironment["REDIS_URL"] = harness.redisURL
        scriptEnvironment["SB_PREFIX"] = harness.prefix
        scriptEnvironment["SB_WORKSPACE"] = harness.workspace
        scriptEnvironment["SB_INTAKE"] = harness.intake()
        scriptEnvironment["SUPERVISOR_AGENT"] = supervisor
        scriptEnvironment["OTHER_AGENT"] = other
        scriptEnvironment["SUPERVISOR_TOKEN"] = try token(agent: supervisor, role: "supervisor")
        scriptEnvironment["AGENT_TOKEN"] = try token(agent: other, role: "agent")
        scriptEnvironment["SCREENSHOT"] = screenshot
        scriptEnvironment["SWITCHBOARD"] = BuiltProducts.switchboard

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/team_view_browser.py").path
        let output = NSTemporaryDirectory() + "sb-teamview-\(harness.prefix).log"
        let python = try ChildProcess(executable: try #require(ChildProcess.find("python3")), arguments: [script],
                                      environment: scriptEnvironment, outputPath: output)
        let status = python.waitOrKill(after: .seconds(180))
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "the browser script said:\n\(log)\nworker log:\n\(harness.workers.map(\.log).joined())")
        #expect(log.contains("9 passed, 0 failed"), "the browser script said:\n\(log)")
        #expect(FileManager.default.fileExists(atPath: screenshot), "no screenshot at \(screenshot)")
        print("team view screenshot: \(screenshot)")
    }
}
