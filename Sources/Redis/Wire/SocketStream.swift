// A TCP or Unix socket: opened non-blocking within a deadline, then blocking with timeouts.
import Glibc

/// A connected socket without TLS. It owns the descriptor and closes it.
final class SocketStream: ByteStream {
    let fileDescriptor: Int32
    var hasBufferedInput: Bool { false }

    init(fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }

    deinit { close(fileDescriptor) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamFailure) -> StreamProgress {
        try receive(into: buffer, flags: Int32(MSG_DONTWAIT))
    }

    /// One blocking receive bounded by `SO_RCVTIMEO` (after ``makeBlocking()``): measured
    /// faster than `poll` then `read` on the sequential path, where every reply is waited for.
    func readWaiting(into buffer: UnsafeMutableRawBufferPointer, deadline: ContinuousClock.Instant) throws(StreamFailure) -> StreamProgress {
        let progress = try receive(into: buffer, flags: 0)
        if case .wouldBlock = progress { return .timedOut }
        return progress
    }

    private func receive(into buffer: UnsafeMutableRawBufferPointer, flags: Int32) throws(StreamFailure) -> StreamProgress {
        while true {
            let count = recv(fileDescriptor, buffer.baseAddress, buffer.count, flags)
            if count > 0 { return .moved(count) }
            if count == 0 { return .closed }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock(.readable) }
            throw .system()
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(StreamFailure) -> StreamProgress {
        while true {
            let count = send(fileDescriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            if count >= 0 { return .moved(count) }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock(.writable) }
            throw .system()
        }
    }

    /// Makes the socket blocking (or, with `false`, non-blocking again), so that
    /// ``readWaiting(into:deadline:)`` waits inside one `recv` for up to the wait timeout.
    /// Reads and writes that must not wait still pass `MSG_DONTWAIT`.
    func makeBlocking(_ blocking: Bool = true) throws(StreamFailure) {
        let flags = fcntl(fileDescriptor, F_GETFL)
        guard flags >= 0, fcntl(fileDescriptor, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK) == 0 else { throw .system() }
    }

    /// Bounds each blocking receive and send (`SO_RCVTIMEO`, `SO_SNDTIMEO`).
    func setWaitTimeout(_ timeout: Duration) throws(StreamFailure) {
        var value = timeval(duration: max(timeout, .milliseconds(1)))
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] where setsockopt(fileDescriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)) != 0 {
            throw .system()
        }
    }

    /// Opens a non-blocking, close-on-exec socket to `endpoint` (each address of a host name
    /// in turn), with `TCP_NODELAY` on TCP: a request is sent at once, not held for the next.
    /// - Throws: the reason of the last address tried ("Connection refused", "Connection
    ///   timed out", a name that does not resolve).
    static func connect(to endpoint: RedisConfiguration.Endpoint, deadline: ContinuousClock.Instant) throws(StreamFailure) -> SocketStream {
        switch endpoint {
        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, String(port), &hints, &list)
            guard status == 0, let list else { throw StreamFailure(reason: String(cString: gai_strerror(status))) }
            defer { freeaddrinfo(list) }
            var failure = StreamFailure(reason: "no address for \(host)")
            var entry: UnsafeMutablePointer<addrinfo>? = list
            while let address = entry {
                do {
                    let stream = try open(family: address.pointee.ai_family, address: address.pointee.ai_addr, length: address.pointee.ai_addrlen, deadline: deadline)
                    var on: Int32 = 1
                    setsockopt(stream.fileDescriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                    return stream
                } catch {
                    failure = error
                }
                entry = address.pointee.ai_next
            }
            throw failure
        case .unixSocket(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            guard path.utf8.count < capacity else { throw StreamFailure(reason: "the socket path is longer than \(capacity - 1) bytes") }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: path.utf8)
                raw[path.utf8.count] = 0
            }
            return try withUnsafePointer(to: &address) { pointer throws(StreamFailure) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic throws(StreamFailure) in
                    try open(family: AF_UNIX, address: generic, length: socklen_t(MemoryLayout<sockaddr_un>.size), deadline: deadline)
                }
            }
        case .sentinel:
            throw StreamFailure(reason: "a Sentinel endpoint is not an address")
        }
    }

    private static func open(family: Int32, address: UnsafePointer<sockaddr>?, length: socklen_t, deadline: ContinuousClock.Instant) throws(StreamFailure) -> SocketStream {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system() }
        let stream = SocketStream(fileDescriptor: fd)
        if Glibc.connect(fd, address, length) == 0 { return stream }
        guard errno == EINPROGRESS || errno == EAGAIN || errno == EINTR else { throw .system() }
        guard waitUntilReady(fd, for: .writable, deadline: deadline) else { throw .system(ETIMEDOUT) }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
        if error != 0 { throw .system(error) }
        return stream
    }

    /// TCP keepalive as hiredis sets it: probes after 15 s idle, a dead peer noticed within
    /// about 30 s more.
    func enableKeepAlive() throws(StreamFailure) {
        func set(_ level: Int32, _ option: Int32, _ value: Int32) throws(StreamFailure) {
            var value = value
            if setsockopt(fileDescriptor, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) != 0 { throw .system() }
        }
        try set(SOL_SOCKET, SO_KEEPALIVE, 1)
        try set(Int32(IPPROTO_TCP), TCP_KEEPIDLE, 15)
        try set(Int32(IPPROTO_TCP), TCP_KEEPINTVL, 5)
        try set(Int32(IPPROTO_TCP), TCP_KEEPCNT, 3)
    }
}

extension timeval {
    init(duration: Duration) {
        let ms = duration.wholeMilliseconds
        self.init(tv_sec: ms / 1000, tv_usec: (ms % 1000) * 1000)
    }
}
