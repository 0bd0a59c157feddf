import ChildProcess
import Foundation
import Glibc
import Testing
import TestSupport
import Tokens

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

    @Test func streamsOverTheMaximumAreRefusedWith503() throws {
        let port = try LoopbackPort.free()
        let secret = try Self.secretFile("max-\(port)")
        let harness = try PresenceHarness(workers: 0)
        let worker = try harness.startWorker(named: "gw", arguments: ["--gateway", "127.0.0.1:\(port)", "--gateway-secret-file", secret,
                                                                   "--gateway-max-connections", "1"])
        defer { worker.stop() }
        let signer = try TokenSigner(secret: try TokenSigner.loadSecret(fromFile: secret))
        let token = signer.sign(WorkspaceClaims(agent: "42", workspace: harness.workspace, role: .agent,
                                                expiresAt: Int(Date().timeIntervalSince1970) + 3600))
        let path = "/v1/workspaces/\(harness.workspace)/events?token=\(token)"
        #expect(WorkerEndpointTests.await(port: port, path: "/app/") { $0?.status == 200 }?.status == 200, "worker log: \(worker.log)")

        // One Server-Sent Events stream, held open.
        let held = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(held) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(held, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(held, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        try #require(send(held, request, request.count, Int32(MSG_NOSIGNAL)) == request.count)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(held, &buffer, buffer.count, 0)
        #expect(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).hasPrefix("HTTP/1.1 200"))

        // A second one is refused while it is open.
        let refused = httpGet(port: port, path: path)
        #expect(refused?.status == 503)
        #expect(refused?.body.contains("maximum of 1 streams") == true, "\(String(describing: refused))")
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
