// Redis Functions (Redis 7.0): a library loaded with FUNCTION LOAD, its functions called
// with FCALL / FCALL_RO, and loaded again when Redis has lost it.

/// A library of Redis Functions in Lua, named after its version.
///
/// The name is `<prefix>_<the first 12 hex digits of the SHA-1 of the code>`, so two
/// versions of one program load side by side (a rolling upgrade) and the same code always
/// has the same name. The text sent to Redis is the code under two header lines: the
/// `#!lua name=<name>` line Redis requires, and `local LIBRARY = '<name>'`, so the code can
/// register its functions under versioned names (function names are global in Redis).
public struct RedisFunctionLibrary: Sendable, Hashable {
    /// The versioned name, e.g. `switchboard_3f2a9c0b1d4e`.
    public let name: String
    /// The text `FUNCTION LOAD` receives: the header lines, then the code.
    public let source: String
    /// Lines of `source` before the code: a line number in a Redis error minus this is the
    /// code's own line number.
    public static let headerLines = 2

    /// Creates the library `<prefix>_<version>` from its Lua code.
    public init(prefix: String, code: String) {
        name = prefix + "_" + SHA1.hexDigest(code.utf8).prefix(12)
        source = "#!lua name=\(name)\nlocal LIBRARY = '\(name)'\n" + code
    }

    /// The function that the code registered as `<name>_<function>`; `readOnly` for one
    /// registered with the `no-writes` flag (called with `FCALL_RO`).
    public func function(_ function: String, readOnly: Bool = false) -> RedisFunction {
        RedisFunction(library: self, name: name + "_" + function, readOnly: readOnly)
    }
}

/// One function of a ``RedisFunctionLibrary``: run it with ``RedisConnection/call(_:keys:arguments:)``,
/// which loads the library and retries once when Redis no longer has the function.
public struct RedisFunction: Sendable {
    /// The library that registers it, loaded again when Redis has lost it.
    public let library: RedisFunctionLibrary
    /// The function's name in Redis (global, so it carries the library's version).
    public let name: String
    /// Called with `FCALL_RO`: Redis refuses any write the function attempts, and a user whose
    /// ACL allows only reads may call it. The function must be registered with `no-writes`.
    public let readOnly: Bool

    /// The `FCALL` (or, for a read-only function, `FCALL_RO`) command that calls this function.
    /// Every key the function touches is among `keys` (Redis Cluster routes by them).
    public func command(keys: [String], arguments: [any RedisArgumentConvertible]) -> RedisCommand {
        // Both commands written out, so a reader (and the ACL test's scan) sees each by name.
        var command = readOnly ? RedisCommand("FCALL_RO", name, keys.count) : RedisCommand("FCALL", name, keys.count)
        for key in keys { command.append(key) }
        for argument in arguments { argument.append(to: &command) }
        return command
    }
}

extension RedisServerError {
    /// Redis has no such function: it lost its libraries (a restart without persistence,
    /// `FUNCTION FLUSH`, a failover to a primary that never had it) or never loaded this one.
    public var isMissingFunction: Bool { message.hasPrefix("ERR Function not found") }
}

/// Redis does not hold a function's library, and the connection's user may not load it
/// (its ACL refuses `FUNCTION LOAD`, as a read-only user's should: whoever may load may
/// replace the code that others run).
public struct RedisFunctionLibraryNotLoaded: Error, Sendable, CustomStringConvertible {
    /// The library's versioned name.
    public let library: String
    /// Redis's refusal of `FUNCTION LOAD`, verbatim.
    public let refusal: RedisServerError

    public var description: String {
        "The function library \(library) is not loaded in Redis, and this user may not load it (\(refusal.message)): "
            + "load it as a user allowed FUNCTION LOAD."
    }
}

extension RedisConnection {
    /// Loads a library ([FUNCTION LOAD REPLACE](https://redis.io/commands/function-load/)):
    /// the same version again changes nothing.
    /// - Throws: ``RedisServerError`` if the code does not compile or registers nothing,
    ///   ``RedisClientError`` on I/O failure.
    public func load(_ library: RedisFunctionLibrary) throws {
        // Functions live on each node: a cluster's primaries each need the library.
        if let router = try clusterRouter() { return try router.loadEverywhere(library) }
        try send(RedisCommand("FUNCTION", "LOAD", "REPLACE", library.source))
    }

    /// Calls a function ([FCALL](https://redis.io/commands/fcall/)), loading its library and
    /// retrying once if Redis does not have it.
    /// - Returns: The function's reply; never `.error`.
    /// - Throws: ``RedisServerError`` if the function fails, ``RedisFunctionLibraryNotLoaded``
    ///   if it is missing and this user may not load it, ``RedisClientError`` on I/O failure.
    @discardableResult
    public func call(_ function: RedisFunction, keys: [String] = [], arguments: [any RedisArgumentConvertible] = []) throws -> RedisValue {
        try call(function, command: function.command(keys: keys, arguments: arguments))
    }

    /// Sends a prepared `FCALL` command of `function`, loading its library if it is missing.
    @discardableResult
    public func call(_ function: RedisFunction, command: RedisCommand) throws -> RedisValue {
        let reply = try sendReturningErrors(command)
        guard reply.serverError?.isMissingFunction == true else { return try reply.orThrow() }
        try loadMissing(function.library)
        return try send(command)
    }

    /// Loads a library Redis was found not to have.
    /// - Throws: ``RedisFunctionLibraryNotLoaded`` when the ACL refuses `FUNCTION LOAD`.
    private func loadMissing(_ library: RedisFunctionLibrary) throws {
        do {
            try load(library)
        } catch let error as RedisServerError where error.code == "NOPERM" {
            throw RedisFunctionLibraryNotLoaded(library: library.name, refusal: error)
        }
    }

    /// Sends many function calls in one pipeline. Calls answered "Function not found" (after
    /// a Redis restart without persistence or `FUNCTION FLUSH`) are re-sent, after loading
    /// their libraries, in a second pipeline; their effects may therefore land after later
    /// calls' effects.
    /// - Returns: One reply per call, in call order; function errors stay in place as `.error`,
    ///   and so does a second "Function not found" (the library was flushed again between the
    ///   load and the re-send): the caller decides whether to try again.
    /// - Throws: ``RedisClientError`` on I/O failure, ``RedisServerError`` if loading fails,
    ///   ``RedisFunctionLibraryNotLoaded`` if this user may not load.
    public func callPipelined(_ calls: [(function: RedisFunction, command: RedisCommand)]) throws -> [RedisValue] {
        var replies = try pipeline(calls.map(\.command))
        let missing = replies.indices.filter { replies[$0].serverError?.isMissingFunction == true }
        guard !missing.isEmpty else { return replies }
        var loaded = Set<String>()
        for index in missing where loaded.insert(calls[index].function.library.name).inserted { try loadMissing(calls[index].function.library) }
        let retried = try pipeline(missing.map { calls[$0].command })
        for (index, reply) in zip(missing, retried) { replies[index] = reply }
        return replies
    }
}
