// The shape of Redis a test runs against, as a Swift Testing argument: one test body, run on
// a single Redis and on a Redis Cluster.
import Foundation
import Redis
import Synchronization

/// Where a test's Switchboard keeps its state: the shared single Redis (``TestRedis/url``),
/// the shared 3-primary cluster (``TestRedis/clusterURL``), or the shared TLS-only Redis
/// (``TestTLS/url``, trusted through the test CA).
public enum Topology: String, CaseIterable, Sendable, CustomStringConvertible {
    case standalone
    case cluster
    case tls

    /// The single Redis and the cluster: what most tests run on.
    public static var allCases: [Topology] { [.standalone, .cluster] }

    /// Also over TLS: the presence and routing suites, end to end with workers on `rediss://`.
    public static var withTLS: [Topology] { [.standalone, .cluster, .tls] }

    /// The single Redis in plain text and over TLS: the client suites' round trips,
    /// pipelines, subscriber and functions run on both.
    public static var plainAndTLS: [Topology] { [.standalone, .tls] }

    public var description: String { rawValue }

    /// The URL workers and test connections use (on the cluster, every node as a seed).
    public var url: String {
        get throws {
            switch self {
            case .standalone: try TestRedis.url
            case .cluster: try TestRedis.clusterURL
            case .tls: try TestTLS.url
            }
        }
    }

    /// A fresh connection to this topology's Redis.
    public func connection(name: String? = nil) throws -> RedisConnection {
        RedisConnection(configuration: try configuration(name: name))
    }

    /// A configuration for this topology's Redis.
    public func configuration(name: String? = nil) throws -> RedisConfiguration {
        try TestTLS.configuration(url: url, name: name)
    }

    /// A tag for a test's prefix and workspace (`<tag>` in `t<tag>` and `ws-<tag>`). On the
    /// cluster it is chosen so that the workspace's keys live on the next primary in turn
    /// (successive tests spread over every primary) and on another primary than the
    /// single intake stream `t<tag>:intake`, so each entry crosses nodes as in production.
    public func freshTag() throws -> String {
        let random = { String(UUID().uuidString.prefix(8).lowercased()) }
        guard self == .cluster else { return random() }
        let map = try ClusterSlotOwners.shared()
        let wanted = map.primaries[Self.nextPrimary.withLock { turn in defer { turn += 1 }; return turn } % map.primaries.count]
        for _ in 0..<10_000 {
            let tag = random()
            let home = map.primary(ofSlot: ClusterSlotOwners.slot(of: "{ws-\(tag)}"))
            if home == wanted, map.primary(ofSlot: ClusterSlotOwners.slot(of: "t\(tag):intake")) != home { return tag }
        }
        throw TestSupportError("no tag puts a workspace on \(wanted)")
    }

    private static let nextPrimary = Mutex(0)
}

/// Which primary of the shared cluster serves which hash slot, read once with `CLUSTER SLOTS`,
/// and the slot rule (CRC16/XMODEM of the key or its hash tag, mod 16384) written again here
/// as any client computes it.
public struct ClusterSlotOwners: Sendable {
    /// `host:port` of every primary, sorted.
    public let primaries: [String]
    private let ranges: [(low: Int, high: Int, primary: String)]

    /// Reads the slot ranges from the node of `url` (the first seed of a list).
    public init(url: String) throws {
        guard let seed = url.split(separator: "://").last?.split(separator: ",").first else { throw TestSupportError("no seed in \(url)") }
        let connection = RedisConnection(configuration: try RedisConfiguration(url: "redis://\(seed)"))
        defer { connection.close() }
        var ranges: [(low: Int, high: Int, primary: String)] = []
        for range in try connection.send(RedisCommand("CLUSTER", "SLOTS")).array ?? [] {
            guard let fields = range.array, fields.count >= 3, let low = fields[0].int, let high = fields[1].int,
                  let node = fields[2].array, node.count >= 2, let host = node[0].string, let port = node[1].int else { continue }
            ranges.append((low, high, "\(host.isEmpty ? "127.0.0.1" : host):\(port)"))
        }
        guard ranges.map({ $0.high - $0.low + 1 }).reduce(0, +) == 16384 else { throw TestSupportError("the cluster at \(url) does not serve every slot") }
        self.ranges = ranges
        primaries = Set(ranges.map(\.primary)).sorted()
    }

    private static let cached = Mutex<ClusterSlotOwners?>(nil)

    /// The shared cluster's map, read on first use.
    public static func shared() throws -> ClusterSlotOwners {
        try cached.withLock { map in
            if let map { return map }
            let read = try ClusterSlotOwners(url: TestRedis.clusterURL)
            map = read
            return read
        }
    }

    /// The primary (`host:port`) serving `slot`.
    public func primary(ofSlot slot: Int) -> String? { ranges.first { slot >= $0.low && slot <= $0.high }?.primary }

    /// The hash slot of `key`: only the part between the first `{` and the next `}` counts
    /// when that part is not empty.
    public static func slot(of key: String) -> Int {
        let bytes = Array(key.utf8)
        var hashed = bytes[...]
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
           let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            hashed = bytes[(open + 1)..<close]
        }
        var crc: UInt16 = 0
        for byte in hashed {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return Int(crc) % 16384
    }
}
