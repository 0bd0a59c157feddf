import ChildProcess
import Foundation
import Testing
import TestSupport

/// The gateway's wire protocol, driven from Python by the independent `websockets` library and
/// raw sockets (Python/gateway_protocol.py), with tokens minted by Python's standard library.
/// Each test runs one area of the script against a worker of its own and expects every check
/// of the area to pass (the count is fixed here, so a check that silently went missing fails).
@Suite("Gateway protocol from an independent client")
struct GatewayProtocolTests {
    @Test func handshake() throws { try run("handshake", checks: 8) }

    @Test func framing() throws { try run("framing", checks: 15) }

    @Test func serverSentEvents() throws { try run("sse", checks: 3) }

    @Test func tokensAndRoles() throws { try run("auth", checks: 19) }

    @Test func resumeWithSince() throws { try run("resume", checks: 5) }

    @Test func streamsAreSessions() throws { try run("sessions", checks: 6) }

    /// Against a worker allowed 3 gateway connections (the script's MAX_CONNECTIONS).
    @Test func connectionAndActionLimits() throws { try run("limits", checks: 2, workerArguments: ["--gateway-max-connections", "3"]) }

    private func run(_ area: String, checks: Int, workerArguments: [String] = []) throws {
        let gateway = try GatewayHarness(workerArguments: workerArguments)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/gateway_protocol.py").path
        let output = NSTemporaryDirectory() + "sb-gateway-\(area)-\(gateway.presence.prefix).log"
        let python = try ChildProcess(executable: try #require(ChildProcess.find("python3")), arguments: [script, area],
                                      environment: gateway.scriptEnvironment, outputPath: output)
        let status = python.waitOrKill(after: .seconds(300))
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "python said:\n\(log)\nworker log:\n\(gateway.workerLogs)")
        #expect(log.contains("gateway \(area): \(checks) passed, 0 failed"), "python said:\n\(log)")
    }
}
