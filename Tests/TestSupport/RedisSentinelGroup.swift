// A private Sentinel group for tests: one primary, its replicas and three sentinels on
// loopback ports, stopped when the value goes away.
import ChildProcess
import Foundation
import Redis

/// A primary with `replicas` replicas, watched by `sentinels` sentinels under `masterName`.
///
/// The test command (`scripts/test.sh`) starts one shared 1 + 1 + 3 group and exports its URL
/// as `SWITCHBOARD_TEST_SENTINEL_URL`; tests that kill the primary start their own.
public final class RedisSentinelGroup: @unchecked Sendable {
    // @unchecked: fixed at init; processes are managed by tests from one task.

    /// The name the sentinels monitor the primary under.
    public let masterName: String
    /// The data nodes: the first one starts as the primary.
    public let servers: [RedisServerProcess]
    /// The sentinel processes with their ports.
    public let sentinels: [(process: ChildProcess, port: Int)]
    private let directory: URL

    /// Starts the primary, the replicas (waiting until each is in sync) and the sentinels
    /// (waiting until each knows the primary and its replicas).
    public init(masterName: String = "switchboard", replicas: Int = 1, sentinels count: Int = 3) throws {
        self.masterName = masterName
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-sentinel-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let primary = try RedisServerProcess(port: try LoopbackPort.free())
        var servers = [primary]
        for _ in 0..<replicas {
            servers.append(try RedisServerProcess(port: try LoopbackPort.free(), arguments: ["--replicaof", "127.0.0.1", String(primary.port!)]))
        }
        self.servers = servers
        var sentinels: [(ChildProcess, Int)] = []
        for index in 0..<count {
            let port = try LoopbackPort.free()
            let config = directory.appendingPathComponent("sentinel-\(index).conf")
            try """
                port \(port)
                bind 127.0.0.1
                dir \(directory.path)
                logfile \(directory.appendingPathComponent("sentinel-\(index).log").path)
                sentinel monitor \(masterName) 127.0.0.1 \(primary.port!) \(count / 2 + 1)
                sentinel down-after-milliseconds \(masterName) 1000
                sentinel failover-timeout \(masterName) 5000
                sentinel parallel-syncs \(masterName) 1

                """.write(to: config, atomically: true, encoding: .utf8)
            sentinels.append((try ChildProcess(executable: "/usr/bin/redis-server", arguments: [config.path, "--sentinel"]), port))
        }
        self.sentinels = sentinels
        for server in servers.dropFirst() { try server.awaitCLI("INFO", "replication", prints: "master_link_status:up") }
        for (_, port) in sentinels {
            try awaitSentinel(port: port, prints: "num-slaves\n\(replicas)\n")
        }
    }

    deinit {
        for (process, _) in sentinels {
            process.signal(SIGTERM)
            _ = process.waitOrKill(after: .seconds(5))
        }
        for server in servers { server.stop() }
        try? FileManager.default.removeItem(at: directory)
    }

    /// `redis-sentinel://127.0.0.1:s1,127.0.0.1:s2,…/<master name>`.
    public var url: String {
        "redis-sentinel://" + sentinels.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") + "/" + masterName
    }

    /// The port of the primary the sentinels currently name.
    public func primaryPort() throws -> Int {
        let reply = try ChildProcess.run("redis-cli", ["-p", String(sentinels[0].port), "SENTINEL", "get-master-addr-by-name", masterName]).output
        guard let port = reply.split(separator: "\n").last.flatMap({ Int($0) }) else { throw TestSupportError("no primary known: \(reply)") }
        return port
    }

    /// The data node listening on `port`.
    public func server(port: Int) -> RedisServerProcess? { servers.first { $0.port == port } }

    /// Waits until every sentinel names a primary other than `port` (after a failover).
    public func awaitPrimary(otherThan port: Int, upTo limit: Duration = .seconds(30)) throws -> Int {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let named = try sentinels.map { sentinel in
                try ChildProcess.run("redis-cli", ["-p", String(sentinel.port), "SENTINEL", "get-master-addr-by-name", masterName]).output
                    .split(separator: "\n").last.flatMap { Int($0) }
            }
            if let first = named.first, let first, first != port, named.allSatisfy({ $0 == first }) { return first }
            usleep(100_000)
        }
        throw TestSupportError("the sentinels did not fail over from port \(port) within \(limit)")
    }

    private func awaitSentinel(port: Int, prints text: String, upTo limit: Duration = .seconds(20)) throws {
        let deadline = ContinuousClock.now + limit
        var output = ""
        while ContinuousClock.now < deadline {
            output = try ChildProcess.run("redis-cli", ["-p", String(port), "SENTINEL", "master", masterName]).output
            if output.contains(text) { return }
            usleep(50_000)
        }
        throw TestSupportError("sentinel on port \(port) did not report '\(text)' within \(limit): \(output.prefix(300))")
    }
}
