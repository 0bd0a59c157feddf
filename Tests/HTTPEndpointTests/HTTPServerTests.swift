// HTTPServer on an event loop over real sockets: bodies, refusals, answers given later,
// connections taken over, stopping.

import Dispatch
import EventLoop
import Foundation
@testable import HTTPEndpoint
import Testing

/// A value shared between the loop's thread and the test's.
private final class Shared<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&stored)
    }
    var value: Value { withLock { $0 } }
}

/// A running loop with a started server on 127.0.0.1; stop the loop when done.
private func startedServer(requestTimeout: Duration = .seconds(5), maximumBodyLength: Int = 64 * 1024,
                           handler: @escaping (HTTPExchange) -> Void) throws -> (loop: EventLoop, server: HTTPServer, port: Int) {
    let loop = try EventLoop(name: "http test")
    try loop.start()
    let server = HTTPServer(loop: loop, host: "127.0.0.1", port: 0, requestTimeout: requestTimeout,
                            maximumBodyLength: maximumBodyLength, handler: handler)
    try server.start()
    return (loop, server, try #require(server.boundPort))
}

private func arrives(_ semaphore: DispatchSemaphore, within seconds: Double = 10) -> Bool {
    semaphore.wait(timeout: .now() + seconds) == .success
}

@Suite("HTTP server")
struct HTTPServerTests {
    @Test func aPostBodyReachesTheHandler() throws {
        let (loop, _, port) = try startedServer { exchange in
            let text = "\(exchange.request.method) \(exchange.request.path) \(String(decoding: exchange.body, as: UTF8.self))"
            exchange.respond(HTTPResponse(status: 202, contentType: "application/json", body: text))
        }
        defer { loop.stop() }
        let body = #"{"type":"status","status":"dnd"}"#
        let response = try RawConnection.exchange(
            "POST /v1/workspaces/acme/intake HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)",
            port: port)
        #expect(response.statusLine == "HTTP/1.1 202 Accepted")
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.body == "POST /v1/workspaces/acme/intake \(body)")
    }

    @Test func aBodyArrivingInPiecesIsAssembled() throws {
        let (loop, _, port) = try startedServer { exchange in
            exchange.respond(HTTPResponse(body: exchange.body))
        }
        defer { loop.stop() }
        let connection = try RawConnection(port: port)
        try connection.send("PUT /x HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234")
        let answered = try connection.isOpenWithNothingToRead()
        try connection.send("56789")
        let response = try RawResponse(connection.readToEnd())
        #expect(answered, "answered before the body was whole")
        #expect(response.body == "0123456789")
    }

    @Test func aBodyOverTheLimitIs413AndTheHandlerNeverSeesIt() throws {
        let calls = Shared(0)
        let (loop, _, port) = try startedServer(maximumBodyLength: 16) { exchange in
            calls.withLock { $0 += 1 }
            exchange.respond(HTTPResponse(body: "ok"))
        }
        defer { loop.stop() }
        let response = try RawConnection.exchange("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n" + String(repeating: "x", count: 17), port: port)
        #expect(response.status == 413)
        #expect(response.body == "content too large: the request body is larger than 16 bytes\n")
        #expect(try RawConnection.exchange("POST / HTTP/1.1\r\nContent-Length: 16\r\n\r\n" + String(repeating: "x", count: 16), port: port).status == 200)
        #expect(calls.value == 1)
    }

    @Test(arguments: [
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411),
        ("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    ])
    func bodiesWithoutAUsableLengthAreRefused(request: String, status: Int) throws {
        let (loop, _, port) = try startedServer { $0.respond(HTTPResponse(body: "handled")) }
        defer { loop.stop() }
        let response = try RawConnection.exchange(request, port: port)
        #expect(response.status == status, "\(request.debugDescription) got \(response.raw.debugDescription)")
    }

    @Test func aBodyThatNeverArrivesIs408() throws {
        let (loop, _, port) = try startedServer(requestTimeout: .milliseconds(300)) { $0.respond(HTTPResponse(body: "handled")) }
        defer { loop.stop() }
        let connection = try RawConnection(port: port)
        try connection.send("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        #expect(try RawResponse(connection.readToEnd()).status == 408)
    }

    @Test func theHandlerSeesEveryMethod() throws {
        let (loop, _, port) = try startedServer { exchange in
            exchange.respond(HTTPResponse(body: exchange.request.method))
        }
        defer { loop.stop() }
        for method in ["DELETE", "OPTIONS", "PATCH"] {
            #expect(try RawConnection.exchange("\(method) / HTTP/1.1\r\n\r\n", port: port).body == method)
        }
    }

    /// The handler keeps the exchange and answers from work handed to the loop by another
    /// thread (as the gateway does after a Redis call); other requests are served meanwhile.
    @Test func anAnswerCanComeLaterFromAnotherThread() throws {
        let waiting = Shared<[HTTPExchange]>([])
        let parked = DispatchSemaphore(value: 0)
        let (loop, _, port) = try startedServer { exchange in
            if exchange.request.path == "/later" {
                waiting.withLock { $0.append(exchange) }
                parked.signal()
            } else {
                exchange.respond(HTTPResponse(body: "now"))
            }
        }
        defer { loop.stop() }
        let slow = try RawConnection(port: port)
        try slow.send("GET /later HTTP/1.1\r\n\r\n")
        try #require(arrives(parked))
        #expect(try RawConnection.exchange("GET /now HTTP/1.1\r\n\r\n", port: port).body == "now")
        #expect(try slow.isOpenWithNothingToRead())
        DispatchQueue.global().async {
            loop.execute {
                for exchange in waiting.value {
                    exchange.respond(HTTPResponse(body: "later"))
                    exchange.respond(HTTPResponse(body: "twice"))  // only the first answer counts
                }
            }
        }
        let response = try RawResponse(slow.readToEnd())
        #expect(response.body == "later")
    }

    @Test func headAnswersLeaveTheBodyOut() throws {
        let (loop, _, port) = try startedServer { $0.respond(HTTPResponse(body: "twelve bytes")) }
        defer { loop.stop() }
        let response = try RawConnection.exchange("HEAD / HTTP/1.1\r\n\r\n", port: port)
        #expect(response.headers["content-length"] == "12")
        #expect(response.body == "")
    }

    @Test func extraHeadersAreSent() throws {
        let (loop, _, port) = try startedServer { exchange in
            exchange.respond(HTTPResponse(status: 426, body: "upgrade"), extraHeaders: [("Sec-WebSocket-Version", "13")])
        }
        defer { loop.stop() }
        let response = try RawConnection.exchange("GET / HTTP/1.1\r\n\r\n", port: port)
        #expect(response.statusLine == "HTTP/1.1 426 Upgrade Required")
        #expect(response.headers["sec-websocket-version"] == "13")
    }

    /// A client that sends its next message right behind the head (as a WebSocket client may):
    /// the bytes past the head come back from takeOver, and the connection is the taker's.
    @Test func takeOverReturnsTheBytesPastTheRequest() throws {
        let leftovers = Shared<[[UInt8]]>([])
        let (loop, server, port) = try startedServer(requestTimeout: .milliseconds(200)) { exchange in
            let connection = exchange.connection
            let leftover = exchange.takeOver()
            leftovers.withLock { $0.append(leftover) }
            connection.write(Array("taken: ".utf8) + leftover)
            connection.onData = { bytes in connection.write(bytes) }  // echo from here on
        }
        defer { loop.stop() }
        let connection = try RawConnection(port: port)
        try connection.send("POST /stream HTTP/1.1\r\nContent-Length: 4\r\n\r\nbodyFIRST MESSAGE")
        #expect(try connection.read(count: 20) == Array("taken: FIRST MESSAGE".utf8))
        try connection.send("echo")
        #expect(try connection.read(count: 4) == Array("echo".utf8))
        #expect(leftovers.value == [Array("FIRST MESSAGE".utf8)])
        // After the server stops, the connection is still the taker's.
        server.stop()
        try connection.send("still here")
        #expect(try connection.read(count: 10) == Array("still here".utf8))
    }

    @Test func switchingProtocolsSends101AndHandsOverTheConnection() throws {
        let (loop, _, port) = try startedServer { exchange in
            let connection = exchange.connection
            let leftover = exchange.switchProtocols(headers: [
                ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Injected: 1"),
            ])
            connection.write(leftover)
            connection.onData = { connection.write($0) }
        }
        defer { loop.stop() }
        let connection = try RawConnection(port: port)
        try connection.send("GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n\r\nearly")
        let expected = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=X-Injected: 1\r\n\r\nearly"
        #expect(String(decoding: try connection.read(count: expected.utf8.count), as: UTF8.self) == expected)
        try connection.send("later")
        #expect(try connection.read(count: 5) == Array("later".utf8))
    }

    @Test func stopClosesTheConnectionsItServesAndTheListener() throws {
        let parked = DispatchSemaphore(value: 0)
        let (loop, server, port) = try startedServer(requestTimeout: .seconds(3600)) { _ in parked.signal() }
        defer { loop.stop() }
        let reading = try RawConnection(port: port)
        try reading.send("GET /hal")
        let unanswered = try RawConnection(port: port)
        try unanswered.send("GET / HTTP/1.1\r\n\r\n")
        try #require(arrives(parked))
        server.stop()
        #expect(server.boundPort == nil)
        #expect(try reading.readToEnd() == "")
        #expect(try unanswered.readToEnd() == "")
        #expect(throws: ClientError.self) { try RawConnection(port: port) }
        server.stop()  // a second stop does nothing
    }

    @Test func startingTwiceFailsAndAStoppedLoopIsAClearError() throws {
        let (loop, server, port) = try startedServer { $0.respond(.notFound) }
        let error = try #require(throws: HTTPEndpointError.self) { try server.start() }
        #expect(error.description == "cannot listen on 127.0.0.1:\(port): this server is already listening; call stop() before starting it again")
        loop.stop()
        let other = HTTPServer(loop: loop, host: "127.0.0.1", port: 0) { $0.respond(.notFound) }
        let stopped = try #require(throws: HTTPEndpointError.self) { try other.start() }
        #expect(stopped.description.contains("is not running"), "\(stopped)")
    }

    @Test func manyClientsAtOnce() throws {
        let (loop, _, port) = try startedServer { $0.respond(HTTPResponse(body: "ok")) }
        defer { loop.stop() }
        let connections = try (0..<200).map { _ in try RawConnection(port: port) }
        for (index, connection) in connections.enumerated().reversed() {
            try connection.send("GET /\(index) HTTP/1.1\r\n\r\n")
        }
        for connection in connections {
            #expect(try RawResponse(connection.readToEnd()).status == 200)
        }
    }
}
