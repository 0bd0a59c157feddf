// The endpoint over real sockets: routes, methods, malformed requests, HEAD, timeouts, stop, bind errors.

import Dispatch
import Glibc
@testable import HTTPEndpoint
import Synchronization
import Testing

private let healthBody = "ok\n"

/// Runs `work` on a Dispatch thread; whether it returned within `seconds` (a deadline for a
/// call that could hang, not a speed test).
private func finishes(within seconds: Double, _ work: @escaping @Sendable () -> Void) -> Bool {
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async { work(); done.signal() }
    return done.wait(timeout: .now() + seconds) == .success
}

/// How many connections wait in the accept queue of the listener on 127.0.0.1:`port`: a
/// listening socket's `rx_queue` in `/proc/net/tcp` is its backlog. nil if not listed.
private func acceptQueue(port: Int) -> Int? {
    guard let file = fopen("/proc/net/tcp", "r") else { return nil }
    defer { fclose(file) }
    let hex = String(port, radix: 16, uppercase: true)
    let local = "0100007F:" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), file) != nil {
        let fields = String(cString: line).split(separator: " ")
        guard fields.count > 4, fields[1] == local, fields[3] == "0A" else { continue }  // 0A: LISTEN
        return fields[4].split(separator: ":").last.flatMap { Int($0, radix: 16) }
    }
    return nil
}

/// An endpoint on 127.0.0.1 with an ephemeral port, serving /healthz and /echo.
private func startedEndpoint(host: String = "127.0.0.1", timeout: Duration = .seconds(2)) throws -> HTTPEndpoint {
    let endpoint = HTTPEndpoint(host: host, port: 0, requestTimeout: timeout, routes: [
        "/healthz": { _ in HTTPResponse(body: healthBody) },
        "/echo": { request in
            let headers = request.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ";")
            return HTTPResponse(contentType: "text/x-echo", body: "\(request.method) \(request.path) \(request.query ?? "-") \(request.version) \(headers)")
        },
    ])
    try endpoint.start()
    return endpoint
}

@Suite("HTTP endpoint")
struct HTTPEndpointTests {
    @Test func getHealthz() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let port = try #require(endpoint.boundPort)
        #expect(port > 0)
        let response = try RawConnection.exchange("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", port: port)
        #expect(response.raw == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    }

    @Test func unknownPathIs404() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let response = try RawConnection.exchange("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", port: try #require(endpoint.boundPort))
        #expect(response.status == 404)
        #expect(response.statusLine == "HTTP/1.1 404 Not Found")
        #expect(response.headers["content-length"] == String(response.body.utf8.count))
        #expect(response.headers["connection"] == "close")
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"])
    func otherMethodsAre405(method: String) throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let response = try RawConnection.exchange(
            "\(method) /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", port: try #require(endpoint.boundPort)
        )
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "GET, HEAD")
        #expect(response.headers["content-length"] == String(response.body.utf8.count))
    }

    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400),
        ("\r\n\r\n", 400),
        ("GET /healthz\r\n\r\n", 400),
        ("GET  /healthz HTTP/1.1\r\n\r\n", 400),
        ("GET /healthz HTTP/1.1 extra\r\n\r\n", 400),
        ("GET healthz HTTP/1.1\r\n\r\n", 400),
        ("GET /healthz FTP/1.1\r\n\r\n", 400),
        ("GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n", 400),
        ("GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        ("GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
        ("G\u{1}T /healthz HTTP/1.1\r\n\r\n", 400),
        ("GET /héalthz HTTP/1.1\r\n\r\n", 400),
        ("GET /healthz HTTP/2.0\r\n\r\n", 505),
    ])
    func malformedRequestsAreRefused(request: String, status: Int) throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let response = try RawConnection.exchange(request, port: try #require(endpoint.boundPort))
        #expect(response.status == status, "\(request.debugDescription) got \(response.raw.debugDescription)")
        #expect(response.headers["connection"] == "close")
        #expect(response.headers["content-length"] == String(response.body.utf8.count))
    }

    @Test func binaryGarbageIsRefused() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let connection = try RawConnection(port: try #require(endpoint.boundPort))
        try connection.send([0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03, 0x0A, 0x0A, 0x0A])  // a TLS hello, say
        let response = try RawResponse(connection.readToEnd())
        #expect(response.status == 400)
    }

    @Test func headHasTheHeadersOfGetButNoBody() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let port = try #require(endpoint.boundPort)
        let get = try RawConnection.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", port: port)
        let head = try RawConnection.exchange("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", port: port)
        #expect(head.status == 200)
        #expect(head.headers == get.headers)
        #expect(head.headers["content-length"] == "3")
        #expect(head.body == "")
        #expect(try RawConnection.exchange("HEAD /missing HTTP/1.1\r\n\r\n", port: port).body == "")
    }

    @Test func handlerSeesPathQueryVersionAndHeaders() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let port = try #require(endpoint.boundPort)
        let response = try RawConnection.exchange("GET /echo?a=1&b HTTP/1.0\r\nHost: h\r\nX-Thing:   spaced value  \r\n\r\n", port: port)
        #expect(response.headers["content-type"] == "text/x-echo")
        #expect(response.body == "GET /echo a=1&b HTTP/1.0 Host=h;X-Thing=spaced value")
        #expect(try RawConnection.exchange("GET /healthz?verbose=1 HTTP/1.1\r\n\r\n", port: port).status == 200)
        #expect(try RawConnection.exchange("GET http://example.com:80/healthz HTTP/1.1\r\n\r\n", port: port).status == 200)
    }

    @Test func bareLineFeedsAreAccepted() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let response = try RawConnection.exchange("GET /healthz HTTP/1.1\nHost: x\n\n", port: try #require(endpoint.boundPort))
        #expect(response.status == 200)
        #expect(response.body == healthBody)
    }

    @Test func headArrivingInPiecesIsAssembled() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let connection = try RawConnection(port: try #require(endpoint.boundPort))
        for piece in ["GET /heal", "thz HTTP/1.1\r", "\nHost: x\r\n", "\r", "\n"] {
            try connection.send(piece)
            usleep(20_000)
        }
        #expect(try RawResponse(connection.readToEnd()).status == 200)
    }

    @Test func headOver8KiBIs431() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let connection = try RawConnection(port: try #require(endpoint.boundPort))
        let request = "GET /healthz HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 9_000) + "\r\n\r\n"
        try? connection.send(request)  // the server may close before reading it all
        let response = try RawResponse(connection.readToEnd())
        #expect(response.status == 431)
    }

    @Test func headJustUnder8KiBIsServed() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let prefix = "GET /healthz HTTP/1.1\r\nX-Big: "
        let request = prefix + String(repeating: "a", count: 8 * 1024 - prefix.utf8.count - 4) + "\r\n\r\n"
        #expect(request.utf8.count == 8 * 1024)
        #expect(try RawConnection.exchange(request, port: try #require(endpoint.boundPort)).status == 200)
    }

    @Test func slowClientTimesOutWith408() throws {
        let endpoint = try startedEndpoint(timeout: .milliseconds(300))
        defer { endpoint.stop() }
        let slow = try RawConnection(port: try #require(endpoint.boundPort))
        try slow.send("GET /heal")
        let timedOut = try RawResponse(slow.readToEnd())
        #expect(timedOut.status == 408)
        #expect(timedOut.body == "request timeout: the request did not arrive in time\n")
    }

    /// The regression: the endpoint used to serve one connection at a time, so a client that
    /// sent nothing, or trickled its head, held every liveness probe up until its timeout.
    /// With an hour-long timeout, /healthz is answered while both are still waiting.
    @Test func silentAndTricklingClientsDoNotHoldUpOthers() throws {
        let endpoint = try startedEndpoint(timeout: .seconds(3600))
        defer { endpoint.stop() }
        let port = try #require(endpoint.boundPort)
        let silent = try RawConnection(port: port)
        let trickling = try RawConnection(port: port)
        for piece in ["G", "ET /hea", "lthz HT"] {
            try trickling.send(piece)
            for _ in 0..<3 {
                #expect(try RawConnection.exchange("GET /healthz HTTP/1.1\r\n\r\n", port: port).status == 200)
            }
        }
        #expect(try silent.isOpenWithNothingToRead())
        #expect(try trickling.isOpenWithNothingToRead())
        try trickling.send("TP/1.1\r\n\r\n")
        #expect(try RawResponse(trickling.readToEnd()).status == 200)
    }

    @Test func clientClosingEarlyDoesNotStopTheServer() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let port = try #require(endpoint.boundPort)
        do {
            let quitter = try RawConnection(port: port)
            try quitter.send("GET /hea")
        }
        do {
            // Asks and leaves without reading: the server's write may fail, quietly.
            let rude = try RawConnection(port: port)
            try rude.send("GET /healthz HTTP/1.1\r\n\r\n")
        }
        #expect(try RawConnection.exchange("GET /healthz HTTP/1.1\r\n\r\n", port: port).status == 200)
    }

    @Test func largeBodyIsSentWhole() throws {
        let body = String(repeating: "0123456789abcdef", count: 64 * 1024)  // 1 MiB, more than a socket buffer
        let endpoint = HTTPEndpoint(host: "127.0.0.1", port: 0) { _ in HTTPResponse(body: body) }
        try endpoint.start()
        defer { endpoint.stop() }
        let response = try RawConnection.exchange("GET /anything HTTP/1.1\r\n\r\n", port: try #require(endpoint.boundPort))
        #expect(response.headers["content-length"] == String(body.utf8.count))
        #expect(response.body == body)
    }

    @Test func handlerRunsOnTheEndpointsOwnThread() throws {
        let threads = Mutex<[pthread_t]>([])
        let endpoint = HTTPEndpoint(host: "127.0.0.1", port: 0) { _ in
            threads.withLock { $0.append(pthread_self()) }
            return HTTPResponse(body: "")
        }
        try endpoint.start()
        defer { endpoint.stop() }
        let port = try #require(endpoint.boundPort)
        for _ in 0..<3 { _ = try RawConnection.exchange("GET / HTTP/1.1\r\n\r\n", port: port) }
        let seen = threads.withLock { $0 }
        #expect(seen.count == 3)
        #expect(Set(seen.map { UInt($0) }).count == 1)
        #expect(pthread_equal(seen[0], pthread_self()) == 0)
    }

    @Test func stopIsPromptEvenWithAnIdleClientConnected() throws {
        let endpoint = try startedEndpoint(timeout: .seconds(3600))
        let port = try #require(endpoint.boundPort)
        let idle = try RawConnection(port: port)
        try idle.send("GET /")
        // The server takes the connection in (the accept queue empties) and waits for the
        // rest of its head: the path under test.
        var accepted = false
        for _ in 0..<500 where !accepted {
            accepted = acceptQueue(port: port) == 0
            if !accepted { usleep(20_000) }
        }
        try #require(accepted, "the server did not accept the idle client within 10 s")
        // Without its own way out, stop would wait for the idle client's hour-long timeout.
        try #require(finishes(within: 10) { endpoint.stop() }, "stop waited for the idle client")
        #expect(endpoint.boundPort == nil)
        #expect(throws: ClientError.self) { try RawConnection(port: port) }
        endpoint.stop()  // a second stop does nothing
    }

    @Test func stopWhileIdleIsPromptAndAnEndpointCanStartAgain() throws {
        let endpoint = try startedEndpoint()
        try #require(finishes(within: 10) { endpoint.stop() }, "stop did not return within 10 s")
        try endpoint.start()
        defer { endpoint.stop() }
        #expect(try RawConnection.exchange("GET /healthz HTTP/1.1\r\n\r\n", port: try #require(endpoint.boundPort)).status == 200)
    }

    @Test func stopBeforeStartDoesNothing() {
        let endpoint = HTTPEndpoint(host: "127.0.0.1", port: 0) { _ in .notFound }
        endpoint.stop()
        #expect(endpoint.boundPort == nil)
    }

    @Test func secondListenerOnTheSamePortFailsWithAClearError() throws {
        let first = try startedEndpoint()
        defer { first.stop() }
        let port = try #require(first.boundPort)
        let second = HTTPEndpoint(host: "127.0.0.1", port: port) { _ in .notFound }
        let error = try #require(throws: HTTPEndpointError.self) { try second.start() }
        #expect(error.code == EADDRINUSE)
        #expect(error.address == "127.0.0.1:\(port)")
        #expect(error.description == "cannot listen on 127.0.0.1:\(port): address already in use; another process listens on that port: choose another port")
        var relabelled = error
        relabelled.hint = "pass --http with another port or --http off"
        #expect(relabelled.description == "cannot listen on 127.0.0.1:\(port): address already in use; pass --http with another port or --http off")
        #expect(second.boundPort == nil)
    }

    @Test func startingAStartedEndpointFails() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let error = try #require(throws: HTTPEndpointError.self) { try endpoint.start() }
        #expect(error.description.contains("already listening"))
    }

    @Test(arguments: ["not-an-address", "127.0.0.256", "example.com", ""])
    func hostThatIsNotAnAddressIsRefused(host: String) throws {
        let endpoint = HTTPEndpoint(host: host, port: 0) { _ in .notFound }
        let error = try #require(throws: HTTPEndpointError.self) { try endpoint.start() }
        #expect(error.description.contains("is not an IPv4 or IPv6 address; use an address such as 127.0.0.1"), "\(error)")
    }

    @Test(arguments: [-1, 65_536])
    func portOutOfRangeIsRefused(port: Int) throws {
        let endpoint = HTTPEndpoint(host: "127.0.0.1", port: port) { _ in .notFound }
        let error = try #require(throws: HTTPEndpointError.self) { try endpoint.start() }
        #expect(error.description == "cannot listen on 127.0.0.1:\(port): \(port) is not a port; use a port from 1 to 65535, or 0 for any free port")
    }

    @Test func addressNotOnThisMachineIsRefused() throws {
        let endpoint = HTTPEndpoint(host: "192.0.2.1", port: 0) { _ in .notFound }  // TEST-NET-1, never local
        let error = try #require(throws: HTTPEndpointError.self) { try endpoint.start() }
        #expect(error.code == EADDRNOTAVAIL, "\(error)")
        #expect(error.description.hasPrefix("cannot listen on 192.0.2.1:0: cannot assign requested address; the address is not one of this machine's"))
    }

    @Test(.enabled(if: loopbackIPv6IsAvailable()), arguments: ["::1", "[::1]"])
    func ipv6Loopback(host: String) throws {
        let endpoint = try startedEndpoint(host: host)
        defer { endpoint.stop() }
        let port = try #require(endpoint.boundPort)
        #expect(endpoint.address == "[::1]:\(port)")
        #expect(try RawConnection.exchange("GET /healthz HTTP/1.1\r\n\r\n", port: port, host: "::1").status == 200)
    }

    @Test func addressShowsTheBoundPort() throws {
        let endpoint = try startedEndpoint(host: "localhost")
        defer { endpoint.stop() }
        #expect(endpoint.address == "127.0.0.1:\(try #require(endpoint.boundPort))")
    }

    @Test func manyRequestsInARow() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let port = try #require(endpoint.boundPort)
        for index in 0..<50 {
            let response = try RawConnection.exchange("GET /healthz?i=\(index) HTTP/1.1\r\n\r\n", port: port)
            #expect(response.status == 200)
        }
    }

    @Test func concurrentClientsAreAllServed() throws {
        let endpoint = try startedEndpoint()
        defer { endpoint.stop() }
        let port = try #require(endpoint.boundPort)
        let statuses = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<5 {
                let status = (try? RawConnection.exchange("GET /healthz HTTP/1.1\r\n\r\n", port: port).status) ?? -1
                statuses.withLock { $0.append(status) }
            }
        }
        #expect(statuses.withLock { $0 } == Array(repeating: 200, count: 40))
    }
}

private func loopbackIPv6IsAvailable() -> Bool {
    let probe = HTTPEndpoint(host: "::1", port: 0) { _ in .notFound }
    guard (try? probe.start()) != nil else { return false }
    probe.stop()
    return true
}
