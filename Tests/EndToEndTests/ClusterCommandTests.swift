import ChildProcess
import Foundation
import Glibc
import Redis
import Testing
import TestSupport

/// The CLI against the shared Redis Cluster, with workers on it: `inspect keys` finds the keys
/// of every primary, `watch` receives a status change a worker broadcast (sharded Pub/Sub).
@Suite("The CLI on a Redis Cluster", .enabled(if: SharedCluster.clientSpeaksCluster, "the Redis client does not route on a cluster"))
struct ClusterCommandTests {
    /// The nodes of the shared cluster, from its seed list (`redis://host:port,host:port…`).
    private static func nodes() throws -> [(host: String, port: String)] {
        try TestRedis.clusterURL.dropFirst("redis://".count).split(separator: ",").map { address in
            let parts = address.split(separator: ":")
            return (String(parts[0]), String(parts.count > 1 ? parts[1] : "6379"))
        }
    }

    /// Every key under the prefix, from every node by `redis-cli --scan` (no cluster client).
    private static func scanned(_ prefix: String) throws -> Set<String> {
        try nodes().reduce(into: Set<String>()) { found, node in
            let result = try ChildProcess.run("redis-cli", ["-h", node.host, "-p", node.port, "--scan", "--pattern", prefix + ":*"])
            found.formUnion(result.output.split(separator: "\n").map(String.init).filter { !$0.isEmpty })
        }
    }

    @Test func inspectKeysListsTheKeysOfEveryPrimary() throws {
        let harness = try PresenceHarness(workers: 2, workerArguments: ["--safety-sweep-interval", "10m"], shards: 8, redisURL: try TestRedis.clusterURL)
        try harness.awaitRecordedShardCount()
        // Workspaces on different slots, and so (three primaries) on different nodes.
        for workspace in [harness.workspace, "c-alpha", "c-beta", "c-gamma", "c-delta"] {
            let outcome = try harness.apply([("workspace", workspace), ("op", "agent.login"), ("agent", "a"), ("session", "s1")])
            #expect(outcome["outcome"] as? String == "applied", "\(workspace): \(outcome)")
        }
        try harness.submit([("op", "agent.status"), ("agent", "a"), ("status", "sleeping")])  // a dead letter of its shard
        #expect(try eventually { try !harness.deadLetters().isEmpty })
        #expect(try harness.awaitDrained(timeout: 30))

        let result = try ChildProcess.run(BuiltProducts.switchboard, ["inspect", "keys", "--json", "--redis", harness.redisURL,
                                                                      "--prefix", harness.prefix, "--workspace", harness.workspace])
        #expect(result.status == 0, "\(result.output)")
        let listed = Set(try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]], "\(result.output)")
            .compactMap { $0["key"] as? String })
        // The other workspaces' keys are not this workspace's: inspect keys lists its own and the global ones.
        let expected = try Self.scanned(harness.prefix).filter { !$0.hasPrefix(harness.prefix + ":{") || $0.hasPrefix(harness.key("")) }
        #expect(listed == expected, "missing: \(expected.subtracting(listed).sorted()); extra: \(listed.subtracting(expected).sorted())")
        let shardKeys = expected.filter { $0.hasPrefix(harness.prefix + ":sweep:") || $0.hasPrefix(harness.prefix + ":dead:") }
        #expect(!shardKeys.isEmpty, "the per-shard keys: \(expected.sorted())")
    }

    @Test func watchReceivesAStatusChangeAWorkerMadeOnTheCluster() throws {
        let harness = try PresenceHarness(workers: 1, shards: 8, redisURL: try TestRedis.clusterURL)
        try harness.apply([("op", "agent.login"), ("agent", "w1"), ("session", "s")])
        let output = NSTemporaryDirectory() + "sb-cluster-watch-\(harness.prefix).log"
        let watch = try ChildProcess(executable: BuiltProducts.switchboard,
                                     arguments: ["watch", "--json", "--redis", harness.redisURL, "--prefix", harness.prefix, "--workspace", harness.workspace],
                                     outputPath: output)
        defer { watch.signal(SIGINT); _ = watch.waitOrKill(after: .seconds(10)) }
        func printed() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        #expect(eventually { printed().contains("watching") }, "watch subscribed: \(printed())")
        try harness.apply([("op", "agent.status"), ("agent", "w1"), ("status", "dnd")])
        #expect(eventually { printed().contains("\"status\":\"dnd\"") }, "watch printed the broadcast: \(printed())")
    }
}

enum SharedCluster {
    /// Whether this build's Redis client sees the shared cluster as one (it must, to route).
    static var clientSpeaksCluster: Bool {
        guard let url = try? TestRedis.clusterURL, let configuration = try? RedisConfiguration(url: url) else { return false }
        return (try? RedisConnection(configuration: configuration).isCluster()) == true
    }
}
