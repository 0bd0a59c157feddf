// The intake shard rule as a producer outside Switchboard computes it (docs/protocol.md §1):
// written again here, table-free, so the tests check the documented rule rather than
// re-using the workers' own code.

/// Which intake stream a workspace's entries go to.
public enum IntakeShardRule {
    /// IEEE CRC-32 of the UTF-8 bytes, as zlib computes it (bit by bit, no table).
    public static func crc32(_ text: String) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in text.utf8 {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// `<prefix>:intake` with one shard, else `<prefix>:intake:<crc32(workspace) mod shards>`.
    public static func key(prefix: String, workspace: String, shards: Int) -> String {
        shards == 1 ? "\(prefix):intake" : "\(prefix):intake:\(crc32(workspace) % UInt32(shards))"
    }

    /// The list an entry of `stream` asking for a reply gets its outcome in:
    /// `<prefix>:reply:<id>` for `<prefix>:intake`, `<prefix>:reply:<n>:<id>` for shard `n`.
    public static func replyKey(stream: String, id: String) -> String {
        guard let range = stream.range(of: ":intake", options: .backwards) else { return stream + ":reply:" + id }
        let prefix = stream[..<range.lowerBound], shard = stream[range.upperBound...]
        return "\(prefix):reply" + (shard.isEmpty ? "" : "\(shard)") + ":\(id)"
    }

    /// The streams the workers read: the shards, and `<prefix>:intake` too when there are several.
    public static func streamsRead(prefix: String, shards: Int) -> [String] {
        shards == 1 ? ["\(prefix):intake"] : (0..<shards).map { "\(prefix):intake:\($0)" } + ["\(prefix):intake"]
    }
}
