// HTTPEndpointError: why an endpoint could not start listening, and what to do about it.

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
}
