// Why a token or a secret was not accepted, in sentences for clients and operators.

/// A token the gateway does not accept (answered with HTTP 401).
public struct TokenRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sentence saying what is wrong and what to do. Never contains the secret or the signature.
    public var reason: String

    /// Creates a refusal.
    public init(_ reason: String) {
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}

/// A gateway secret that cannot be used: unreadable or too short.
public struct TokenSecretError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sentence saying what is wrong and what to do. Never contains the secret.
    public var message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
