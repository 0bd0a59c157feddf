// WebSocketHandshake: the server's side of RFC 6455's opening handshake (section 4.2): is this
// request an upgrade, is it a valid one, and the headers of the 101 that accepts it.
import Crypto
import Foundation
import HTTPEndpoint

/// Checks a client's opening handshake and computes the server's answer.
///
/// ```swift
/// switch WebSocketHandshake.accept(request) {
/// case .success(let headers): exchange.switchProtocols(headers: headers)   // 101
/// case .failure(let refusal): respond(refusal.status, refusal.reason)      // 400, or 426 + Sec-WebSocket-Version: 13
/// }
/// ```
public enum WebSocketHandshake {
    /// The one protocol version of RFC 6455.
    public static let version = "13"
    /// Appended to the client's key before hashing (RFC 6455 §1.3).
    static let magic = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Why a handshake is refused: the HTTP status to answer with and a sentence saying what to fix.
    public struct Refusal: Error, Sendable, Equatable {
        /// 400 for a malformed handshake, 426 for a version other than 13 (answer with
        /// `Sec-WebSocket-Version: 13`).
        public var status: Int
        /// What was wrong, for the response body.
        public var reason: String
    }

    /// Whether the request asks to become a WebSocket (its `Upgrade` lists `websocket`);
    /// whether it is a valid handshake is ``accept(_:)``'s question.
    public static func isUpgrade(_ request: HTTPRequest) -> Bool {
        tokens(of: request.header("Upgrade")).contains("websocket")
    }

    /// The headers of the `101 Switching Protocols` answer (`Upgrade`, `Connection`,
    /// `Sec-WebSocket-Accept`), or why the handshake is refused.
    public static func accept(_ request: HTTPRequest) -> Result<[(name: String, value: String)], Refusal> {
        guard request.method == "GET" else {
            return .failure(Refusal(status: 400, reason: "A WebSocket handshake is a GET request, not \(request.method)."))
        }
        guard request.version == "HTTP/1.1" else {
            return .failure(Refusal(status: 400, reason: "A WebSocket handshake needs HTTP/1.1 (this request is \(request.version))."))
        }
        guard isUpgrade(request) else {
            return .failure(Refusal(status: 400, reason: "The handshake's Upgrade header must name websocket."))
        }
        guard tokens(of: request.header("Connection")).contains("upgrade") else {
            return .failure(Refusal(status: 400, reason: "The handshake's Connection header must include Upgrade."))
        }
        guard request.header("Sec-WebSocket-Version") == version else {
            return .failure(Refusal(status: 426, reason: "This server speaks WebSocket version 13 only (RFC 6455); send Sec-WebSocket-Version: 13."))
        }
        guard let key = request.header("Sec-WebSocket-Key") else {
            return .failure(Refusal(status: 400, reason: "The handshake has no Sec-WebSocket-Key header."))
        }
        guard let nonce = Data(base64Encoded: key), nonce.count == 16, key.count == 24 else {
            return .failure(Refusal(status: 400, reason: "Sec-WebSocket-Key must be 16 random bytes in base64 (24 characters)."))
        }
        return .success([("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", acceptValue(forKey: key))])
    }

    /// `Sec-WebSocket-Accept` for a client's key: base64(SHA-1(key + the RFC's magic string)).
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(Digest.sha1(Array((key + magic).utf8)))
    }

    /// The comma-separated tokens of a header value, trimmed and lowercased.
    private static func tokens(of value: String?) -> [String] {
        (value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }
}
