// Lua scripts run by SHA, reloaded transparently when Redis has forgotten them.

/// A Lua script, identified by the SHA-1 of its source as Redis does.
///
/// Run it with ``RedisConnection/evaluate(_:keys:arguments:)``: the call uses `EVALSHA`
/// and, when Redis answers `NOSCRIPT` (after a restart or `SCRIPT FLUSH`), loads the source
/// and retries once.
public struct RedisScript: Sendable, Hashable {
    /// A short name for logs and errors (e.g. `agent_status`).
    public let name: String
    /// The Lua source.
    public let source: String
    /// The lowercase hex SHA-1 of the source: the script's name inside Redis.
    public let sha1: String
    /// Run with `EVALSHA_RO` (Redis 7.0): Redis refuses any write command the script
    /// attempts, and a user whose ACL allows only reads may run it.
    public let readOnly: Bool

    /// Creates a script from its Lua source; `readOnly` scripts run with `EVALSHA_RO`.
    public init(name: String, source: String, readOnly: Bool = false) {
        self.name = name
        self.source = source
        self.sha1 = SHA1.hexDigest(source.utf8)
        self.readOnly = readOnly
    }

    /// The `EVALSHA` (or, for a read-only script, `EVALSHA_RO`) command that runs this script.
    public func command(keys: [String], arguments: [any RedisArgumentConvertible]) -> RedisCommand {
        // Both commands written out, so a reader (and the ACL test's scan) sees each by name.
        var command = readOnly ? RedisCommand("EVALSHA_RO", sha1, keys.count) : RedisCommand("EVALSHA", sha1, keys.count)
        for key in keys { command.append(key) }
        for argument in arguments { argument.append(to: &command) }
        return command
    }
}

extension RedisConnection {
    /// Loads a script into Redis's script cache ([SCRIPT LOAD](https://redis.io/commands/script-load/)).
    /// - Throws: ``RedisServerError`` if the script does not compile, ``RedisClientError`` on I/O failure.
    public func load(_ script: RedisScript) throws {
        try send(RedisCommand("SCRIPT", "LOAD", script.source))
    }

    /// Runs a script by SHA ([EVALSHA](https://redis.io/commands/evalsha/)), loading it and
    /// retrying once if Redis answers `NOSCRIPT`.
    /// - Returns: The script's reply; never `.error`.
    /// - Throws: ``RedisServerError`` if the script fails, ``RedisClientError`` on I/O failure.
    @discardableResult
    public func evaluate(_ script: RedisScript, keys: [String] = [], arguments: [any RedisArgumentConvertible] = []) throws -> RedisValue {
        try evaluate(script, command: script.command(keys: keys, arguments: arguments))
    }

    /// Runs a prepared `EVALSHA` command of `script`, reloading the script on `NOSCRIPT`.
    @discardableResult
    public func evaluate(_ script: RedisScript, command: RedisCommand) throws -> RedisValue {
        let reply = try sendReturningErrors(command)
        guard reply.serverError?.code == "NOSCRIPT" else { return try reply.orThrow() }
        try load(script)
        return try send(command)
    }

    /// Sends many `EVALSHA` calls of one script in one pipeline. Calls answered `NOSCRIPT`
    /// are re-sent, after loading the script, in a second pipeline.
    /// - Returns: One reply per call, in call order; script errors stay in place as `.error`.
    /// - Throws: ``RedisClientError`` on I/O failure, ``RedisServerError`` if loading fails.
    public func evaluatePipelined(_ script: RedisScript, commands: [RedisCommand]) throws -> [RedisValue] {
        try evaluatePipelined(commands.map { (script, $0) })
    }

    /// Sends `EVALSHA` calls of several scripts in one pipeline. Calls answered `NOSCRIPT`
    /// (after a Redis restart or `SCRIPT FLUSH`) are re-sent, after loading their scripts,
    /// in a second pipeline; their effects may therefore land after later calls' effects.
    /// - Returns: One reply per call, in call order; script errors stay in place as `.error`.
    /// - Throws: ``RedisClientError`` on I/O failure, ``RedisServerError`` if loading fails.
    public func evaluatePipelined(_ calls: [(script: RedisScript, command: RedisCommand)]) throws -> [RedisValue] {
        var replies = try pipeline(calls.map(\.command))
        let missing = replies.indices.filter { replies[$0].serverError?.code == "NOSCRIPT" }
        guard !missing.isEmpty else { return replies }
        var loaded = Set<String>()
        for index in missing where loaded.insert(calls[index].script.sha1).inserted { try load(calls[index].script) }
        let retried = try pipeline(missing.map { calls[$0].command })
        for (index, reply) in zip(missing, retried) { replies[index] = reply }
        return replies
    }
}
