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

    private static let fallbackCluster: RedisClusterProcess? = {
        if ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_CLUSTER_URL"] != nil { return nil }
        return try? RedisClusterProcess()
    }()

    private static let fallbackSentinel: RedisSentinelGroup? = {
        if ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_SENTINEL_URL"] != nil { return nil }
        return try? RedisSentinelGroup()
    }()

    /// The shared 3-primary / 3-replica cluster's seed URL (`SWITCHBOARD_TEST_CLUSTER_URL`,
    /// set by the test command), else one private cluster started on first use. Tests that
    /// kill nodes or move slots start their own ``RedisClusterProcess``.
    public static var clusterURL: String {
        get throws {
            if let url = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_CLUSTER_URL"] { return url }
            guard let cluster = fallbackCluster else { throw TestSupportError("could not start a Redis Cluster for the tests") }
            return cluster.url
        }
    }

    /// The shared Sentinel group's URL (`SWITCHBOARD_TEST_SENTINEL_URL`), else one private
    /// group started on first use. Tests that kill the primary start their own.
    public static var sentinelURL: String {
        get throws {
            if let url = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_SENTINEL_URL"] { return url }
            guard let group = fallbackSentinel else { throw TestSupportError("could not start a Sentinel group for the tests") }
            return group.url
        }
    }

    /// A unique prefix for one test's keys, e.g. `t:3f2a9c1b:`.
    public static func uniquePrefix() -> String { "t:\(UUID().uuidString.prefix(8).lowercased()):" }
}
