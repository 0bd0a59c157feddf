// IEEE CRC-32 (reflected polynomial 0xEDB88320), the checksum zlib.crc32 computes: the
// intake shard rule uses it because every language has it in its standard library. A
// checksum for spreading workspaces over shards, not cryptography.

/// IEEE CRC-32, as `zlib.crc32` (Python), `zlib.crc32` (Node ≥ 20.15) and `Zlib.crc32` (Ruby).
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
        return value
    }

    /// The checksum of `bytes`.
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The checksum of a string's UTF-8 bytes.
    public static func checksum(_ text: String) -> UInt32 { checksum(text.utf8) }
}
