// TCP ports on 127.0.0.1 for tests: the one place that binds a socket to find, test or hold one.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to 127.0.0.1 (and listening, when asked): while it lives, the port is
/// taken, as another server would hold it.
public final class LoopbackPort: Sendable {
    /// The socket.
    public let descriptor: Int32
    /// The port bound.
    public let number: Int

    /// Binds `port` (0: one the system picks); nil when it is taken.
    public init?(_ port: Int = 0, listening: Bool = false) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        // As servers do (the worker too): connections of an earlier run in TIME_WAIT on the
        // port must not make it look taken.
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound, !listening || listen(descriptor, 8) == 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        number = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }

    /// A port that is free right now (the system's pick, from its ephemeral range).
    public static func free() throws -> Int {
        guard let port = LoopbackPort() else { throw TestSupportError("could not find a free TCP port on 127.0.0.1") }
        return port.number
    }

    /// Whether `port` is free right now.
    public static func isFree(_ port: Int) -> Bool { LoopbackPort(port) != nil }

    /// The ports the system hands out for `bind` to port 0 (`ip_local_port_range`).
    public static var ephemeralRange: ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return 32768...60999 }
        return bounds[0]...bounds[1]
    }
}
