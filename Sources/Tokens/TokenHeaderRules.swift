// Which JOSE headers a workspace token may carry: HS256, typ JWT, nothing critical.

/// The header checks, done before the signature so a token never picks its own algorithm.
enum TokenHeaderRules {
    /// Algorithms named back in refusals; any other `alg` text is not echoed (it is unverified input).
    private static let knownAlgorithms: Set<String> = [
        "none", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
        "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA",
    ]

    static func check(_ header: [String: Any]) throws(TokenRefusal) {
        guard let algorithm = header["alg"] as? String else {
            throw TokenRefusal("The token's header has no alg; the gateway accepts HS256 tokens only (HMAC-SHA256 with the gateway's secret).")
        }
        guard algorithm == "HS256" else {
            let named = knownAlgorithms.contains(algorithm) ? "alg \(algorithm)" : "an unknown alg"
            throw TokenRefusal("The token's header names \(named); the gateway accepts HS256 tokens only (HMAC-SHA256 with the gateway's secret).")
        }
        if let type = header["typ"] {
            // RFC 7515 §4.1.9: media type names compare case-insensitively.
            guard (type as? String)?.uppercased() == "JWT" else {
                throw TokenRefusal("The token's header has a typ other than JWT; leave typ out or set it to JWT.")
            }
        }
        // RFC 7515 §4.1.11: extensions marked critical must be understood, and none are.
        guard header["crit"] == nil else {
            throw TokenRefusal("The token's header lists critical extensions (crit), which the gateway does not support; leave crit out.")
        }
    }
}
