// WebSocketHandshake: the server's side of RFC 6455's opening handshake (section 4.2), for a
// request head that asks to upgrade.
import Crypto
import Foundation
import HTTPEndpoint

/// Checks an upgrade request and makes the `101 Switching Protocols` header fields.
public enum WebSocketHandshake {
    /// Why a request cannot become a WebSocket: answer `status` (400, or 426 with
    /// `Sec-WebSocket-Version: 13`) with `reason`, a sentence saying what to send instead.
    public struct Refusal: Error, Sendable, Equatable {
        /// 400 for a malformed handshake, 426 for a version other than 13.
        public var status: Int
        /// One sentence.
        public var reason: String

        public init(status: Int, reason: String) {
            self.status = status
            self.reason = reason
        }
    }

    /// The GUID RFC 6455 appends to the key before hashing it.
    static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The header fields of the `101` answer (`Upgrade`, `Connection`, `Sec-WebSocket-Accept`),
    /// or why the request is refused. The caller checks the method (GET) and the path.
    public static func accept(_ request: HTTPRequest) -> Result<[(name: String, value: String)], Refusal> {
        guard request.version == "HTTP/1.1" else {
            return .failure(Refusal(status: 400, reason: "A WebSocket handshake needs HTTP/1.1."))
        }
        guard tokens(of: request.header("Upgrade")).contains("websocket") else {
            return .failure(Refusal(status: 400, reason: "The request does not ask to upgrade to a WebSocket: send Upgrade: websocket."))
        }
        guard tokens(of: request.header("Connection")).contains("upgrade") else {
            return .failure(Refusal(status: 400, reason: "A WebSocket handshake needs Connection: Upgrade."))
        }
        guard request.header("Sec-WebSocket-Version") == "13" else {
            let sent = request.header("Sec-WebSocket-Version").map { "'\($0)'" } ?? "missing"
            return .failure(Refusal(status: 426, reason: "Sec-WebSocket-Version is \(sent); this server speaks version 13 only (RFC 6455)."))
        }
        guard let key = request.header("Sec-WebSocket-Key"), let decoded = Data(base64Encoded: key), decoded.count == 16 else {
            return .failure(Refusal(status: 400, reason: "Sec-WebSocket-Key must be 16 random bytes in base64 (24 characters)."))
        }
        return .success([("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", acceptValue(forKey: key))])
    }

    /// `Sec-WebSocket-Accept` for a key: base64 of the SHA-1 of the key and the GUID.
    static func acceptValue(forKey key: String) -> String {
        Base64.encode(Digest.sha1(Array((key + acceptGUID).utf8)))
    }

    /// The comma-separated tokens of a header value, lowercased.
    private static func tokens(of value: String?) -> [String] {
        (value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }
}
