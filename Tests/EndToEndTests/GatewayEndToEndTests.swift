import ChildProcess
import Foundation
import Testing
import TestSupport

/// A worker with --gateway, as dashboards see it: driven by Python's `websockets` and
/// standard library (Python/gateway_basics.py), tokens minted with nothing but `hmac`.
@Suite("Gateway end to end")
struct GatewayEndToEndTests {
    /// A secret file of 64 hex characters, as `openssl rand -hex 32` writes one.
    static func secretFile(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "sb-gateway-secret-\(name)"
        try (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined().appending("\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// On a single Redis and on a Redis Cluster (the feed then SSUBSCRIBEs on the workspace's primary).
    @Test(arguments: Topology.allCases)
    func snapshotLiveEventsActionsSessionsResumesAndRefusals(topology: Topology) throws {
        let port = try LoopbackPort.free()
        let secret = try Self.secretFile("basics-\(port)")
        let harness = try PresenceHarness(workers: 0, topology: topology)
        let worker = try harness.startWorker(named: "gw", arguments: ["--gateway", "127.0.0.1:\(port)", "--gateway-secret-file", secret,
                                                                                   "--session-ttl", "3s"])
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/gateway_basics.py").path
        var environment = ProcessInfo.processInfo.environment
        environment["GATEWAY_URL"] = "http://127.0.0.1:\(port)"
        environment["SECRET_FILE"] = secret
        environment["REDIS_URL"] = harness.redisURL
        environment["SB_PREFIX"] = harness.prefix
        environment["SB_WORKSPACE"] = harness.workspace
        environment["SB_CLUSTER"] = topology == .cluster ? "1" : "0"
        environment["WORKER_PID"] = String(worker.pid)
        let output = NSTemporaryDirectory() + "sb-gateway-\(harness.prefix).log"
        let python = try ChildProcess(executable: try #require(ChildProcess.find("python3")), arguments: [script],
                                      environment: environment, outputPath: output)
        let status = python.waitOrKill(after: .seconds(120))
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "python said: \(log)\nworker log:\n\(worker.log)")
        #expect(log.contains(" passed, 0 failed"), "\(log)")
        #expect(worker.log.contains("gateway listening"))
        // The script stopped the worker with SIGTERM.
        #expect(worker.waitForExit(within: .seconds(30)) == 0, "worker log:\n\(worker.log)")
    }

    @Test func theGatewayNeedsASecretAndAFreeAddress() throws {
        let (missing, status) = try ChildProcess.run(BuiltProducts.switchboard, ["worker", "--redis", try TestRedis.url, "--prefix", "gwflags",
                                                                                "--http", "off", "--gateway", "127.0.0.1:0"])
        #expect(status != 0)
        #expect(missing.contains("--gateway-secret-file"), "\(missing)")

        let short = NSTemporaryDirectory() + "sb-gateway-short-secret"
        try "too short\n".write(toFile: short, atomically: true, encoding: .utf8)
        let (weak, weakStatus) = try ChildProcess.run(BuiltProducts.switchboard, ["worker", "--redis", try TestRedis.url, "--prefix", "gwflags",
                                                                                 "--http", "off", "--gateway", "127.0.0.1:0", "--gateway-secret-file", short])
        #expect(weakStatus != 0)
        #expect(weak.contains("--gateway-secret-file"), "\(weak)")

        let taken = try #require(LoopbackPort(listening: true))
        let (busy, busyStatus) = try ChildProcess.run(BuiltProducts.switchboard, ["worker", "--redis", try TestRedis.url, "--prefix", "gwflags",
                                                                                 "--http", "off", "--gateway", "127.0.0.1:\(taken.number)",
                                                                                 "--gateway-secret-file", try Self.secretFile("busy")])
        #expect(busyStatus != 0)
        #expect(busy.contains("address already in use") && busy.contains("--gateway"), "\(busy)")
    }
}
