// HTTPServer: HTTP/1.1 on an event loop, many connections at once, each with its own deadline.

import EventLoop
import Synchronization

/// Serves HTTP/1.1 requests on an ``EventLoop``: reads each request (head, and a
/// `Content-Length` body) under its own deadline, then hands it to the handler as an
/// ``HTTPExchange``, on the loop's thread. One request per connection (`Connection: close`).
///
/// ```swift
/// let server = HTTPServer(loop: loop, host: "127.0.0.1", port: 8080) { exchange in
///     exchange.respond(HTTPResponse(body: "hello\n"))   // now, or later from loop.execute
/// }
/// try server.start()
/// ```
///
/// The server answers by itself: 400 to a malformed request, 431 to a head over 8 KiB, 411 to
/// a chunked body, 413 to a body over `maximumBodyLength`, 408 when the request (head and body)
/// has not arrived within `requestTimeout`, 505 to an HTTP version other than 1.0 and 1.1.
/// The handler sees any method and decides (405 and so on). Once the handler has the exchange,
/// the deadline no longer applies: the handler must ``HTTPExchange/respond(_:extraHeaders:)``
/// or ``HTTPExchange/takeOver()``; the response then has `requestTimeout` to be written.
public final class HTTPServer: @unchecked Sendable {
    /// The largest request head read; a longer one is answered 431.
    public static let maximumHeadLength = 8 * 1024

    /// The loop it serves on.
    public let loop: EventLoop
    /// The address to listen on as given: an IPv4 or IPv6 literal (`[::1]` or `::1`) or `localhost`.
    public let host: String
    /// The port asked for; 0 lets the system choose (see ``boundPort``).
    public let port: Int
    /// How long a client has to send its request, and to take the response.
    public let requestTimeout: Duration
    /// The largest request body accepted; a longer one is answered 413.
    public let maximumBodyLength: Int

    private let handler: (HTTPExchange) -> Void
    private let listening = Mutex<Int?>(nil)
    // Loop-confined.
    private var listener: LoopListener?
    /// Connections whose request is being read or answered (not those taken over).
    private var connections: [ObjectIdentifier: LoopConnection] = [:]

    /// Creates a server; ``start()`` listens. `handler` runs on the loop's thread. A started server
    /// lives until ``stop()`` or its loop stops, referenced or not.
    public init(loop: EventLoop, host: String, port: Int, requestTimeout: Duration = .seconds(5),
                maximumBodyLength: Int = 64 * 1024, handler: @escaping (HTTPExchange) -> Void) {
        self.loop = loop
        self.host = host
        self.port = port
        self.requestTimeout = requestTimeout
        self.maximumBodyLength = maximumBodyLength
        self.handler = handler
    }

    /// Listens; callable from any thread (it hops to the loop, which must be running, and waits).
    /// - Throws: ``HTTPEndpointError`` saying what to do: the address is in use or not this
    ///   machine's, the host is not an IP address, the server is already started…
    public func start() throws(HTTPEndpointError) {
        let display = SocketAddress.display(host: SocketAddress.normalized(host: host), port: port)
        do {
            try loop.sync { () throws -> Void in
                if let listener {
                    let address = SocketAddress.display(host: SocketAddress.normalized(host: host), port: listener.port)
                    throw HTTPEndpointError(address: address, reason: "this server is already listening", hint: "call stop() before starting it again")
                }
                // The listener holds the server: it serves while it listens, until stop().
                let listener = try loop.listen(host: host, port: port) { connection in self.accept(connection) }
                self.listener = listener
                listening.withLock { $0 = listener.port }
            }
        } catch let error as HTTPEndpointError {
            throw error
        } catch let error as EventLoopError {
            throw HTTPEndpointError(address: error.address ?? display, reason: error.reason, code: error.code, hint: error.hint)
        } catch {
            throw HTTPEndpointError(address: display, reason: "\(error)")
        }
    }

    /// The port listened on while started (the system's choice when ``port`` is 0), else nil.
    public var boundPort: Int? {
        listening.withLock { $0 }
    }

    /// Stops listening and closes the connections whose request it is reading or answering
    /// (connections taken over stay open). Any thread; waits for the loop. Idempotent.
    public func stop() {
        listening.withLock { $0 = nil }
        try? loop.sync {
            listener?.close()
            listener = nil
            for connection in connections.values { connection.close() }
            connections.removeAll()
        }
    }

    // MARK: - Serving (loop thread)

    private func accept(_ connection: LoopConnection) {
        let key = ObjectIdentifier(connection)
        connections[key] = connection
        let reader = RequestReader(server: self, connection: connection)
        reader.deadline = loop.schedule(after: requestTimeout) { [weak reader] in reader?.timedOut() }
        connection.onData = { [weak reader] bytes in reader?.receive(bytes) }
        connection.onClose = { [weak self] in
            reader.deadline?.cancel()
            self?.connections.removeValue(forKey: key)
        }
    }

    /// The request has arrived whole: the handler takes it from here.
    func deliver(_ request: HTTPRequest, body: [UInt8], leftover: [UInt8], on connection: LoopConnection) {
        connection.pauseReading()
        let exchange = HTTPExchange(request: request, body: body, connection: connection, leftover: leftover,
                                    requestTimeout: requestTimeout, server: self)
        handler(exchange)
    }

    /// The connection belongs to whoever took it over.
    func release(_ connection: LoopConnection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
    }

    /// Answers a request the server refused itself.
    func refuse(status: Int, reason: String, on connection: LoopConnection) {
        let phrase = HTTPResponse.reasonPhrase(for: status).lowercased()
        Self.send(HTTPResponse(status: status, body: "\(phrase): \(reason)\n"), includeBody: true,
                  on: connection, within: requestTimeout)
    }

    /// Writes a whole response (whatever the connection's buffer limit) and closes after it.
    static func send(_ response: HTTPResponse, extraHeaders: [(name: String, value: String)] = [],
                                 includeBody: Bool, on connection: LoopConnection, within limit: Duration) {
        let bytes = response.serialized(includeBody: includeBody, extraHeaders: extraHeaders)
        connection.onData = nil
        connection.writeBufferLimit = max(connection.writeBufferLimit, connection.bufferedBytes + bytes.count)
        connection.write(bytes)
        connection.closeAfterWriting(within: limit)
    }
}
