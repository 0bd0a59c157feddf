// The TLS side of the test servers: certificates and TLS-only redis-servers.
import ChildProcess
import Foundation
import Redis

/// The certificates and TLS-only servers the test command made (`SWITCHBOARD_TEST_TLS_*`,
/// see scripts/lib/tls.sh). Run without it, the certificates are made with the same script
/// and the standalone servers started privately; the TLS cluster and Sentinel group come
/// only from the test command.
public enum TestTLS {
    private static let environment = ProcessInfo.processInfo.environment

    private static let fallbackDirectory: Result<String, TestSupportError> = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-tls-\(UUID().uuidString.prefix(8))").path
        let script = DocumentedACL.repositoryRoot.appendingPathComponent("scripts/lib/tls.sh").path
        guard let run = try? ChildProcess.run("bash", [script, directory]), run.status == 0 else {
            return .failure(TestSupportError("could not make the test certificates with \(script) (is openssl installed?)"))
        }
        return .success(directory)
    }()

    /// The folder of the certificates (`ca.crt`, `server.crt`, `client.crt`, `expired.crt`,
    /// `other-name.crt`, `other-ca.crt`, `stranger.crt` and their `.key` files).
    public static var directory: String {
        get throws {
            if let directory = environment["SWITCHBOARD_TEST_TLS_DIR"] { return directory }
            return try fallbackDirectory.get()
        }
    }

    /// The path of one file of ``directory``, e.g. `file("ca.crt")`.
    public static func file(_ name: String) throws -> String { try directory + "/" + name }

    /// The test CA, which signed every server certificate but `stranger`.
    public static var caFile: String { get throws { try file("ca.crt") } }

    private static let fallbackServer = Result { try RedisServerProcess(tlsCertificate: "server") }
    private static let fallbackClientAuthServer = Result { try RedisServerProcess(tlsCertificate: "server", authClients: true) }

    /// The standalone TLS-only server (`tls-auth-clients no`).
    public static var url: String {
        get throws { try environment["SWITCHBOARD_TEST_TLS_URL"] ?? fallbackServer.get().tlsURL! }
    }

    /// The standalone TLS-only server that demands client certificates.
    public static var clientAuthURL: String {
        get throws { try environment["SWITCHBOARD_TEST_TLS_CLIENT_AUTH_URL"] ?? fallbackClientAuthServer.get().tlsURL! }
    }

    /// The TLS cluster's seeds (3 primaries, no replicas).
    public static var clusterURL: String {
        get throws { try required("SWITCHBOARD_TEST_TLS_CLUSTER_URL") }
    }

    /// The TLS Sentinel group (`rediss-sentinel://…/switchboard-tls`).
    public static var sentinelURL: String {
        get throws { try required("SWITCHBOARD_TEST_TLS_SENTINEL_URL") }
    }

    /// A configuration for a URL; a TLS one trusts the test CA, and presents the client
    /// certificate when `clientCertificate` is set.
    public static func configuration(url: String, name: String? = nil, clientCertificate: Bool = false) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: url)
        configuration.clientName = name
        guard configuration.tls != nil else { return configuration }
        configuration.tls?.caFile = try caFile
        if clientCertificate {
            configuration.tls?.certificateFile = try file("client.crt")
            configuration.tls?.keyFile = try file("client.key")
        }
        return configuration
    }

    /// The worker options that make `url` work: the test CA for a TLS URL, nothing otherwise.
    public static func workerArguments(for url: String) throws -> [String] {
        url.hasPrefix("rediss") ? ["--redis-tls-ca-file", try caFile] : []
    }

    private static func required(_ variable: String) throws -> String {
        guard let value = environment[variable] else {
            throw TestSupportError("\(variable) is not set: run the tests with ./scripts/test.sh, which starts the TLS cluster and Sentinel group.")
        }
        return value
    }
}

extension RedisServerProcess {
    /// A TLS-only server on a free port (and its plain Unix socket, for set-up and
    /// `redis-cli`) presenting `tlsCertificate` from ``TestTLS/directory``.
    public convenience init(tlsCertificate: String, authClients: Bool = false, arguments: [String] = []) throws {
        let directory = try TestTLS.directory
        let port = try LoopbackPort.free()
        try self.init(port: nil, arguments: [
            "--tls-port", String(port), "--tls-cert-file", "\(directory)/\(tlsCertificate).crt", "--tls-key-file", "\(directory)/\(tlsCertificate).key",
            "--tls-ca-cert-file", "\(directory)/ca.crt", "--tls-auth-clients", authClients ? "yes" : "no",
        ] + arguments)
    }

    /// The `rediss://` URL of a server started with a TLS port.
    public var tlsURL: String? {
        guard let index = extraArguments.firstIndex(of: "--tls-port"), index + 1 < extraArguments.count else { return nil }
        return "rediss://127.0.0.1:\(extraArguments[index + 1])"
    }
}
