// Shared material for the token tests: a secret, claims, and hand-built tokens.

import Crypto
import Foundation
import Switchboard
@testable import Tokens

enum TokenFixtures {
    /// 2026-11-28T16:00:00Z.
    static let expiry = 1_795_881_600
    static let now = expiry - 3600
    static let secret = Array("0123456789abcdef0123456789abcdef0123456789abcdef".utf8)
    static let claims = WorkspaceClaims(agent: "42", workspace: "acme", role: .supervisor, expiresAt: expiry, issuedAt: now)

    static func signer() throws -> TokenSigner { try TokenSigner(secret: secret) }

    /// A token with exactly this header and payload JSON, signed under HS256 with `key`.
    static func token(header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String, key: [UInt8] = secret) -> String {
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return signingInput + "." + Base64URL.encode(HMAC.sha256(key: key, message: Array(signingInput.utf8)))
    }

    /// A payload with every claim valid, `changes` replacing or (with nil) removing some.
    static func payload(_ changes: [String: String?] = [:]) -> String {
        var fields: [String: String] = [
            "sub": #""42""#, "workspace": #""acme""#, "role": #""agent""#, "exp": "\(expiry)",
        ]
        for (name, value) in changes { fields[name] = value }
        return "{" + fields.sorted { $0.key < $1.key }.map { #""\#($0.key)":\#($0.value)"# }.joined(separator: ",") + "}"
    }

    /// The reason `token` is refused, or nil when it is accepted.
    static func refusal(_ token: String, now: Int = now) throws -> String? {
        let signer = try signer()
        do {
            _ = try signer.verify(token, now: now)
            return nil
        } catch {
            return error.reason
        }
    }

    /// A fresh directory for files a test writes.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
