// The Redis server the test command started, shared by every test of the run.
import Foundation
import Redis

/// The shared test server: `SWITCHBOARD_TEST_REDIS_URL` when the test command set it
/// (the README's way), else one private server started on first use for this process.
public enum TestRedis {
    private static let fallback: RedisServerProcess? = {
        if ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_REDIS_URL"] != nil { return nil }
        return try? RedisServerProcess(tcp: true)
    }()

    /// The shared server's URL.
    public static var url: String {
        get throws {
            if let url = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_REDIS_URL"] { return url }
            guard let server = fallback else { throw TestSupportError("could not start a redis-server for the tests") }
            return server.url
        }
    }

    /// The shared server's TCP URL (`SWITCHBOARD_TEST_REDIS_TCP_URL`), for TCP-only checks.
    public static var tcpURL: String {
        get throws {
            if let url = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_REDIS_TCP_URL"] { return url }
            guard let url = fallback?.tcpURL else { throw TestSupportError("no TCP test server") }
            return url
        }
    }

    /// A configuration for the shared server.
    public static func configuration(name: String? = nil) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: url)
        configuration.clientName = name
        return configuration
    }

    /// A fresh connection to the shared server.
    public static func connection(name: String? = nil) throws -> RedisConnection {
        RedisConnection(configuration: try configuration(name: name))
    }

    /// A unique prefix for one test's keys, e.g. `t:3f2a9c1b:`.
    public static func uniquePrefix() -> String { "t:\(UUID().uuidString.prefix(8).lowercased()):" }
}
