// Which of Redis Cluster's 16384 hash slots a key belongs to: CRC16 (XMODEM) of the key, or
// of its hash tag, modulo 16384 — the rule of the Redis Cluster specification.

/// The hash slot rule of Redis Cluster.
public enum ClusterSlot {
    /// How many hash slots a Redis Cluster has.
    public static let count = 16384

    /// The slot of a key given as text (its UTF-8 bytes).
    public static func of(_ key: String) -> Int {
        var key = key
        return key.withUTF8 { of(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The slot of a key given as bytes.
    public static func of(bytes key: some Collection<UInt8>) -> Int {
        let array = Array(key)
        return array.withUnsafeBytes { of(bytes: $0) }
    }

    /// The slot of a key: when the key holds a `{…}` with at least one byte between the first
    /// `{` and the first `}` after it, only those bytes are hashed (the hash tag), so keys that
    /// share a tag share a slot.
    static func of(bytes key: UnsafeRawBufferPointer) -> Int {
        var hashed = key
        if let open = key.firstIndex(of: UInt8(ascii: "{")),
           let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            hashed = UnsafeRawBufferPointer(rebasing: key[(open + 1)..<close])
        }
        var crc: UInt16 = 0
        for byte in hashed { crc = (crc << 8) ^ crc16Table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)] }
        return Int(crc) & (count - 1)
    }

    /// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), one entry per byte value.
    private static let crc16Table: [UInt16] = (0..<256).map { value in
        var crc = UInt16(value) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}
