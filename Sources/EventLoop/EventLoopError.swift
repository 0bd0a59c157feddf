// EventLoopError: why a loop could not start or listen, and what to do about it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A loop could not be created, started or listen; the description says where, why and what
/// to do, e.g. `cannot listen on 127.0.0.1:9464: address already in use; another process listens on that port: choose another port`.
public struct EventLoopError: Error, Sendable, CustomStringConvertible {
    /// Where a listener tried to listen, `host:port` (`[host]:port` for IPv6); nil for errors
    /// of the loop itself.
    public var address: String?
    /// What went wrong, e.g. `address already in use`.
    public var reason: String
    /// The `errno` of the failed call, if a call failed (`EADDRINUSE` …).
    public var code: Int32?
    /// What to do about it.
    public var hint: String?

    /// Creates an error.
    public init(address: String? = nil, reason: String, code: Int32? = nil, hint: String? = nil) {
        self.address = address
        self.reason = reason
        self.code = code
        self.hint = hint
    }

    /// `cannot listen on <address>: <reason>; <hint>`, or `event loop: <reason>; <hint>`.
    public var description: String {
        (address.map { "cannot listen on \($0)" } ?? "event loop") + ": \(reason)" + (hint.map { "; \($0)" } ?? "")
    }

    /// The error for a failed system call, with a hint for the usual causes.
    static func systemCall(_ call: String, failedWith code: Int32, address: String? = nil) -> EventLoopError {
        var reason = String(cString: strerror(code))
        if let first = reason.first, reason.dropFirst().first?.isLowercase ?? true {
            reason = first.lowercased() + reason.dropFirst()
        }
        let hint: String
        switch code {
        case EADDRINUSE: hint = "another process listens on that port: choose another port"
        case EACCES: hint = "ports below 1024 need privileges: choose a port from 1024 up"
        case EADDRNOTAVAIL: hint = "the address is not one of this machine's: use 127.0.0.1, ::1, 0.0.0.0 (every IPv4 address) or :: (every address)"
        case EAFNOSUPPORT: hint = "this machine has no IPv6: use an IPv4 address such as 127.0.0.1"
        case EMFILE, ENFILE: hint = "the process is out of file descriptors: raise its limit (ulimit -n)"
        default: hint = "\(call) failed"
        }
        return EventLoopError(address: address, reason: reason, code: code, hint: hint)
    }
}
