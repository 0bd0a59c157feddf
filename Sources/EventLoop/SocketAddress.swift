// SocketAddress: how hosts are written in flags and shown in messages.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The text forms of listening addresses and peers.
public enum SocketAddress {
    /// `host` without brackets, `::1` for `[::1]`; `localhost` means 127.0.0.1.
    public static func normalized(host: String) -> String {
        if host.hasPrefix("[") && host.hasSuffix("]") && host.count >= 2 { return String(host.dropFirst().dropLast()) }
        if host == "localhost" { return "127.0.0.1" }
        return host
    }

    /// `host:port`, or `[host]:port` for an IPv6 host.
    public static func display(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `127.0.0.1:5555` or `[::1]:5555` for an IPv4 or IPv6 socket address, else `unknown`.
    static func display(_ storage: sockaddr_storage) -> String {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return withUnsafeBytes(of: &storage) { raw -> String in
            switch Int32(raw.load(as: sa_family_t.self)) {
            case AF_INET:
                var address = raw.load(as: sockaddr_in.self)
                inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
                return display(host: string(text), port: Int(UInt16(bigEndian: address.sin_port)))
            case AF_INET6:
                var address = raw.load(as: sockaddr_in6.self)
                inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count))
                return display(host: string(text), port: Int(UInt16(bigEndian: address.sin6_port)))
            default:
                return "unknown"
            }
        }
    }

    private static func string(_ terminated: [CChar]) -> String {
        String(decoding: terminated.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
