// Where Redis is and how to talk to it: parsed from a URL, never printed with its password.
import Foundation

/// How to reach a Redis server and how a connection behaves.
///
/// Built from a URL:
/// - `redis://[user:password@]host[:port][/db]` (TCP, port 6379 by default); several
///   `host:port` seeds may be listed, comma-separated (`redis://a:7000,b:7001`): a Redis
///   Cluster client tries them in order until one answers
/// - `unix:///path/to/redis.sock[?db=N]` (Unix socket; user and password may precede the path
///   as in `unix://user:password@/path.sock`)
/// - `redis-sentinel://[user:password@]host:port,host:port,…/<master-name>[?db=N]` (the primary
///   that the sentinels name, asked on every connect; sentinel port 26379 by default). The
///   credentials are for the data nodes; sentinels get none, or `?sentinel_password=` if they
///   have `requirepass` set.
///
/// `rediss://` and `rediss-sentinel://` are the same with TLS (to the sentinels and to the
/// data nodes); ``tls`` then holds what to trust and present. The password may also come from a file
/// (``withPassword(fromFile:)``) so that it never appears in a process list or a shell history.
/// The `description` of a configuration never contains the password.
public struct RedisConfiguration: Sendable, CustomStringConvertible {
    /// Where the server listens.
    public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
        /// Whichever server the sentinels (TCP endpoints) name as the primary of `masterName`.
        case sentinel(masterName: String, sentinels: [Endpoint])

        /// `host:port`, the socket path, or `host:port,host:port/<master-name>`, as an operator
        /// would type it.
        public var description: String {
            switch self {
            case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unixSocket(let path): return path
            case .sentinel(let masterName, let sentinels): return sentinels.map(\.description).joined(separator: ",") + "/" + masterName
            }
        }
    }

    /// Where the server listens; for a Redis Cluster, the first seed node.
    public var endpoint: Endpoint
    /// The seeds listed after the first in the URL (`redis://a:7000,b:7001`), tried in order
    /// when the ones before them do not answer.
    public var otherSeeds: [Endpoint] = []
    /// Every seed: ``endpoint`` first, then ``otherSeeds``.
    public var seeds: [Endpoint] { [endpoint] + otherSeeds }
    /// The ACL user for `AUTH user password`; `nil` authenticates as the default user.
    public var username: String?
    /// The password; `nil` sends no `AUTH`.
    public var password: String?
    /// The password sentinels ask for (`requirepass` in sentinel.conf); `nil` sends them no
    /// `AUTH`. Only for a ``Endpoint/sentinel(masterName:sentinels:)`` endpoint.
    public var sentinelPassword: String?
    /// The logical database selected after connecting.
    public var database: Int = 0
    /// How long opening a connection may take.
    public var connectTimeout: Duration = .seconds(2)
    /// How long a command may wait for its reply; commands that block on purpose
    /// (`XREADGROUP BLOCK`) pass a longer timeout of their own.
    public var commandTimeout: Duration = .seconds(5)
    /// The name shown for this connection in `CLIENT LIST`; `nil` sets none.
    public var clientName: String?
    /// Whether to enable TCP keepalive (ignored on Unix sockets, where it does not apply).
    public var tcpKeepAlive: Bool = true
    /// Delays between reconnection attempts.
    public var reconnectBackoff: Backoff = Backoff()
    /// TLS settings (set by a `rediss://` or `rediss-sentinel://` URL); `nil` is plain text.
    public var tls: RedisTLSConfiguration?

    /// Creates a configuration for an endpoint.
    public init(endpoint: Endpoint) { self.endpoint = endpoint }

    /// Parses a Redis URL.
    /// - Throws: ``RedisClientError`` of kind `.invalidConfiguration` saying what is wrong.
    public init(url text: String) throws(RedisClientError) {
        guard let schemeEnd = text.range(of: "://") else {
            throw Self.invalid("'\(Self.redacted(text))' is not a Redis URL")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        var rest = String(text[schemeEnd.upperBound...])
        let usesTLS = scheme == "rediss" || scheme == "rediss-sentinel"
        switch scheme {
        case "redis", "unix", "redis-sentinel", "rediss", "rediss-sentinel": break
        default:
            throw Self.invalid("URL scheme '\(scheme)' is not redis://, rediss://, unix://, redis-sentinel:// or rediss-sentinel://")
        }

        // The user info first: a password may hold '?' or '/'.
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = Substring(rest[..<at])
            rest = String(rest[rest.index(after: at)...])
        }

        var query: [String: String] = [:]
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                query[parts[0]] = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
            }
            rest = String(rest[..<mark])
        }

        var username: String?
        var password: String?
        if let userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                let user = String(userInfo[..<colon])
                username = user.isEmpty ? nil : (user.removingPercentEncoding ?? user)
                let secret = String(userInfo[userInfo.index(after: colon)...])
                password = secret.removingPercentEncoding ?? secret
            } else if !userInfo.isEmpty {
                // `redis://name@host` names an ACL user (its password from a file, say);
                // a password alone is written `redis://:secret@host`.
                username = String(userInfo).removingPercentEncoding ?? String(userInfo)
            }
        }

        if scheme == "unix" {
            guard rest.hasPrefix("/"), rest.count > 1 else {
                throw Self.invalid("a unix:// URL needs an absolute socket path, as in unix:///var/run/redis.sock")
            }
            self.init(endpoint: .unixSocket(path: rest))
            if let db = query["db"] { database = try Self.parseDatabase(db) }
        } else if scheme.hasSuffix("-sentinel") {
            guard let slash = rest.firstIndex(of: "/"), rest.index(after: slash) < rest.endIndex else {
                throw Self.invalid("a redis-sentinel:// URL ends with the master name the sentinels monitor, as in redis-sentinel://127.0.0.1:26379/mymaster")
            }
            let nameText = String(rest[rest.index(after: slash)...])
            let masterName = nameText.removingPercentEncoding ?? nameText
            var sentinels: [Endpoint] = []
            for address in rest[..<slash].split(separator: ",", omittingEmptySubsequences: false) {
                let (host, port) = try Self.parseHostPort(String(address), defaultPort: 26379)
                sentinels.append(.tcp(host: host, port: port))
            }
            self.init(endpoint: .sentinel(masterName: masterName, sentinels: sentinels))
            if let db = query["db"] { database = try Self.parseDatabase(db) }
            sentinelPassword = query["sentinel_password"]
        } else {
            var hostPort = rest
            var databaseText: String?
            if let slash = rest.firstIndex(of: "/") {
                hostPort = String(rest[..<slash])
                let path = rest[rest.index(after: slash)...]
                if !path.isEmpty { databaseText = String(path) }
            }
            var endpoints: [Endpoint] = []
            for seed in hostPort.split(separator: ",", omittingEmptySubsequences: false) {
                let (host, port) = try Self.parseHostPort(String(seed), defaultPort: 6379)
                endpoints.append(.tcp(host: host, port: port))
            }
            self.init(endpoint: endpoints[0])
            otherSeeds = Array(endpoints.dropFirst())
            if let db = databaseText ?? query["db"] { database = try Self.parseDatabase(db) }
        }
        self.username = username
        self.password = password
        if usesTLS { tls = RedisTLSConfiguration() }
    }

    /// Returns a copy whose password is read from a file (trailing newline removed), so the
    /// secret never appears on a command line.
    /// - Throws: ``RedisClientError`` of kind `.invalidConfiguration` if the file cannot be read.
    public func withPassword(fromFile path: String) throws(RedisClientError) -> RedisConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Self.invalid("cannot read the Redis password file \(path)")
        }
        var copy = self
        var secret = String(decoding: data, as: UTF8.self)
        while secret.last == "\n" || secret.last == "\r" { secret.removeLast() }
        copy.password = secret
        return copy
    }

    /// The URL with the password replaced by `***`: safe for logs and error messages.
    public var description: String {
        var auth = ""
        if password != nil { auth = "\(username ?? ""):***@" } else if let username { auth = "\(username)@" }
        switch endpoint {
        case .tcp:
            return "\(tls == nil ? "redis" : "rediss")://\(auth)" + seeds.map(\.description).joined(separator: ",") + (database == 0 ? "" : "/\(database)")
        case .unixSocket(let path):
            return "unix://\(auth)\(path)" + (database == 0 ? "" : "?db=\(database)")
        case .sentinel:
            let query = (database == 0 ? [] : ["db=\(database)"]) + (sentinelPassword == nil ? [] : ["sentinel_password=***"])
            return "\(tls == nil ? "redis" : "rediss")-sentinel://\(auth)\(endpoint)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        }
    }

    /// A URL text with any password masked, for messages about URLs that failed to parse.
    static func redacted(_ url: String) -> String {
        var text = url
        if let secret = text.range(of: "sentinel_password=") {
            let end = text[secret.upperBound...].firstIndex(of: "&") ?? text.endIndex
            text = String(text[..<secret.upperBound]) + "***" + String(text[end...])
        }
        guard let at = text.lastIndex(of: "@") else { return text }
        // Whatever precedes the last '@' may hold a password, scheme or not.
        let start = text.range(of: "://").map(\.upperBound) ?? text.startIndex
        return at > start ? String(text[..<start]) + "***" + String(text[at...]) : "***" + String(text[at...])
    }

    /// `host[:port]` or `[ipv6][:port]`.
    private static func parseHostPort(_ text: String, defaultPort: Int) throws(RedisClientError) -> (host: String, port: Int) {
        var host = text
        var port = defaultPort
        if text.hasPrefix("[") {  // IPv6 literal: [::1]:6380
            guard let close = text.firstIndex(of: "]") else { throw invalid("unclosed '[' in host") }
            host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { port = try parsePort(String(after.dropFirst())) }
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            port = try parsePort(String(text[text.index(after: colon)...]))
        }
        guard !host.isEmpty else { throw invalid("the URL has no host, as in redis://127.0.0.1:6379") }
        return (host, port)
    }

    private static func parsePort(_ text: String) throws(RedisClientError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw invalid("port '\(text)' is not a number from 1 to 65535")
        }
        return port
    }

    private static func parseDatabase(_ text: String) throws(RedisClientError) -> Int {
        guard let db = Int(text), db >= 0 else { throw invalid("database '\(text)' is not a non-negative number") }
        return db
    }

    private static func invalid(_ what: String) -> RedisClientError {
        RedisClientError(
            .invalidConfiguration, "Invalid Redis URL: \(what).",
            recoverySuggestion: "Use redis://[user:password@]host:port[/db] (rediss:// for TLS), unix:///path/to/redis.sock[?db=N] or redis-sentinel://host:port,host:port/<master-name>[?db=N] (rediss-sentinel:// for TLS).")
    }
}
