// A private Redis Cluster for tests: primaries and replicas on loopback ports, created with
// redis-cli --cluster create, stopped when the value goes away.
import ChildProcess
import Foundation
import Redis

/// A Redis Cluster of `primaries` primaries with `replicasPerPrimary` replicas each, every
/// node a ``RedisServerProcess`` on 127.0.0.1 (never the default ports).
///
/// The test command (`scripts/test.sh`) starts one shared 3 + 3 cluster and exports its seed
/// URL as `SWITCHBOARD_TEST_CLUSTER_URL`; tests that kill nodes or move slots start their own
/// with this type.
public final class RedisClusterProcess: @unchecked Sendable {
    // @unchecked: `nodes` is fixed at init; the node processes are managed by tests from one task.

    /// Every node, primaries first as created (a failover changes who is primary: ask Redis).
    public let nodes: [RedisServerProcess]

    /// Starts the nodes, joins them into a cluster and waits until every node reports
    /// `cluster_state:ok` with the same view of the slots.
    public init(primaries: Int = 3, replicasPerPrimary: Int = 1, arguments: [String] = []) throws {
        let count = primaries * (1 + replicasPerPrimary)
        var nodes: [RedisServerProcess] = []
        for port in try Self.freePortPairs(count) {
            nodes.append(try RedisServerProcess(port: port, arguments: [
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                // Short enough that a killed primary's replica takes over within seconds.
                "--cluster-node-timeout", "1500",
                // A replica promoted after a kill -9 must not wait for its data to be "fresh".
                "--cluster-replica-validity-factor", "0",
                "--cluster-allow-replica-migration", "no",
            ] + arguments))
        }
        self.nodes = nodes
        let addresses = nodes.map { "127.0.0.1:\($0.port!)" }
        try ChildProcess.ensure(try ChildProcess.run("redis-cli", ["--cluster", "create"] + addresses + ["--cluster-replicas", String(replicasPerPrimary), "--cluster-yes"],
                                                     limit: .seconds(60)), "redis-cli --cluster create")
        try awaitHealthy()
    }

    deinit { for node in nodes { node.stop() } }

    /// The seed URLs of every node, comma-separated: `redis://127.0.0.1:p1,127.0.0.1:p2,…`.
    public var url: String { "redis://" + nodes.map { "127.0.0.1:\($0.port!)" }.joined(separator: ",") }

    /// The URL of one node: a cluster client needs only one.
    public func url(ofNode index: Int) -> String { "redis://127.0.0.1:\(nodes[index].port!)" }

    /// The node that serves `port`.
    public func node(port: Int) -> RedisServerProcess? { nodes.first { $0.port == port } }

    /// Runs `redis-cli -p <port of a live node> <arguments>` and returns what it printed.
    @discardableResult
    public func cli(_ arguments: [String], node: RedisServerProcess? = nil) throws -> String {
        guard let target = node ?? nodes.first(where: \.isRunning) else { throw TestSupportError("no node of the cluster is running") }
        return try ChildProcess.run("redis-cli", ["-p", String(target.port!)] + arguments).output
    }

    /// The port of the primary serving `slot`, as a live node sees it.
    public func primaryPort(ofSlot slot: Int) throws -> Int {
        for line in try cli(["CLUSTER", "NODES"]).split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 9, fields[2].contains("master"), !fields[2].contains("fail") else { continue }
            for range in fields[8...] where !range.hasPrefix("[") {
                let bounds = range.split(separator: "-").compactMap { Int($0) }
                if let low = bounds.first, slot >= low, slot <= (bounds.last ?? low),
                   let port = Int(fields[1].split(separator: ":")[1].split(separator: "@")[0]) {
                    return port
                }
            }
        }
        throw TestSupportError("no live primary serves slot \(slot)")
    }

    /// Waits until every running node says `cluster_state:ok` and all agree on the primaries.
    public func awaitHealthy(upTo limit: Duration = .seconds(30)) throws {
        let deadline = ContinuousClock.now + limit
        var last = ""
        while ContinuousClock.now < deadline {
            let running = nodes.filter(\.isRunning)
            let states = try running.map { try cli(["CLUSTER", "INFO"], node: $0) }
            let views = try running.map { node in
                try cli(["CLUSTER", "NODES"], node: node).split(separator: "\n")
                    .filter { $0.contains("master") && !$0.contains("fail") && $0.split(separator: " ").count > 8 }
                    .map { $0.split(separator: " ")[1] }.sorted()
            }
            if states.allSatisfy({ $0.contains("cluster_state:ok") }), Set(views).count == 1 { return }
            last = states.first { !$0.contains("cluster_state:ok") } ?? "nodes disagree on the primaries: \(views)"
            usleep(100_000)
        }
        throw TestSupportError("the cluster did not become healthy within \(limit): \(last.prefix(400))")
    }

    /// `count` TCP ports below 55535 that are free together with the port 10000 above each
    /// (the cluster bus).
    static func freePortPairs(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var candidate = 21000 + Int.random(in: 0..<30000)
        for _ in 0..<2000 where ports.count < count {
            candidate = candidate >= 54000 ? 21000 : candidate + 1
            if LoopbackPort.isFree(candidate), LoopbackPort.isFree(candidate + 10000) { ports.append(candidate) }
        }
        guard ports.count == count else { throw TestSupportError("could not find \(count) free port pairs for a cluster") }
        return ports
    }
}

extension ChildProcess {
    /// Throws with the output when a command run with ``run(_:_:limit:)`` failed.
    public static func ensure(_ result: (output: String, status: Int32), _ what: String) throws {
        guard result.status == 0 else { throw TestSupportError("\(what) failed (\(result.status)): \(result.output.suffix(2000))") }
    }
}
