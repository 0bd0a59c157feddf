// HTTPEndpoint: a minimal HTTP/1.1 server for health and metrics endpoints, an HTTPServer on
// an event loop of its own (never Swift's cooperative pool), serving many connections at once.

import EventLoop
import Synchronization

/// Serves `GET` and `HEAD` requests with a handler, e.g. `/healthz` and `/metrics` for Prometheus.
///
/// ```swift
/// let endpoint = HTTPEndpoint(host: "127.0.0.1", port: 9464, routes: [
///     "/healthz": { _ in HTTPResponse(body: "ok\n") },
///     "/metrics": { _ in HTTPResponse(contentType: MetricsRegistry.contentType, body: registry.exposition()) },
/// ])
/// try endpoint.start()     // throws HTTPEndpointError, e.g. when the port is taken
/// …
/// endpoint.stop()          // returns within milliseconds
/// ```
///
/// Every answer carries `Content-Type`, `Content-Length` and `Connection: close`. The server
/// answers 405 to methods other than `GET` and `HEAD`, 400 to a malformed request, 431 to a
/// head over 8 KiB and 408 when the request does not arrive within `requestTimeout`; the
/// handler sees only well-formed `GET` and `HEAD` requests (it answers `HEAD` like `GET`; the
/// server leaves the body out). Connections are read side by side on the endpoint's thread
/// (epoll), so a slow or silent client holds up nobody else; the handler runs there too, one
/// request at a time, so it should return quickly.
public final class HTTPEndpoint: Sendable {
    /// Answers one request; runs on the endpoint's thread.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    /// The address to listen on as given: an IPv4 or IPv6 literal (`[::1]` or `::1`) or `localhost`.
    public let host: String
    /// The port asked for; 0 lets the system choose (see ``boundPort``).
    public let port: Int
    /// How long a client has to send its request head, and to take the response.
    public let requestTimeout: Duration
    private let handler: Handler
    private let running = Mutex<Running?>(nil)

    private struct Running: Sendable {
        let loop: EventLoop
        let port: Int
    }

    /// Creates an endpoint that answers every well-formed `GET` and `HEAD` request with `handler`
    /// (which answers unknown paths itself, e.g. with ``HTTPResponse/notFound``). Call ``start()``.
    public init(host: String, port: Int, requestTimeout: Duration = .seconds(2), handler: @escaping Handler) {
        self.host = host
        self.port = port
        self.requestTimeout = requestTimeout
        self.handler = handler
    }

    /// Creates an endpoint that answers requests for each path of `routes` (query ignored) with
    /// its handler, and others with 404. Call ``start()``.
    public convenience init(host: String, port: Int, requestTimeout: Duration = .seconds(2), routes: [String: Handler]) {
        self.init(host: host, port: port, requestTimeout: requestTimeout) { request in
            routes[request.path]?(request) ?? .notFound
        }
    }

    deinit {
        stop()
    }

    /// Binds and listens, then serves on a new thread until ``stop()``.
    /// - Throws: ``HTTPEndpointError`` saying what to do: the address is in use or not this
    ///   machine's, the host is not an IP address, the endpoint is already started…
    public func start() throws(HTTPEndpointError) {
        try running.withLock { (running: inout Running?) throws(HTTPEndpointError) in
            let display = SocketAddress.display(host: SocketAddress.normalized(host: host), port: running?.port ?? port)
            if running != nil {
                throw HTTPEndpointError(address: display, reason: "this endpoint is already listening", hint: "call stop() before starting it again")
            }
            let loop: EventLoop
            do throws(EventLoopError) {
                loop = try EventLoop(name: "http \(display)")
                try loop.start()
            } catch {
                throw HTTPEndpointError(address: display, reason: error.reason, code: error.code, hint: error.hint)
            }
            let handler = self.handler
            let server = HTTPServer(loop: loop, host: host, port: port, requestTimeout: requestTimeout) { exchange in
                let request = exchange.request
                guard request.method == "GET" || request.method == "HEAD" else {
                    exchange.respond(HTTPResponse(status: 405, body: "method not allowed: use GET or HEAD\n"), extraHeaders: [("Allow", "GET, HEAD")])
                    return
                }
                exchange.respond(handler(request))
            }
            do throws(HTTPEndpointError) {
                try server.start()
            } catch {
                loop.stop()
                throw error
            }
            running = Running(loop: loop, port: server.boundPort ?? port)
        }
    }

    /// The port listened on while started (the system's choice when ``port`` is 0), else nil.
    public var boundPort: Int? {
        running.withLock { $0?.port }
    }

    /// `host:port` (`[host]:port` for IPv6), with the bound port while started.
    public var address: String {
        SocketAddress.display(host: SocketAddress.normalized(host: host), port: boundPort ?? port)
    }

    /// Stops serving and closes the listening socket; returns once the thread has ended (at
    /// most the time a running handler takes). Does nothing if not started. May be called from
    /// the handler, which then returns before the thread ends.
    public func stop() {
        guard let stopped = running.withLock({ running in defer { running = nil }; return running }) else { return }
        // Stopping the loop closes the listener and every connection; from the handler (the
        // loop's own thread) it returns at once and the thread ends after the handler.
        stopped.loop.stop()
    }
}
