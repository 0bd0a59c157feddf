// A prepared FCALL of a workspace function, with the arguments every such function takes.
import Redis

/// One call of a workspace function: the function (for loading its library when Redis has
/// lost it) and its command.
public struct WorkspaceFunctionCall: Sendable {
    /// The function the command calls.
    public let function: RedisFunction
    /// The `FCALL` command without its last argument.
    private let partial: RedisCommand
    /// Whether the outcome is for a reply (the JSON outcome, with the events) or for the
    /// worker alone (the compact one, which is cheaper to make and to read).
    var reply = false

    /// The `FCALL` command.
    public var command: RedisCommand {
        var command = partial
        command.append(reply ? "1" : "0")
        return command
    }

    /// Builds the call with the conventions of the library (Lua/includes/context.lua):
    /// `KEYS[1]` the meta hash, `ARGV[1…3]` workspace, entry id and events cap, then
    /// `arguments`, then `reply`.
    init(_ function: RedisFunction, keys: WorkspaceKeys, entryID: String, eventsCap: Int, arguments: [any RedisArgumentConvertible]) {
        self.function = function
        partial = function.command(keys: keys.functionKeys, arguments: [keys.workspace.rawValue, entryID, eventsCap] + arguments)
    }
}
