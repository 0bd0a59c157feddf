// The two kinds of failure a Redis call has: the server said no, or the client could not ask.

/// An error reply sent by the Redis server, with Redis's own text.
///
/// The first word is Redis's error code (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `NOAUTH`, …);
/// the rest is Redis's explanation, kept verbatim so operators can search for it.
public struct RedisServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The full error text as Redis sent it, e.g. `NOSCRIPT No matching script. Please use EVAL.`
    public let message: String

    /// Creates an error from Redis's reply text.
    public init(message: String) { self.message = message }

    /// The error code: the first word of the message (`ERR`, `WRONGTYPE`, `NOSCRIPT`, …).
    public var code: Substring { message.prefix { $0 != " " } }

    public var description: String { "Redis replied with an error: \(message)" }
}

/// A failure on the client side: bad configuration, no connection, a lost link, a timeout.
///
/// Every error says what happened and what the reader can do about it
/// (``recoverySuggestion``). Messages never contain a password.
public struct RedisClientError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: Sendable, Hashable {
        /// The URL or options are wrong; retrying will not help.
        case invalidConfiguration
        /// No connection could be opened (server down, wrong address, refused).
        case connectFailed
        /// The server refused the credentials or the database.
        case authenticationFailed
        /// An established connection broke while a command was in flight.
        case connectionLost
        /// The server did not answer within the command timeout.
        case timeout
        /// The server sent something the client cannot read, or an unexpected reply shape.
        case protocolError
        /// The connection was closed by its owner.
        case closed
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// What happened, in a sentence.
    public let message: String
    /// What the reader can do about it.
    public let recoverySuggestion: String
    /// Whether the failed command may nevertheless have been executed by the server
    /// (true once the command was written: a lost reply says nothing about the command).
    public let commandMayHaveRun: Bool

    /// Creates a client error.
    public init(_ kind: Kind, _ message: String, recoverySuggestion: String, commandMayHaveRun: Bool = false) {
        self.kind = kind
        self.message = message
        self.recoverySuggestion = recoverySuggestion
        self.commandMayHaveRun = commandMayHaveRun
    }

    public var description: String { "\(message) \(recoverySuggestion)" }
}

extension RedisServerError {
    /// What a refusal that lasts only a while means, and what to do about it: Redis loading
    /// its dataset (`LOADING`), running a long script (`BUSY`), or a replica whose link to its
    /// primary is down (`MASTERDOWN`). `nil` for every other error: waiting would not help.
    public var transientState: (reason: String, advice: String)? {
        switch code {
        case "LOADING":
            return ("Redis is still loading its dataset",
                    "It serves again once loading ends (INFO persistence shows loading:0; a large AOF or RDB file takes a while): retry then, or raise the connect timeout (--redis-connect-timeout) to wait longer.")
        case "BUSY":
            return ("Redis is busy running a script",
                    "It serves again when the script or function ends: end a stuck one with SCRIPT KILL or FUNCTION KILL (SHUTDOWN NOSAVE if it has already written), or raise the connect timeout (--redis-connect-timeout) to wait longer.")
        case "MASTERDOWN":
            return ("the replica's link to its primary is down",
                    "This replica refuses commands until its primary is back (replica-serve-stale-data no): check the primary and INFO replication, or point REDIS_URL at the primary.")
        default:
            return nil
        }
    }
}
