// How a connection speaks TLS: what it trusts, what it presents, and whether it checks.

/// TLS settings of a connection (``RedisConfiguration/tls``; `nil` there means plain text).
///
/// The server's certificate chain is verified against ``caFile`` (or the system trust store)
/// and its name against the host of the URL (a DNS name, or an IP address when the URL
/// names one); the client sends the host as SNI and accepts TLS 1.2 or later only.
public struct RedisTLSConfiguration: Sendable, Hashable {
    /// A PEM file of the CA certificates to trust; `nil` trusts the system's store.
    public var caFile: String?
    /// The client certificate (PEM, optionally followed by its chain), for servers that
    /// require one (Redis `tls-auth-clients yes`).
    public var certificateFile: String?
    /// The client certificate's private key (PEM, not encrypted).
    public var keyFile: String?
    /// Whether the server's chain and name are checked. `false` is the insecure opt-out: any
    /// server, or anyone in between, is accepted.
    public var verifiesServer: Bool

    /// Creates TLS settings; by default the server is verified against the system store.
    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, verifiesServer: Bool = true) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.verifiesServer = verifiesServer
    }
}
