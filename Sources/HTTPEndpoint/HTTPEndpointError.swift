// HTTPEndpointError: why an endpoint could not start listening, and what to do about it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An endpoint could not listen; the description says where, why and what to do, e.g.
/// `cannot listen on 127.0.0.1:9464: address already in use; another process listens on that port: choose another port`.
///
/// A program that knows its own options can replace ``hint`` before showing the error:
/// ```swift
/// catch var error as HTTPEndpointError { error.hint = "pass --http with another port or --http off"; throw error }
/// ```
public struct HTTPEndpointError: Error, Sendable, CustomStringConvertible {
    /// Where the endpoint tried to listen, `host:port` (`[host]:port` for IPv6).
    public var address: String
    /// What went wrong, e.g. `address already in use`.
    public var reason: String
    /// The `errno` of the failed call, if a call failed (`EADDRINUSE` …).
    public var code: Int32?
    /// What to do about it.
    public var hint: String?

    /// Creates an error.
    public init(address: String, reason: String, code: Int32? = nil, hint: String? = nil) {
        self.address = address
        self.reason = reason
        self.code = code
        self.hint = hint
    }

    /// `cannot listen on <address>: <reason>; <hint>`.
    public var description: String {
        "cannot listen on \(address): \(reason)" + (hint.map { "; \($0)" } ?? "")
    }

    /// The error for a failed system call, with a hint for the usual causes.
    static func systemCall(_ call: String, failedWith code: Int32, address: String) -> HTTPEndpointError {
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
        default: hint = "\(call) failed"
        }
        return HTTPEndpointError(address: address, reason: reason, code: code, hint: hint)
    }
}
