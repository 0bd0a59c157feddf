// The JSON of a token's payload: written by the signer, read back into WorkspaceClaims.

import Foundation
import Switchboard

/// Encodes and decodes the claims: `sub`, `workspace`, `role`, `exp`, optional `iat` and `nbf`.
enum TokenClaimsJSON {
    static func encode(_ claims: WorkspaceClaims) -> [UInt8] {
        var object: [String: Any] = [
            "sub": claims.agent, "workspace": claims.workspace, "role": claims.role.rawValue, "exp": claims.expiresAt,
        ]
        if let issuedAt = claims.issuedAt { object["iat"] = issuedAt }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            preconditionFailure("strings and integers always serialise as JSON")
        }
        return [UInt8](data)
    }

    /// `bytes` as a JSON object, or `nil`.
    static func object(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    /// The claims of a verified payload, checked for use at `now`.
    static func claims(from payload: [String: Any], now: Int) throws(TokenRefusal) -> WorkspaceClaims {
        guard payload["exp"] != nil else {
            throw TokenRefusal("The token has no exp claim; mint it with an expiry (exp, seconds since 1970).")
        }
        guard let expiresAt = integer(payload["exp"]) else {
            throw TokenRefusal("The token's exp claim is not a whole number of seconds since 1970; mint it with an integer exp.")
        }
        guard expiresAt > now else {
            throw TokenRefusal("The token expired at \(timestamp(expiresAt)); mint a new one.")
        }
        if payload["nbf"] != nil {
            guard let notBefore = integer(payload["nbf"]) else {
                throw TokenRefusal("The token's nbf claim is not a whole number of seconds since 1970; mint it with an integer nbf or none.")
            }
            guard notBefore <= now else {
                throw TokenRefusal("The token is not valid before \(timestamp(notBefore)); check the clocks of the minter and the gateway.")
            }
        }
        var issuedAt: Int?
        if payload["iat"] != nil {
            guard let value = integer(payload["iat"]) else {
                throw TokenRefusal("The token's iat claim is not a whole number of seconds since 1970; mint it with an integer iat or none.")
            }
            issuedAt = value
        }
        let agent = try identifier(payload, "sub", meaning: "agent id")
        let workspace = try identifier(payload, "workspace", meaning: "workspace id")
        guard let roleText = payload["role"] as? String, let role = AgentRole(rawValue: roleText) else {
            let roles = AgentRole.allCases.map(\.rawValue).joined(separator: ", ")
            throw TokenRefusal("The token's role claim must be one of \(roles); mint it with one of them.")
        }
        return WorkspaceClaims(agent: agent, workspace: workspace, role: role, expiresAt: expiresAt, issuedAt: issuedAt)
    }

    private static func identifier(_ payload: [String: Any], _ claim: String, meaning: String) throws(TokenRefusal) -> String {
        guard let text = payload[claim] as? String else {
            throw TokenRefusal("The token has no \(claim) claim (the \(meaning), a string); mint it with one.")
        }
        do {
            return try Identifier.validate(text, field: claim).rawValue
        } catch {
            throw TokenRefusal("The token's \(claim) claim is not a valid \(meaning). \(error.message)")
        }
    }

    /// A JSON integer as JSONSerialization returns it; `nil` for strings, booleans and numbers
    /// written with a fraction or exponent.
    private static func integer(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        // objCType tells how the number was written: q/l/i/s integers, d floating, c booleans.
        guard ["q", "l", "i", "s", "Q", "L", "I", "S"].contains(String(cString: number.objCType)) else { return nil }
        return value as? Int
    }

    /// `seconds` since 1970 as ISO 8601 in UTC, e.g. 2026-11-28T16:00:00Z.
    private static func timestamp(_ seconds: Int) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
