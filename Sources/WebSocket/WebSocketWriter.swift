// WebSocketWriter: the frames a server sends (unmasked, never fragmented), as ready bytes.

/// Encoders for server frames. Each returns the frame's bytes once, so a message for many
/// connections is encoded once and the same array written to all of them.
public enum WebSocketWriter {
    /// The longest close reason in bytes: a control payload holds 125, the code takes 2.
    public static let maximumCloseReasonLength = 123

    /// A text message.
    public static func text(_ text: String) -> [UInt8] {
        WebSocketFrame.encode(opcode: .text, fin: true, payload: text.utf8)
    }

    /// A text message from bytes the caller knows are UTF-8 (e.g. encoded JSON), without a
    /// detour through `String`.
    public static func text(utf8 bytes: [UInt8]) -> [UInt8] {
        WebSocketFrame.encode(opcode: .text, fin: true, payload: bytes)
    }

    /// A binary message.
    public static func binary(_ bytes: [UInt8]) -> [UInt8] {
        WebSocketFrame.encode(opcode: .binary, fin: true, payload: bytes)
    }

    /// A ping; `payload` (at most 125 bytes) comes back in the pong.
    public static func ping(_ payload: [UInt8] = []) -> [UInt8] {
        precondition(payload.count <= 125, "a control frame carries at most 125 bytes")
        return WebSocketFrame.encode(opcode: .ping, fin: true, payload: payload)
    }

    /// A pong; to answer a ping, pass the ping's payload.
    public static func pong(_ payload: [UInt8] = []) -> [UInt8] {
        precondition(payload.count <= 125, "a control frame carries at most 125 bytes")
        return WebSocketFrame.encode(opcode: .pong, fin: true, payload: payload)
    }

    /// A close frame with `code` and `reason` (cut to ``maximumCloseReasonLength`` bytes, at a
    /// character boundary), or with an empty payload when `code` is nil.
    public static func close(code: WebSocketCloseCode?, reason: String = "") -> [UInt8] {
        guard let code else { return WebSocketFrame.encode(opcode: .close, fin: true, payload: [UInt8]()) }
        var payload: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        payload.append(contentsOf: truncated(reason, toUTF8Length: maximumCloseReasonLength))
        return WebSocketFrame.encode(opcode: .close, fin: true, payload: payload)
    }

    /// The longest prefix of `text` whose UTF-8 fits in `limit` bytes, whole characters only
    /// (a cut inside a character would make the peer fail the connection with 1007).
    static func truncated(_ text: String, toUTF8Length limit: Int) -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count > limit else { return utf8 }
        var end = 0
        for character in text {
            let next = end + character.utf8.count
            guard next <= limit else { break }
            end = next
        }
        return Array(utf8[..<end])
    }
}
