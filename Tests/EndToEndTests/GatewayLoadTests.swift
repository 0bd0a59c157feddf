// Thousands of dashboards on one worker's gateway, driven by Python `websockets`
// (Python/gateway_load.py): every client gets its snapshot and is a session of its token's
// agent, and one status change reaches every one of them with its version, without a gap.
import ChildProcess
import Foundation
import Testing
import TestSupport

@Suite("Gateway under load")
struct GatewayLoadTests {
    static let clients = 5_000

    @Test func oneStatusChangeReachesFiveThousandWebSocketClients() throws {
        let port = try LoopbackPort.free()
        let secret = NSTemporaryDirectory() + "sb-gateway-load-secret-\(port)"
        // 64 hex characters, as `openssl rand -hex 32` writes a secret.
        try ((0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() + "\n")
            .write(toFile: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: secret) }
        let harness = try PresenceHarness(workers: 0)
        // Sessions outlive the run: the agents' seed sessions must not expire while the
        // clients connect (an expiry would be an event of its own, though a legal one).
        let worker = try harness.startWorker(named: "gw", arguments: ["--gateway", "127.0.0.1:\(port)", "--gateway-secret-file", secret,
                                                                      "--session-ttl", "900s"])
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/gateway_load.py").path
        var environment = ProcessInfo.processInfo.environment
        environment["GATEWAY_URL"] = "http://127.0.0.1:\(port)"
        environment["SECRET_FILE"] = secret
        environment["REDIS_URL"] = harness.redisURL
        environment["SB_PREFIX"] = harness.prefix
        environment["SB_WORKSPACE"] = harness.workspace
        environment["SB_INTAKE"] = harness.intake()
        environment["CLIENTS"] = String(Self.clients)
        let output = NSTemporaryDirectory() + "sb-gateway-load-\(harness.prefix).log"
        let python = try ChildProcess(executable: try #require(ChildProcess.find("python3")), arguments: [script, "test"],
                                      environment: environment, outputPath: output)
        let status = python.waitOrKill(after: .seconds(900))
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "python said: \(log)\nworker log (end):\n\(worker.log.suffix(4_000))")
        #expect(log.contains("gateway load: ") && log.contains(" passed, 0 failed"), "\(log)")
        #expect(worker.isRunning)
        #expect(worker.stop() == 0)
    }
}
