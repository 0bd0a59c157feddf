// A raw TCP client for the tests: sends exact bytes, reads until the server closes.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct ClientError: Error, CustomStringConvertible {
    var description: String
}

/// What came back, split into status, header fields (names lowercased) and body.
struct RawResponse {
    var raw: String
    var statusLine: String
    var status: Int
    var headers: [String: String]
    var body: String

    init(_ raw: String) throws {
        self.raw = raw
        guard let split = raw.firstRange(of: "\r\n\r\n") else { throw ClientError(description: "no end of head in \(raw.debugDescription)") }
        let headLines = raw[..<split.lowerBound].components(separatedByCRLF: ())
        statusLine = headLines.first ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw ClientError(description: "bad status line \(statusLine.debugDescription)")
        }
        self.status = status
        var headers: [String: String] = [:]
        for line in headLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw ClientError(description: "bad header line \(line.debugDescription)") }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        self.headers = headers
        body = String(raw[split.upperBound...])
    }
}

extension Substring {
    fileprivate func components(separatedByCRLF _: Void) -> [String] {
        split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
    }
}

/// One connection to the endpoint under test.
final class RawConnection {
    let descriptor: Int32

    /// Connects to `host` (an IPv4 or IPv6 literal) and `port`; reads give up after `timeout` seconds.
    init(host: String = "127.0.0.1", port: Int, timeout: Int = 5) throws {
        var storage = sockaddr_storage()
        let length: socklen_t
        let family: Int32
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            family = AF_INET
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr = v4
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in.self) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            family = AF_INET6
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            address.sin6_addr = v6
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in6.self) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            throw ClientError(description: "not an address: \(host)")
        }
        // A local until connected: a throw after `self.descriptor` is set runs deinit too, and
        // closing the number twice can close another test's new descriptor, e.g. an endpoint's
        // wake pipe, whose next write then raises SIGPIPE in the test process.
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ClientError(description: "socket: \(String(cString: strerror(errno)))") }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, length) }
        }
        guard connected == 0 else {
            let code = errno
            close(descriptor)
            throw ClientError(description: "connect: \(String(cString: strerror(code)))")
        }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw ClientError(description: "send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Everything until the server closes; throws when the read timeout passes first.
    func readToEnd() throws -> String {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return String(decoding: received, as: UTF8.self) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ClientError(description: "recv after \(received.count) bytes: \(String(cString: strerror(errno)))")
            }
            received.append(contentsOf: chunk[..<count])
        }
    }

    /// Exactly `count` bytes; throws at the end of the stream or the read timeout.
    func read(count: Int) throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while received.count < count {
            let wanted = min(chunk.count, count - received.count)
            let got = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, wanted, 0) }
            if got == 0 { throw ClientError(description: "end of stream after \(received.count) of \(count) bytes") }
            if got < 0 {
                if errno == EINTR { continue }
                throw ClientError(description: "recv after \(received.count) bytes: \(String(cString: strerror(errno)))")
            }
            received.append(contentsOf: chunk[..<got])
        }
        return received
    }

    /// Whether the server has neither answered nor closed this connection yet (a peek that
    /// does not wait).
    func isOpenWithNothingToRead() throws -> Bool {
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return true }
        if count < 0 { throw ClientError(description: "recv: \(String(cString: strerror(errno)))") }
        return false
    }

    /// Sends `request` and reads the whole response.
    static func exchange(_ request: String, port: Int, host: String = "127.0.0.1") throws -> RawResponse {
        let connection = try RawConnection(host: host, port: port)
        try connection.send(request)
        return try RawResponse(connection.readToEnd())
    }
}
