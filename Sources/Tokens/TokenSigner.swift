// TokenSigner: mints and checks the gateway's workspace tokens, JWTs signed with HMAC-SHA256
// (RFC 7519 with RFC 7515's HS256) under one shared secret.

import Crypto
import Foundation
import Switchboard

/// Signs and verifies workspace tokens with the gateway's secret. HS256 only.
public struct TokenSigner: Sendable, CustomStringConvertible {
    /// The shortest secret accepted, in bytes: HS256 needs a key at least as long as its output
    /// (RFC 7518 §3.2).
    public static let minimumSecretLength = 32

    private let secret: [UInt8]

    /// Creates a signer, or refuses a secret shorter than ``minimumSecretLength`` bytes.
    public init(secret: [UInt8]) throws(TokenSecretError) {
        try Self.checkLength(of: secret, from: "The gateway secret")
        self.secret = secret
    }

    /// The secret in the file at `path`, its trailing newlines (`\n`, `\r\n`) removed: every byte
    /// before them is the secret, as written (64 hex characters from `openssl rand -hex 32` are a
    /// 64-byte secret). Refuses a missing, unreadable or too short file with a sentence naming it.
    public static func loadSecret(fromFile path: String) throws(TokenSecretError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TokenSecretError(
                "The gateway secret file \(path) does not exist; create it with at least \(minimumSecretLength) random bytes "
                    + "(e.g. openssl rand -hex 32 > \(path)) and give the same file to every worker and token minter.")
        }
        guard !isDirectory.boolValue else {
            throw TokenSecretError("The gateway secret file \(path) is a directory; pass the path of the file holding the secret.")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenSecretError("The gateway secret file \(path) cannot be read; check its permissions.")
        }
        var secret = [UInt8](data)
        while let last = secret.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
            secret.removeLast()
        }
        try checkLength(of: secret, from: "The gateway secret in \(path)")
        return secret
    }

    /// The compact JWT for `claims`: `base64url(header).base64url(payload).base64url(HMAC)`.
    public func sign(_ claims: WorkspaceClaims) -> String {
        let signingInput = Self.header + "." + Base64URL.encode(TokenClaimsJSON.encode(claims))
        return signingInput + "." + Base64URL.encode(signature(of: signingInput))
    }

    /// The claims of `token` if it is a JWT signed with this secret under HS256, valid at `now`
    /// (seconds since 1970), for a well-formed agent, workspace and role.
    /// - Throws: ``TokenRefusal`` with a sentence saying what is wrong and what to do.
    public func verify(_ token: String, now: Int) throws(TokenRefusal) -> WorkspaceClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw TokenRefusal("The token is not a JWT (three base64url parts separated by dots); mint one with 'switchboard token' or an HS256 JWT library.")
        }
        guard let headerBytes = Base64URL.decode(String(parts[0])),
              let header = TokenClaimsJSON.object(headerBytes)
        else {
            throw TokenRefusal("The token's header is not base64url-encoded JSON; mint one with 'switchboard token' or an HS256 JWT library.")
        }
        try TokenHeaderRules.check(header)
        guard let signature = Base64URL.decode(String(parts[2])),
              ConstantTime.equals(signature, self.signature(of: String(parts[0]) + "." + String(parts[1])))
        else {
            throw TokenRefusal("The token's signature does not match: it was altered or signed with another secret; mint it with the gateway's secret.")
        }
        guard let payloadBytes = Base64URL.decode(String(parts[1])),
              let payload = TokenClaimsJSON.object(payloadBytes)
        else {
            throw TokenRefusal("The token's payload is not a base64url-encoded JSON object; mint it with 'switchboard token' or an HS256 JWT library.")
        }
        return try TokenClaimsJSON.claims(from: payload, now: now)
    }

    /// Says how long the secret is, never what it is.
    public var description: String { "TokenSigner(secret: \(secret.count) bytes, not shown)" }

    /// `{"alg":"HS256","typ":"JWT"}`, the one header this signer writes.
    static let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    private func signature(of signingInput: String) -> [UInt8] {
        HMAC.sha256(key: secret, message: Array(signingInput.utf8))
    }

    private static func checkLength(of secret: [UInt8], from source: String) throws(TokenSecretError) {
        guard secret.count >= minimumSecretLength else {
            throw TokenSecretError(
                "\(source) is \(secret.count) bytes long; it must be at least \(minimumSecretLength) "
                    + "(e.g. openssl rand -hex 32 writes 64).")
        }
    }
}
