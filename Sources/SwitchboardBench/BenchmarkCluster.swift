// A private Redis Cluster for one benchmark run: primaries only (no replicas), each a
// redis-server on a loopback TCP port, like BenchmarkRedis's single server.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Redis Cluster of `primaries` primaries that a benchmark run starts for itself.
final class BenchmarkCluster {
    let directory: String
    let ports: [Int]

    init(primaries: Int) throws {
        directory = NSTemporaryDirectory() + "switchboard-bench-cluster-\(getpid())-\(primaries)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var ports: [Int] = []
        do {
            for index in 0..<primaries {
                let port = try Self.freePortPair(avoiding: ports)
                let node = directory + "/node-\(index)"
                try FileManager.default.createDirectory(atPath: node, withIntermediateDirectories: true)
                try Shell.run("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", node, "--save", "", "--appendonly", "no",
                                               "--daemonize", "yes", "--pidfile", node + "/redis.pid", "--logfile", node + "/redis.log",
                                               "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"])
                ports.append(port)
            }
            for port in ports { try Self.await("node on port \(port) answers PONG") { (try? Self.cli(port, ["PING"])) == "PONG" } }
            let addresses = ports.map { "127.0.0.1:\($0)" }
            if primaries >= 3 {
                try Shell.run("redis-cli", ["--cluster", "create"] + addresses + ["--cluster-replicas", "0", "--cluster-yes"])
            } else {
                // `redis-cli --cluster create` wants 3 primaries at least: one node takes every slot itself.
                guard primaries == 1 else { throw BenchmarkError("a benchmark cluster has 1 primary or at least 3, not \(primaries)") }
                try Shell.run("redis-cli", ["-p", String(ports[0]), "CLUSTER", "ADDSLOTSRANGE", "0", "16383"])
            }
            try Self.await("every node of the cluster says cluster_state:ok") {
                ports.allSatisfy { (try? Self.cli($0, ["CLUSTER", "INFO"]))?.contains("cluster_state:ok") ?? false }
            }
        } catch {
            Self.stopNodes(in: directory)
            throw error
        }
        self.ports = ports
    }

    /// The seed list a worker is given: every primary.
    var url: String { "redis://" + ports.map { "127.0.0.1:\($0)" }.joined(separator: ",") }

    func stop() {
        Self.stopNodes(in: directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func stopNodes(in directory: String) {
        let nodes = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for node in nodes where node.hasPrefix("node-") {
            guard let text = try? String(contentsOfFile: "\(directory)/\(node)/redis.pid", encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
            kill(pid, SIGTERM)
            while kill(pid, 0) == 0 { usleep(10_000) }
        }
    }

    private static func cli(_ port: Int, _ arguments: [String]) throws -> String {
        try Shell.run("redis-cli", ["-p", String(port)] + arguments).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls `condition` every 100 ms for up to 30 s.
    private static func await(_ what: String, _ condition: () -> Bool) throws {
        for _ in 0..<300 {
            if condition() { return }
            usleep(100_000)
        }
        throw BenchmarkError("gave up waiting until \(what)")
    }

    /// A port whose cluster bus port (+10000) is free too, below the ephemeral range.
    private static func freePortPair(avoiding taken: [Int]) throws -> Int {
        for _ in 0..<100 {
            let port = Int.random(in: 20_000...30_000)
            if !taken.contains(port), isFree(port), isFree(port + 10_000) { return port }
        }
        throw BenchmarkError("found no free pair of ports for a cluster node")
    }

    private static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
