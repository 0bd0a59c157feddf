import Foundation
import Glibc
import Redis
import Testing
import TestSupport
import Tokens

/// The worker rule of docs/operations.md covers the gateway: a worker started with
/// `--gateway` as the documented worker user serves a stream (snapshot, live events) and
/// drops its feed subscription, with nothing refused.
@Suite("Redis access control: the gateway (docs/operations.md)")
struct AccessControlGatewayTests {
    static let workspace = "acme"

    /// A Server-Sent Events stream read over a plain socket; every read has a deadline.
    final class EventStream {
        private let descriptor: Int32
        private(set) var received = ""

        init(port: Int, path: String) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(descriptor); throw TestSupportError("could not connect to 127.0.0.1:\(port)") }
            let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".utf8)
            guard send(descriptor, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
                close(descriptor); throw TestSupportError("could not send the request")
            }
        }

        deinit { close(descriptor) }

        /// Reads until `text` has arrived, the stream ends, or 20 s pass; returns whether it arrived.
        func wait(for text: String) -> Bool {
            let deadline = ContinuousClock.now + .seconds(20)
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while !received.contains(text), ContinuousClock.now < deadline {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count == 0 { break }
                if count > 0 { received += String(decoding: buffer.prefix(count), as: UTF8.self) }
            }
            return received.contains(text)
        }

        func shutDown() { Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    @Test func gatewayWorkerUnderTheDocumentedRuleIsRefusedNothing() throws {
        let redis = try AccessControlServer()
        let user = try redis.createUser(fromRule: "worker", password: "worker-pw-g")
        let password = try redis.passwordFile("worker-password", containing: "worker-pw-g")
        let secretFile = try redis.passwordFile("gateway-secret", containing: String(repeating: "7f", count: 32))
        let port = try LoopbackPort.free()
        let worker = try SwitchboardProcess(["worker", "--redis", redis.url(user: user), "--redis-password-file", password, "--name", "acl-gw",
                                             "--gateway", "127.0.0.1:\(port)", "--gateway-secret-file", secretFile, "--log-level", "debug"])
        defer { worker.stop() }
        #expect(eventually(upTo: 30) { !worker.isRunning || httpGet(port: port, path: "/v1/") != nil }, "worker log:\n\(worker.log)")

        let signer = try TokenSigner(secret: try TokenSigner.loadSecret(fromFile: secretFile))
        let token = signer.sign(WorkspaceClaims(agent: "42", workspace: Self.workspace, role: .supervisor,
                                                expiresAt: Int(Date().timeIntervalSince1970) + 3600))
        let stream = try EventStream(port: port, path: "/v1/workspaces/\(Self.workspace)/events?token=\(token)")

        // The snapshot (FCALL_RO, and XREVRANGE for its recent assignments), then a live status
        // change through the feed subscription (SUBSCRIBE) and the events log (XRANGE).
        #expect(stream.wait(for: "event: snapshot"), "received:\n\(stream.received)\nworker log:\n\(worker.log)")
        let feed = "sb:{\(Self.workspace)}:feed"
        func subscribers() throws -> Int { try redis.admin.send(RedisCommand("PUBSUB", "NUMSUB", feed)).array?.last?.int ?? -1 }
        #expect(try eventually { try subscribers() == 1 }, "the worker subscribes to \(feed); worker log:\n\(worker.log)")
        try redis.admin.send(RedisCommand("XADD", "sb:intake", "*", "workspace", Self.workspace, "op", "agent.status",
                                          "agent", "42", "status", "dnd", "message", "Focus"))
        #expect(stream.wait(for: "\"status\":\"dnd\""), "received:\n\(stream.received)\nworker log:\n\(worker.log)")

        // The last stream closes: the worker drops the feed (UNSUBSCRIBE). An event stream's end
        // writes no logout: the session its login (XADD) opened is left to expire.
        stream.shutDown()
        #expect(try eventually { try subscribers() == 0 }, "the worker unsubscribes from \(feed); worker log:\n\(worker.log)")
        #expect(try eventually { try redis.admin.send(RedisCommand("HLEN", "sb:{\(Self.workspace)}:agent:42:sessions")).int == 1 },
                "the stream's session is left to expire; worker log:\n\(worker.log)")

        let refused = try redis.aclLog().filter { $0["username"] == user }
        #expect(refused.isEmpty, "ACL LOG: \(refused)")
        #expect(!AccessControlTests.refusals.contains { worker.log.contains($0) }, "worker log:\n\(worker.log)")
        #expect(worker.stop() == 0, "worker log:\n\(worker.log)")
    }
}
