// WebSocketFrame: one frame of RFC 6455 (5.2) and its encoding.

/// The kind of a frame (RFC 6455, 5.2): data frames (continuation, text, binary) and control
/// frames (close, ping, pong). The other opcodes are reserved and refused by the reader.
public enum WebSocketOpcode: UInt8, Sendable {
    /// Continues the message that a text or binary frame without `fin` started.
    case continuation = 0x0
    /// The first (or only) frame of a UTF-8 text message.
    case text = 0x1
    /// The first (or only) frame of a binary message.
    case binary = 0x2
    /// Closes the connection; the payload is empty or a code and a UTF-8 reason.
    case close = 0x8
    /// Asks the peer for a pong with the same payload.
    case ping = 0x9
    /// Answers a ping, or is sent unasked as a heartbeat.
    case pong = 0xA

    /// Close, ping and pong: at most 125 bytes of payload, never fragmented.
    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// One frame: its opcode, whether it ends its message, and its (unmasked) payload.
public struct WebSocketFrame: Sendable, Equatable {
    /// What the frame carries.
    public var opcode: WebSocketOpcode
    /// Whether this is the last frame of its message (always true for control frames).
    public var fin: Bool
    /// The application data, unmasked.
    public var payload: [UInt8]

    /// Creates a frame.
    public init(opcode: WebSocketOpcode, fin: Bool = true, payload: [UInt8] = []) {
        self.opcode = opcode
        self.fin = fin
        self.payload = payload
    }

    /// The frame's bytes on the wire: unmasked as a server sends it, or masked with the
    /// four bytes of `maskingKey` as a client must send it.
    public func encoded(maskingKey: [UInt8]? = nil) -> [UInt8] {
        Self.encode(opcode: opcode, fin: fin, payload: payload, maskingKey: maskingKey)
    }

    /// Header and payload in one array of exactly the right capacity: the length in 7, 16
    /// or 64 bits, whichever is shortest (RFC 6455 requires the minimal encoding).
    static func encode(opcode: WebSocketOpcode, fin: Bool, payload: some Collection<UInt8>, maskingKey: [UInt8]? = nil) -> [UInt8] {
        precondition(maskingKey == nil || maskingKey?.count == 4, "a masking key has 4 bytes")
        let length = payload.count
        let lengthBytes = length < 126 ? 0 : length <= 0xFFFF ? 2 : 8
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2 + lengthBytes + (maskingKey == nil ? 0 : 4) + length)
        bytes.append((fin ? 0x80 : 0) | opcode.rawValue)
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        switch lengthBytes {
        case 0:
            bytes.append(maskBit | UInt8(length))
        case 2:
            bytes.append(maskBit | 126)
            bytes.append(UInt8(length >> 8))
            bytes.append(UInt8(length & 0xFF))
        default:
            bytes.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: UInt64(length) >> UInt64(shift))) }
        }
        guard let maskingKey else {
            bytes.append(contentsOf: payload)
            return bytes
        }
        bytes.append(contentsOf: maskingKey)
        for (offset, byte) in payload.enumerated() { bytes.append(byte ^ maskingKey[offset & 3]) }
        return bytes
    }
}
