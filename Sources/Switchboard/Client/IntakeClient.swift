// Writing intake entries, and waiting for their outcome: what the CLI and tests use to
// drive Switchboard exactly as any other producer would.
import Redis

/// Submits intake entries to their workspace's intake stream (`sb:intake`, or its shard) and,
/// when asked, waits for their outcome.
public struct IntakeClient {
    /// The connection used; owned by the caller.
    public let connection: RedisConnection
    /// The key layout.
    public let keys: KeySchema
    /// How many streams the intake is split into.
    public let shards: Int

    /// Creates a client over a connection for an intake of `shards` streams.
    public init(connection: RedisConnection, keys: KeySchema = KeySchema(), shards: Int) {
        self.connection = connection
        self.keys = keys
        self.shards = shards
    }

    /// Creates a client over a connection for the intake shard count the workers recorded in
    /// `sb:config` (1 when no worker has recorded one yet).
    public init(connection: RedisConnection, keys: KeySchema = KeySchema()) throws {
        self.init(connection: connection, keys: keys, shards: try IntakeShardCount.recorded(keys: keys, on: connection))
    }

    /// The intake stream a workspace's entries go to.
    public func stream(for workspace: Identifier) -> String { keys.intake(forWorkspace: workspace.rawValue, shards: shards) }

    /// Appends an entry to its workspace's intake stream ([XADD](https://redis.io/commands/xadd/)).
    /// - Returns: The entry id Redis assigned.
    @discardableResult
    public func submit(_ entry: IntakeEntry) throws -> String {
        let stream = stream(for: entry.workspace)
        guard let id = try connection.send(command(for: entry)).string else {
            throw RedisClientError(.protocolError, "XADD returned no entry id.", recoverySuggestion: "Check that \(stream) is a stream.")
        }
        return id
    }

    /// The `XADD` that appends an entry to its workspace's intake stream, for pipelines.
    public func command(for entry: IntakeEntry) -> RedisCommand {
        var command = RedisCommand("XADD", stream(for: entry.workspace), "*")
        for field in entry.fields {
            command.append(field.name)
            command.append(field.value)
        }
        return command
    }

    /// Waits for the outcome of an entry of `workspace` submitted with `wantsReply`, as the
    /// worker's JSON (`{"entry": …, "outcome": "applied" | "stale" | "rejected", …}`).
    /// - Returns: The JSON, or `nil` if no worker answered within `timeout`.
    public func outcome(of entryID: String, workspace: Identifier, timeout: Duration) throws -> String? {
        let key = keys.reply(entryID: entryID, stream: stream(for: workspace))
        let reply = try connection.send(RedisCommand("BLPOP", key, String(timeout.fractionalSeconds)),
                                        timeout: timeout + .seconds(2))
        return reply.array?.last?.string
    }
}
