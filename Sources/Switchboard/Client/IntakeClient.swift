// Writing intake entries, and waiting for their outcome: what the CLI and tests use to
// drive Switchboard exactly as any other producer would.
import Redis

/// Submits intake entries to `sb:intake` and, when asked, waits for their outcome.
public struct IntakeClient {
    /// The connection used; owned by the caller.
    public let connection: RedisConnection
    /// The key layout.
    public let keys: KeySchema

    /// Creates a client over a connection.
    public init(connection: RedisConnection, keys: KeySchema = KeySchema()) {
        self.connection = connection
        self.keys = keys
    }

    /// Appends an entry to the intake stream ([XADD](https://redis.io/commands/xadd/)).
    /// - Returns: The entry id Redis assigned.
    @discardableResult
    public func submit(_ entry: IntakeEntry) throws -> String {
        var command = RedisCommand("XADD", keys.intake, "*")
        for field in entry.fields {
            command.append(field.name)
            command.append(field.value)
        }
        guard let id = try connection.send(command).string else {
            throw RedisClientError(.protocolError, "XADD returned no entry id.", recoverySuggestion: "Check that \(keys.intake) is a stream.")
        }
        return id
    }

    /// Waits for the outcome of an entry submitted with `wantsReply`, as the worker's JSON
    /// (`{"entry": …, "outcome": "applied" | "stale" | "rejected", …}`).
    /// - Returns: The JSON, or `nil` if no worker answered within `timeout`.
    public func outcome(of entryID: String, timeout: Duration) throws -> String? {
        let reply = try connection.send(RedisCommand("BLPOP", keys.reply(entryID: entryID), String(timeout.fractionalSeconds)),
                                        timeout: timeout + .seconds(2))
        return reply.array?.last?.string
    }
}
