// The workspace snapshot: one read-only function, so the state and the `version` it returns
// belong to the same instant (no entry can be applied in between).
import Redis

/// The read-only function behind ``WorkspaceSnapshotReader``: Lua/functions/workspace_snapshot.lua.
///
/// It judges eligibility with routing's own functions (Lua/includes/eligibility.lua), so an
/// agent's eligibility here is routing's own verdict. It is registered `no-writes` and
/// called with `FCALL_RO`: Redis refuses any write it might attempt.
///
/// `KEYS[1]` the workspace's meta hash; `ARGV[1]` the workspace id; `ARGV[2]` one agent's id,
/// or `""` for every agent. The reply is described in the .lua file.
enum WorkspaceSnapshotScript {
    static let function = SwitchboardLibrary.library.function("workspace_snapshot", readOnly: true)

    static func command(keys: WorkspaceKeys, agent: Identifier?) -> RedisCommand {
        function.command(keys: keys.functionKeys, arguments: [keys.workspace.rawValue, agent?.rawValue ?? ""])
    }
}
