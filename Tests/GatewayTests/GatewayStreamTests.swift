// A stream's own limits on a real event loop and socket: a client too slow to read is closed
// with 1013, one that stops answering pings with 1001, and an SSE stream gets comments.
import Dispatch
import EventLoop
import Foundation
@testable import Gateway
import Glibc
import Logging
import Metrics
import Redis
import Switchboard
import Testing
import Tokens

/// A gateway that is never started (its metrics and logger serve the streams) and a loop
/// with a listener whose accepted connection becomes a stream.
private final class StreamBench: @unchecked Sendable {
    let loop: EventLoop
    let gateway: Gateway
    private(set) var port = 0
    let accepted = DispatchSemaphore(value: 0)
    // Loop-confined.
    var stream: GatewayStream?
    private var listener: LoopListener?

    init(kind: StreamKind) throws {
        loop = try EventLoop(name: "stream bench")
        try loop.start()
        let configuration = GatewayConfiguration(host: "127.0.0.1", port: 0, signer: try TokenSigner(secret: Array(repeating: 7, count: 32)),
                                                 redis: RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: 1)), keys: KeySchema(),
                                                 intakeShards: 1)
        let gateway = try Gateway(configuration: configuration, logger: Logger(label: "test", sink: LogSink { _ in }), registry: MetricsRegistry())
        self.gateway = gateway
        try loop.sync { [self] in
            let listener = try loop.listen(host: "127.0.0.1", port: 0) { [self] connection in
                let viewer = GatewayViewer(agent: Identifier("42")!, workspace: Identifier("acme")!, role: .agent)
                stream = GatewayStream(kind: kind, connection: connection, viewer: viewer, session: Identifier("gw-test")!, resumeAfter: nil,
                                       gateway: gateway, limits: GatewayLimits())
                accepted.signal()
            }
            self.listener = listener
            port = listener.port
        }
    }

    func onLoop<T>(_ work: () throws -> T) throws -> T { try loop.sync(work) }

    deinit {
        gateway.stop()
        loop.stop()
    }
}

/// A blocking TCP client that reads with a deadline.
private struct RawClient {
    let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(status == 0)
    }

    /// Everything until the server closes (or 10 s pass without a byte).
    func readToEnd() -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }

    func close() { Glibc.close(socket) }
}

/// The server frames in `bytes` (unmasked): opcode and payload.
private func frames(_ bytes: [UInt8]) -> [(opcode: UInt8, payload: [UInt8])] {
    var result: [(UInt8, [UInt8])] = []
    var index = 0
    while index + 2 <= bytes.count {
        let opcode = bytes[index] & 0x0F
        var length = Int(bytes[index + 1] & 0x7F)
        var start = index + 2
        if length == 126 {
            length = Int(bytes[start]) << 8 | Int(bytes[start + 1])
            start += 2
        } else if length == 127 {
            length = (0..<8).reduce(0) { $0 << 8 | Int(bytes[start + $1]) }
            start += 8
        }
        guard start + length <= bytes.count else { break }
        result.append((opcode, Array(bytes[start..<start + length])))
        index = start + length
    }
    return result
}

private func closeCode(_ frame: (opcode: UInt8, payload: [UInt8])?) -> Int? {
    guard let frame, frame.opcode == 0x8, frame.payload.count >= 2 else { return nil }
    return Int(frame.payload[0]) << 8 | Int(frame.payload[1])
}

@Suite("Gateway streams")
struct GatewayStreamTests {
    @Test func aClientThatDoesNotReadIsClosedWith1013AndCounted() throws {
        let bench = try StreamBench(kind: .webSocket)
        let client = try RawClient(port: bench.port)
        defer { client.close() }
        #expect(bench.accepted.wait(timeout: .now() + 10) == .success)
        // Events of 64 KiB until the kernel's buffers and the stream's 1 MiB are full.
        let delivered = try bench.onLoop { () -> Int in
            let stream = try #require(bench.stream)
            var count = 0
            while count < 10_000 {
                let event = FeedEvent(streamID: "\(count)-0", version: count + 1, type: "status", json: Array(repeating: UInt8(ascii: " "), count: 65_536))
                guard stream.deliver(event) else { break }
                count += 1
            }
            return count
        }
        #expect(delivered < 10_000)
        let received = frames(client.readToEnd())
        #expect(received.count == delivered + 1)
        #expect(closeCode(received.last) == 1013)
        #expect(String(decoding: received.last.map { Array($0.payload.dropFirst(2)) } ?? [], as: UTF8.self).contains("since"))
        #expect(bench.gateway.metrics.slowClientsClosed.value() == 1)
    }

    @Test func aSnapshotLargerThanTheBufferLimitIsStillSent() throws {
        let bench = try StreamBench(kind: .webSocket)
        let client = try RawClient(port: bench.port)
        defer { client.close() }
        #expect(bench.accepted.wait(timeout: .now() + 10) == .success)
        let members = Array(#","agents":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 3 * 1024 * 1024) + Array(#""}"#.utf8)
        let sent = try bench.onLoop { () -> Bool in
            let stream = try #require(bench.stream)
            defer { stream.close(code: .normalClosure, reason: "") }
            return stream.deliver(SnapshotMessage(version: 1, members: members))
        }
        #expect(sent)
        let received = frames(client.readToEnd())
        #expect(received.first?.payload.count ?? 0 > 3 * 1024 * 1024)
        #expect(closeCode(received.last) == 1000)
    }

    @Test func aWebSocketWithoutPongsIsClosedWith1001AfterTwoIntervals() throws {
        let bench = try StreamBench(kind: .webSocket)
        let client = try RawClient(port: bench.port)
        defer { client.close() }
        #expect(bench.accepted.wait(timeout: .now() + 10) == .success)
        try bench.onLoop {
            let stream = try #require(bench.stream)
            stream.tick()  // ping
            stream.tick()  // no pong: one missed, ping again
            stream.tick()  // two missed: closed
        }
        let received = frames(client.readToEnd())
        #expect(received.map(\.opcode) == [0x9, 0x9, 0x8])
        #expect(closeCode(received.last) == 1001)
    }

    @Test func anEventStreamGetsCommentsAndItsEventsCarryTheirVersion() throws {
        let bench = try StreamBench(kind: .serverSentEvents)
        let client = try RawClient(port: bench.port)
        #expect(bench.accepted.wait(timeout: .now() + 10) == .success)
        try bench.onLoop {
            let stream = try #require(bench.stream)
            stream.tick()
            _ = stream.deliver(FeedEvent(streamID: "1-0", version: 7, type: "status", json: Array(#"{"type":"status","version":7}"#.utf8)))
            stream.close(code: .goingAway, reason: "done")
        }
        let text = String(decoding: client.readToEnd(), as: UTF8.self)
        client.close()
        #expect(text == ": ping\n\nid: 7\nevent: status\ndata: {\"type\":\"status\",\"version\":7}\n\n")
    }
}
