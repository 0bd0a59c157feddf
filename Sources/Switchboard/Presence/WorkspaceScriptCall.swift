// A prepared EVALSHA of a workspace script, with the arguments every such script takes.
import Redis

/// One call of a workspace script: the script (for reloading on NOSCRIPT) and its command.
public struct WorkspaceScriptCall: Sendable {
    /// The script the command runs.
    public let script: RedisScript
    /// The `EVALSHA` command.
    public let command: RedisCommand

    /// Builds the call with the conventions of ``LuaPrelude``: `KEYS[1]` the meta hash,
    /// `ARGV[1…3]` workspace, entry id and events cap, then `arguments`.
    init(_ script: RedisScript, keys: WorkspaceKeys, entryID: String, eventsCap: Int, arguments: [any RedisArgumentConvertible]) {
        self.script = script
        command = script.command(keys: [keys.meta], arguments: [keys.workspace.rawValue, entryID, eventsCap] + arguments)
    }

    /// Makes a script from a body that runs after the shared prelude.
    static func script(_ name: String, _ body: String) -> RedisScript {
        RedisScript(name: name, source: LuaPrelude.source + body)
    }
}
