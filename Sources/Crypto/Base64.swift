// Base64 (RFC 4648 §4) and its URL-safe alphabet without padding (§5, as JWTs spell it).

import Foundation

/// Standard base64 with padding (the WebSocket handshake's `Sec-WebSocket-Accept`).
public enum Base64 {
    /// `bytes` in standard base64, padded with `=`.
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}

/// Base64url without padding (RFC 4648 §5; RFC 7515's "base64url" for JWT parts).
public enum Base64URL {
    /// `bytes` in base64url, `-` and `_` for `+` and `/`, no `=` padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        var text = Base64.encode(bytes)
        while text.hasSuffix("=") { text.removeLast() }
        return String(text.map { character -> Character in
            switch character {
            case "+": return "-"
            case "/": return "_"
            default: return character
            }
        })
    }

    /// The bytes `text` encodes, or `nil` unless it is canonical unpadded base64url: only the
    /// URL-safe alphabet, no `=`, no whitespace, unused trailing bits zero. Canonical only, so one
    /// byte string has exactly one spelling (a signature cannot be re-spelled).
    public static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.count % 4 != 1 else { return nil }
        var standard = [UInt8]()
        standard.reserveCapacity(text.utf8.count + 2)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                standard.append(byte)
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            default: return nil
            }
        }
        standard.append(contentsOf: [UInt8](repeating: UInt8(ascii: "="), count: (4 - standard.count % 4) % 4))
        guard let data = Data(base64Encoded: Data(standard)) else { return nil }
        let bytes = [UInt8](data)
        guard encode(bytes) == text else { return nil }
        return bytes
    }
}
