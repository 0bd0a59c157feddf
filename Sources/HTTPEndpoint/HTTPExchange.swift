// HTTPExchange: a request that has arrived whole, and the way to answer it or take its connection.

import EventLoop

/// One request that has arrived whole, and the way to answer it.
///
/// Confined to the loop's thread, like its connection: answer right away in the handler, or
/// later from work handed to the loop (`loop.execute { exchange.respond(…) }`).
public final class HTTPExchange: @unchecked Sendable {
    /// The request head.
    public let request: HTTPRequest
    /// The request body (empty without `Content-Length`).
    public let body: [UInt8]
    /// The connection; reading is paused until the exchange is answered or taken over.
    public let connection: LoopConnection

    private let leftover: [UInt8]
    private let requestTimeout: Duration
    private weak var server: HTTPServer?
    private var isSettled = false

    init(request: HTTPRequest, body: [UInt8], connection: LoopConnection, leftover: [UInt8],
                     requestTimeout: Duration, server: HTTPServer) {
        self.request = request
        self.body = body
        self.connection = connection
        self.leftover = leftover
        self.requestTimeout = requestTimeout
        self.server = server
    }

    /// Whether ``respond(_:extraHeaders:)`` or ``takeOver()`` was called.
    public var isAnswered: Bool { isSettled }

    /// Sends `response` with `Content-Type`, `Content-Length`, `extraHeaders` and
    /// `Connection: close` (no body for `HEAD`), then closes the connection once written
    /// (within the request timeout). Only the first call counts; loop thread only.
    public func respond(_ response: HTTPResponse, extraHeaders: [(name: String, value: String)] = []) {
        connection.loop.assertOnLoop()
        guard !isSettled else { return }
        isSettled = true
        HTTPServer.send(response, extraHeaders: extraHeaders, includeBody: request.method != "HEAD",
                        on: connection, within: requestTimeout)
    }

    /// Answers `101 Switching Protocols` with `headers` (a WebSocket handshake's `Upgrade`,
    /// `Connection` and `Sec-WebSocket-Accept`, say; no `Content-Length`, no `Connection: close`)
    /// and takes the connection over as ``takeOver()`` does, returning the bytes read past the
    /// request. Loop thread only.
    public func switchProtocols(headers: [(name: String, value: String)]) -> [UInt8] {
        let leftover = takeOver()
        let head = "HTTP/1.1 101 \(HTTPResponse.reasonPhrase(for: 101))\r\n"
            + headers.map { HTTPResponse.headerLine($0.name, $0.value) }.joined() + "\r\n"
        connection.write(Array(head.utf8))
        return leftover
    }

    /// The caller takes the connection over (a WebSocket, an event stream): the server lets go
    /// of it (no deadline, no parsing, its callbacks cleared, not closed by ``HTTPServer/stop()``)
    /// and reading resumes. Returns the bytes read past the request's head and body. Set the
    /// connection's callbacks before returning to the loop: reading resumes on its next turn.
    public func takeOver() -> [UInt8] {
        connection.loop.assertOnLoop()
        precondition(!isSettled, "takeOver() after the exchange was answered or taken over")
        isSettled = true
        server?.release(connection)
        connection.onData = nil
        connection.onClose = nil
        connection.onDrained = nil
        connection.resumeReading()
        return leftover
    }
}
