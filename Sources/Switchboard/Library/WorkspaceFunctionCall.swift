// A prepared FCALL of a workspace function, with the arguments every such function takes.
import Redis

/// One call of a workspace function: the function (for loading its library when Redis has
/// lost it) and its command.
public struct WorkspaceFunctionCall: Sendable {
    /// The function the command calls.
    public let function: RedisFunction
    /// The `FCALL` command.
    public let command: RedisCommand

    /// Builds the call with the conventions of the library (Lua/includes/context.lua):
    /// `KEYS[1]` the meta hash, `ARGV[1…3]` workspace, entry id and events cap, then `arguments`.
    init(_ function: RedisFunction, keys: WorkspaceKeys, entryID: String, eventsCap: Int, arguments: [any RedisArgumentConvertible]) {
        self.function = function
        command = function.command(keys: [keys.meta], arguments: [keys.workspace.rawValue, entryID, eventsCap] + arguments)
    }
}
