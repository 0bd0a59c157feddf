// The number of intake shards is a property of the deployment, not of one process: the first
// worker records it in `sb:config`, every later worker must agree, and producers read it to
// know which stream a workspace's entries go to.
import Redis

/// The recorded number of intake shards (`sb:config`, field `intake_shards`).
public enum IntakeShardCount {
    /// The field of `sb:config` that holds the count.
    public static let field = "intake_shards"

    /// The count recorded in Redis; 1 when none is recorded yet (no worker has run: the single
    /// `sb:intake` is what a first worker with the default reads).
    /// - Throws: ``IntakeShardCountUnreadable`` when the user's ACL refuses the read (a client
    ///   user set up before intake shards existed).
    public static func recorded(keys: KeySchema, on connection: RedisConnection) throws -> Int {
        do {
            return try parse(connection.send(RedisCommand("HGET", keys.config, field)), keys: keys) ?? 1
        } catch let refusal as RedisServerError where refusal.code == "NOPERM" {
            throw IntakeShardCountUnreadable(refusal: refusal, user: connection.configuration.username, keys: keys)
        }
    }

    /// Records `count` if no count is recorded yet (`HSETNX`), then checks that the recorded
    /// count is `count`. A worker calls this before reading the intake, also after a
    /// reconnect (a Redis restarted without its data has lost the record).
    /// - Throws: ``IntakeShardMismatch`` when another count is recorded.
    public static func record(_ count: Int, keys: KeySchema, on connection: RedisConnection) throws {
        let replies = try connection.pipeline([RedisCommand("HSETNX", keys.config, field, count), RedisCommand("HGET", keys.config, field)])
        if let error = replies[0].serverError { throw error }
        let recorded = try parse(replies[1], keys: keys)
        if let recorded, recorded != count { throw IntakeShardMismatch(recorded: recorded, configured: count, keys: keys) }
    }

    private static func parse(_ reply: RedisValue, keys: KeySchema) throws -> Int? {
        if let error = reply.serverError { throw error }
        guard let text = reply.string else { return nil }
        guard let count = Int(text), (1...KeySchema.maximumIntakeShards).contains(count) else {
            throw IntakeShardMismatch(invalid: text, keys: keys)
        }
        return count
    }
}

/// The intake shard count recorded in Redis differs from a worker's, or is not a count: the
/// worker must not read (it would miss shards, or read streams no producer writes).
public struct IntakeShardMismatch: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what to do, for the log and the terminal.
    public let description: String

    init(recorded: Int, configured: Int, keys: KeySchema) {
        description = "This Redis's intake has \(recorded) shard\(recorded == 1 ? "" : "s") (\(keys.config) field \(IntakeShardCount.field)), "
            + "but this worker was started with --intake-shards \(configured). Start it with --intake-shards \(recorded) "
            + "(SWITCHBOARD_INTAKE_SHARDS=\(recorded)); to change the number of shards, follow \"Changing the number of intake shards\" "
            + "in docs/protocol.md (drain the intake and stop every worker first)."
    }

    init(invalid text: String, keys: KeySchema) {
        description = "\(keys.config) field \(IntakeShardCount.field) is '\(text)', not a number of intake shards (1…\(KeySchema.maximumIntakeShards)). "
            + "Set it to the number the workers run with: redis-cli HSET \(keys.config) \(IntakeShardCount.field) <N>."
    }
}

/// The user may not read the recorded intake shard count, so a producer cannot tell which
/// stream a workspace's entries go to: its ACL predates intake shards.
public struct IntakeShardCountUnreadable: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what to grant.
    public let description: String

    init(refusal: RedisServerError, user: String?, keys: KeySchema) {
        description = "This Redis user may not read the intake shard count (HGET \(keys.config) \(IntakeShardCount.field): \(refusal.message)), "
            + "which tells a producer which intake stream a workspace's entries go to. Grant it as an admin: "
            + "ACL SETUSER \(user ?? "default") %R~\(keys.config) +hget (the client user's rule in docs/operations.md)."
    }
}
