// ListeningSocket: parses an IP literal and opens a listening TCP socket on it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A bound, listening, non-blocking, close-on-exec TCP socket.
struct ListeningSocket {
    /// Room for bursts of connections (thousands of dashboards reconnecting at once); the
    /// kernel caps it at `net.core.somaxconn`.
    static let backlog: Int32 = 4096

    let descriptor: Int32
    /// The port actually bound (the kernel's choice when asked for port 0).
    let port: Int

    /// Binds and listens on `host` (an IPv4 or IPv6 literal, or `localhost`) and `port` (0: any free port).
    static func open(host: String, port: Int) throws(EventLoopError) -> ListeningSocket {
        let literal = SocketAddress.normalized(host: host)
        let address = SocketAddress.display(host: literal, port: port)
        guard (0...65535).contains(port) else {
            throw EventLoopError(address: address, reason: "\(port) is not a port", hint: "use a port from 1 to 65535, or 0 for any free port")
        }
        var storage = sockaddr_storage()
        let length: socklen_t
        let family: Int32
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            family = AF_INET
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
            socketAddress.sin_addr = v4
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: socketAddress, as: sockaddr_in.self) }
        } else if inet_pton(AF_INET6, literal, &v6) == 1 {
            family = AF_INET6
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = in_port_t(UInt16(port).bigEndian)
            socketAddress.sin6_addr = v6
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: socketAddress, as: sockaddr_in6.self) }
        } else {
            throw EventLoopError(
                address: address, reason: "\"\(host)\" is not an IPv4 or IPv6 address",
                hint: "use an address such as 127.0.0.1, 0.0.0.0, ::1 or ::"
            )
        }

        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw .systemCall("socket", failedWith: errno, address: address) }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, Self.backlog) == 0 else {
            let code = errno
            close(descriptor)
            throw .systemCall(bound == 0 ? "listen" : "bind", failedWith: code, address: address)
        }

        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &actual) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &actualLength) }
        }
        var boundPort = port
        if named == 0 {
            let networkOrder = withUnsafeBytes(of: &actual) { raw in
                family == AF_INET
                    ? raw.load(as: sockaddr_in.self).sin_port
                    : raw.load(as: sockaddr_in6.self).sin6_port
            }
            boundPort = Int(UInt16(bigEndian: networkOrder))
        }
        return ListeningSocket(descriptor: descriptor, port: boundPort)
    }
}
