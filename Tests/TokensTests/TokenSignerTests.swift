// Signing and verifying: round trips and every refusal, each with a sentence that says what to do.

import Crypto
import Foundation
import Switchboard
import Testing
@testable import Tokens

@Suite("Token signer")
struct TokenSignerTests {
    typealias F = TokenFixtures

    @Test func signedTokensVerifyToTheSameClaims() throws {
        let signer = try F.signer()
        #expect(try signer.verify(signer.sign(F.claims), now: F.now) == F.claims)
        for role in AgentRole.allCases {
            let claims = WorkspaceClaims(agent: "a.b_c@d-e", workspace: "w", role: role, expiresAt: F.expiry)
            #expect(try signer.verify(signer.sign(claims), now: F.now) == claims)
        }
    }

    @Test func signedTokensHaveTheStandardHeader() throws {
        let token = try F.signer().sign(F.claims)
        let header = try #require(Base64URL.decode(String(token.split(separator: ".")[0])))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"HS256","typ":"JWT"}"#)
    }

    @Test func headerWithoutTypAndExtraClaimsAreAccepted() throws {
        let token = F.token(header: #"{"alg":"HS256"}"#, payload: F.payload(["iss": #""backend""#, "aud": #""x""#]))
        let claims = try F.signer().verify(token, now: F.now)
        #expect(claims == WorkspaceClaims(agent: "42", workspace: "acme", role: .agent, expiresAt: F.expiry))
        #expect(try F.refusal(F.token(header: #"{"typ":"jwt","alg":"HS256"}"#, payload: F.payload())) == nil)
    }

    @Test func expiryHasNoLeeway() throws {
        let token = try F.signer().sign(F.claims)
        #expect(try F.refusal(token, now: F.expiry - 1) == nil)
        #expect(try F.refusal(token, now: F.expiry) == "The token expired at 2026-11-28T16:00:00Z; mint a new one.")
        #expect(try F.refusal(token, now: F.expiry + 86400) == "The token expired at 2026-11-28T16:00:00Z; mint a new one.")
    }

    @Test func notBeforeIsHonoured() throws {
        let token = F.token(payload: F.payload(["nbf": "\(F.now + 10)"]))
        #expect(try F.refusal(token, now: F.now + 10) == nil)
        #expect(try F.refusal(token, now: F.now + 9)?.hasPrefix("The token is not valid before 2026-11-28T15:00:10Z") == true)
    }

    @Test(arguments: [
        ("none", "alg none"), ("HS512", "alg HS512"), ("RS256", "alg RS256"), ("HS384", "alg HS384"), ("hs256", "an unknown alg"),
    ])
    func algorithmsOtherThanHS256AreRefused(algorithm: String, named: String) throws {
        let token = F.token(header: #"{"alg":"\#(algorithm)","typ":"JWT"}"#, payload: F.payload())
        #expect(try F.refusal(token)
            == "The token's header names \(named); the gateway accepts HS256 tokens only (HMAC-SHA256 with the gateway's secret).")
    }

    @Test func unsignedTokenIsRefused() throws {
        // The classic "alg: none" attack: no signature at all.
        let unsigned = Base64URL.encode(Array(#"{"alg":"none"}"#.utf8)) + "." + Base64URL.encode(Array(F.payload().utf8)) + "."
        #expect(try F.refusal(unsigned)?.contains("alg none") == true)
    }

    @Test func unknownAlgorithmTextIsNotEchoed() throws {
        let token = F.token(header: #"{"alg":"evil\ninjected"}"#, payload: F.payload())
        let reason = try #require(try F.refusal(token))
        #expect(!reason.contains("evil") && !reason.contains("\n"))
    }

    @Test(arguments: [
        (#"{"typ":"JWT"}"#, "The token's header has no alg;"),
        (#"{"alg":256}"#, "The token's header has no alg;"),
        (#"{"alg":"HS256","typ":"JOSE+JSON"}"#, "The token's header has a typ other than JWT;"),
        (#"{"alg":"HS256","typ":1}"#, "The token's header has a typ other than JWT;"),
        (#"{"alg":"HS256","crit":["exp"]}"#, "The token's header lists critical extensions (crit)"),
        (#"["HS256"]"#, "The token's header is not base64url-encoded JSON;"),
        (#"{"alg":"HS256""#, "The token's header is not base64url-encoded JSON;"),
    ])
    func badHeadersAreRefused(header: String, reasonPrefix: String) throws {
        #expect(try F.refusal(F.token(header: header, payload: F.payload()))?.hasPrefix(reasonPrefix) == true)
    }

    @Test(arguments: ["", "abc", "a.b", "a.b.c.d", "....", "a..b"])
    func textThatIsNotAJWTIsRefused(text: String) throws {
        let reason = try #require(try F.refusal(text))
        #expect(reason.hasPrefix("The token is not a JWT") || reason.hasPrefix("The token's header is not base64url-encoded JSON"))
    }

    @Test func signatureFromAnotherSecretIsRefused() throws {
        let other = try TokenSigner(secret: Array(repeating: UInt8(ascii: "x"), count: 32))
        #expect(try F.refusal(other.sign(F.claims))
            == "The token's signature does not match: it was altered or signed with another secret; mint it with the gateway's secret.")
    }

    @Test func tamperedPayloadIsRefused() throws {
        let token = try F.signer().sign(F.claims)
        let parts = token.split(separator: ".").map(String.init)
        let promoted = WorkspaceClaims(agent: "42", workspace: "acme", role: .owner, expiresAt: F.expiry + 86400 * 365)
        let forged = parts[0] + "." + Base64URL.encode(TokenClaimsJSON.encode(promoted)) + "." + parts[2]
        #expect(try F.refusal(forged)?.hasPrefix("The token's signature does not match") == true)
    }

    @Test func everyAlteredSignatureIsRefused() throws {
        let token = try F.signer().sign(F.claims)
        let parts = token.split(separator: ".").map(String.init)
        let signature = try #require(Base64URL.decode(parts[2]))
        for index in signature.indices {
            var altered = signature
            altered[index] ^= 0x80
            #expect(try F.refusal(parts[0] + "." + parts[1] + "." + Base64URL.encode(altered)) != nil, "byte \(index)")
        }
        #expect(try F.refusal(parts[0] + "." + parts[1] + "." + Base64URL.encode(Array(signature.dropLast()))) != nil)
        #expect(try F.refusal(parts[0] + "." + parts[1] + ".") != nil)
        #expect(try F.refusal(parts[0] + "." + parts[1] + "." + parts[2] + "=") != nil)
    }

    @Test(arguments: [
        (["exp": nil], "The token has no exp claim; mint it with an expiry (exp, seconds since 1970)."),
        (["exp": #""1795881600""#], "The token's exp claim is not a whole number of seconds since 1970; mint it with an integer exp."),
        (["exp": "1795881600.5"], "The token's exp claim is not a whole number of seconds since 1970; mint it with an integer exp."),
        (["exp": "true"], "The token's exp claim is not a whole number of seconds since 1970; mint it with an integer exp."),
        (["exp": "null"], "The token's exp claim is not a whole number of seconds since 1970; mint it with an integer exp."),
        (["iat": #""now""#], "The token's iat claim is not a whole number of seconds since 1970; mint it with an integer iat or none."),
        (["nbf": "1.5"], "The token's nbf claim is not a whole number of seconds since 1970; mint it with an integer nbf or none."),
        (["sub": nil], "The token has no sub claim (the agent id, a string); mint it with one."),
        (["sub": "42"], "The token has no sub claim (the agent id, a string); mint it with one."),
        (["sub": #""a b""#], "The token's sub claim is not a valid agent id. Field 'sub' is 'a b', which contains ' '; expected an id of 1 to 64 characters, each a letter, a digit, '.', '_', '@' or '-'."),
        (["sub": #""""#], "The token's sub claim is not a valid agent id. Field 'sub' is empty; expected an id of 1 to 64 characters, each a letter, a digit, '.', '_', '@' or '-'."),
        (["workspace": nil], "The token has no workspace claim (the workspace id, a string); mint it with one."),
        (["workspace": #""{acme}""#], "The token's workspace claim is not a valid workspace id. Field 'workspace' is '{acme}', which contains '{'; expected an id of 1 to 64 characters, each a letter, a digit, '.', '_', '@' or '-'."),
        (["role": nil], "The token's role claim must be one of agent, supervisor, admin, owner; mint it with one of them."),
        (["role": #""Admin""#], "The token's role claim must be one of agent, supervisor, admin, owner; mint it with one of them."),
        (["role": #""root""#], "The token's role claim must be one of agent, supervisor, admin, owner; mint it with one of them."),
    ] as [([String: String?], String)])
    func badClaimsAreRefused(changes: [String: String?], reason: String) throws {
        #expect(try F.refusal(F.token(payload: F.payload(changes))) == reason)
    }

    @Test(arguments: ["[]", #""text""#, "{", "1"])
    func payloadThatIsNotAnObjectIsRefused(payload: String) throws {
        #expect(try F.refusal(F.token(payload: payload))?.hasPrefix("The token's payload is not a base64url-encoded JSON object") == true)
    }

    @Test func refusalsNeverShowTheSecretOrTheSignature() throws {
        let signer = try F.signer()
        let secretText = String(decoding: F.secret, as: UTF8.self)
        let token = signer.sign(F.claims)
        let signature = String(token.split(separator: ".")[2])
        let candidates = [
            token, String(token.dropLast()), F.token(header: #"{"alg":"none"}"#, payload: F.payload()),
            F.token(payload: F.payload(["role": #""root""#])), F.token(payload: F.payload(), key: Array(F.secret.reversed())),
        ]
        for candidate in candidates {
            let reason = try F.refusal(candidate, now: F.expiry) ?? ""
            #expect(!reason.isEmpty)
            #expect(!reason.contains(secretText) && !reason.contains(signature))
        }
        #expect(!"\(signer)".contains(secretText) && !String(reflecting: signer).contains("0123456789"))
    }
}
