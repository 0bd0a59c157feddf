// A blocking TCP client for the tests, on the test's own thread; every read has a deadline.

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct ClientError: Error, CustomStringConvertible {
    var description: String
}

/// One IPv4 loopback connection.
final class BlockingClient {
    private(set) var descriptor: Int32

    /// Connects to 127.0.0.1:`port`; reads and writes give up after `timeout` seconds. A
    /// `receiveBuffer` shrinks the socket's receive buffer (before connecting, so the window
    /// stays small): a client that does not read then fills up quickly.
    init(port: Int, timeout: Int = 10, receiveBuffer: Int32? = nil) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ClientError(description: "socket: \(String(cString: strerror(errno)))") }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw ClientError(description: "connect: \(String(cString: strerror(code)))")
        }
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Closes normally (FIN).
    func close() {
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// `ip:port` of this end, as the server sees it as its peer.
    var localAddress: String {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return "127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
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

    /// Exactly `count` bytes; throws at the end of the stream or the read deadline.
    func read(count: Int) throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
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

    /// Everything until the server ends the stream; throws at the read deadline or a reset.
    func readToEnd() throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let got = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if got == 0 { return received }
            if got < 0 {
                if errno == EINTR { continue }
                throw ClientError(description: "recv after \(received.count) bytes: \(String(cString: strerror(errno)))")
            }
            received.append(contentsOf: chunk[..<got])
        }
    }

    /// Ends the stream with a reset instead of a FIN (SO_LINGER with a zero timeout).
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Half-closes: sends FIN, can still read.
    func finishSending() {
        shutdown(descriptor, Int32(SHUT_WR))
    }
}

/// Waits for `semaphore` at most `seconds` (a deadline for a wait that could hang, not a speed test).
func arrives(_ semaphore: DispatchSemaphore, within seconds: Double = 10) -> Bool {
    semaphore.wait(timeout: .now() + seconds) == .success
}
