// A workspace of its own on the test Redis, whose entries are applied straight through the
// function library (no worker), one call at a time: for tests of one function's rules.
import Redis
import TestSupport
@testable import Switchboard

struct LibraryWorkspace {
    let connection: RedisConnection
    let schema: KeySchema
    let workspace = Identifier("w")!
    var applier: IntakeApplier

    /// `tag` starts the key prefix, so keys left by a failed run say which test made them.
    init(_ tag: String, replay: ReplayLimits = ReplayLimits()) throws {
        connection = try TestRedis.connection()
        schema = KeySchema(prefix: tag + TestRedis.uniquePrefix().dropFirst(2).dropLast())
        applier = IntakeApplier(keys: schema, sessionTTL: .seconds(3600), eventsCap: 1000)
        applier.replay = replay
    }

    var keys: WorkspaceKeys { schema.workspace(workspace) }

    /// Applies `command` as the intake entry `id` and returns its full outcome.
    func outcome(_ id: String, _ command: IntakeCommand) throws -> ScriptOutcome {
        let call = applier.call(for: IntakeEntry(workspace: workspace, command: command), entryID: id)
        return try ScriptOutcome(reply: connection.call(call.function, command: call.command))
    }

    /// Applies `command` as the intake entry `id`: applied, stale or rejected.
    func apply(_ id: String, _ command: IntakeCommand) throws -> ScriptOutcome.Kind { try outcome(id, command).kind }

    /// Deletes every key of this workspace's prefix.
    func removeKeys() throws {
        let leftovers = try connection.send(RedisCommand("KEYS", "\(schema.prefix):*")).array ?? []
        if !leftovers.isEmpty { try connection.send(RedisCommand("DEL", arguments: leftovers.compactMap(\.string))) }
    }
}
