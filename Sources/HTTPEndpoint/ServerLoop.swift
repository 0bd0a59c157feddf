// ServerLoop: the endpoint's thread. Waits in poll() for a connection or a stop request, then
// serves connections one at a time, each with a deadline so a slow client cannot wedge it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The sockets and handler of one started endpoint. Its descriptors are closed when the last
/// reference goes, that is after the thread has ended and ``HTTPEndpoint/stop()`` has woken it.
final class ServerLoop: Sendable {
    /// The largest request head read; a longer one is answered 431.
    static let maximumHeadLength = 8 * 1024

    let listener: Int32
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let timeout: Duration
    private let wakeReader: Int32
    private let wakeWriter: Int32

    init(listener: Int32, timeout: Duration, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws(HTTPEndpointError) {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw .systemCall("pipe", failedWith: errno, address: "") }
        pipeEnds.forEach(Self.makeCloseOnExecAndNonBlocking)
        self.listener = listener
        self.timeout = timeout
        self.handler = handler
        wakeReader = pipeEnds[0]
        wakeWriter = pipeEnds[1]
    }

    deinit {
        close(listener)
        close(wakeReader)
        close(wakeWriter)
    }

    /// Makes every current and future wait of the thread return at once (the pipe stays readable).
    func requestStop() {
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)
    }

    /// The thread's body: returns after ``requestStop()``.
    func run() {
        while true {
            var descriptors = [
                pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                // EINTR, or a shortage (ENOMEM) that may pass: try again, pausing for the latter.
                if errno != EINTR && wait(for: -1, events: 0, until: .now + .milliseconds(100)) == .stopping { return }
                continue
            }
            if descriptors[1].revents != 0 { return }
            guard descriptors[0].revents != 0 else { continue }
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                // Out of descriptors or memory: the listener stays readable, so pause instead of spinning.
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(errno),
                   wait(for: -1, events: 0, until: .now + .milliseconds(100)) == .stopping {
                    return
                }
                continue
            }
            Self.makeCloseOnExecAndNonBlocking(connection)
            let outcome = serve(connection)
            close(connection)
            if outcome == .stopping { return }
        }
    }

    enum Readiness { case ready, timedOut, stopping }

    // Glibc's module leaves out accept4 and pipe2 (GNU extensions), so the flags are set right
    // after the descriptor is made; the listening socket itself gets SOCK_CLOEXEC atomically.
    private static func makeCloseOnExecAndNonBlocking(_ descriptor: Int32) {
        _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    /// Serves one request on `connection` and says whether a stop was requested meanwhile.
    private func serve(_ connection: Int32) -> Readiness {
        let deadline = ContinuousClock.now + timeout
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var response: HTTPResponse
        var extraHeaders: [(name: String, value: String)] = []
        var includeBody = true
        reading: while true {
            switch wait(for: connection, events: Int16(POLLIN), until: deadline) {
            case .stopping: return .stopping
            case .timedOut:
                response = HTTPResponse(status: 408, body: "request timeout: the request head did not arrive in time\n")
                break reading
            case .ready: break
            }
            let wanted = min(chunk.count, Self.maximumHeadLength - head.count)
            let received = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, wanted, 0) }
            if received < 0 {
                if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
                return .ready  // reset by the client: nobody to answer
            }
            if received == 0 { return .ready }  // the client gave up before a whole head
            let searchFrom = max(0, head.count - 3)
            head.append(contentsOf: chunk[..<received])
            if let length = RequestHead.length(of: head, searchingFrom: searchFrom) {
                (response, extraHeaders, includeBody) = respond(to: head[..<length])
                break reading
            }
            if head.count >= Self.maximumHeadLength {
                response = HTTPResponse(status: 431, body: "request head larger than \(Self.maximumHeadLength) bytes\n")
                break reading
            }
        }
        let bytes = response.serialized(includeBody: includeBody, extraHeaders: extraHeaders)
        if sendAll(bytes, on: connection) == .stopping { return .stopping }
        return finish(connection)
    }

    private func respond(to head: ArraySlice<UInt8>) -> (HTTPResponse, [(name: String, value: String)], includeBody: Bool) {
        switch RequestHead.parse(head) {
        case .failure(let refusal):
            let phrase = HTTPResponse.reasonPhrase(for: refusal.status).lowercased()
            return (HTTPResponse(status: refusal.status, body: "\(phrase): \(refusal.reason)\n"), [], true)
        case .success(let request):
            guard request.method == "GET" || request.method == "HEAD" else {
                return (HTTPResponse(status: 405, body: "method not allowed: use GET or HEAD\n"), [("Allow", "GET, HEAD")], true)
            }
            return (handler(request), [], request.method != "HEAD")
        }
    }

    /// Writes all of `bytes`, giving up at the deadline (a client that does not read).
    private func sendAll(_ bytes: [UInt8], on connection: Int32) -> Readiness {
        let deadline = ContinuousClock.now + timeout
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                send(connection, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            guard sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return .ready }
            let readiness = wait(for: connection, events: Int16(POLLOUT), until: deadline)
            if readiness != .ready { return readiness }
        }
        return .ready
    }

    /// Ends the response with FIN, then briefly reads what the client may still send (a
    /// body the server ignored) until it closes: closing with unread input would send a
    /// reset, which can destroy the response before the client has read it.
    private func finish(_ connection: Int32) -> Readiness {
        shutdown(connection, Int32(SHUT_WR))
        let deadline = ContinuousClock.now + .milliseconds(100)
        var scratch = [UInt8](repeating: 0, count: 4096)
        var drained = 0
        while drained < 64 * 1024 {
            let readiness = wait(for: connection, events: Int16(POLLIN), until: deadline)
            guard readiness == .ready else { return readiness == .stopping ? .stopping : .ready }
            let received = scratch.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if received == 0 { return .ready }
            if received < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK { return .ready }
            drained += max(received, 0)
        }
        return .ready
    }

    /// Waits until `descriptor` has `events` (or an error), a stop is requested, or the deadline
    /// passes; a negative descriptor waits for a stop request or the deadline only.
    private func wait(for descriptor: Int32, events: Int16, until deadline: ContinuousClock.Instant) -> Readiness {
        while true {
            let remaining = deadline - .now
            if remaining <= .zero { return .timedOut }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = min(seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000, Int64(Int32.max))
            var descriptors = [
                pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0),
                pollfd(fd: descriptor, events: events, revents: 0),
            ]
            let ready = poll(&descriptors, descriptor < 0 ? 1 : 2, Int32(milliseconds))
            if ready < 0 && errno != EINTR { return .timedOut }
            if descriptors[0].revents != 0 { return .stopping }
            if descriptor >= 0 && descriptors[1].revents != 0 { return .ready }
        }
    }
}
