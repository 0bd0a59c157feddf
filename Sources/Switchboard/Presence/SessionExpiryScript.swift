// Sessions whose heartbeats stopped: the call of Lua/functions/sessions_expire.lua, which
// ends the sessions past their expiry (an agent left with none goes offline, `expired`).
import Redis

enum SessionExpiryScript {
    static let function = SwitchboardLibrary.library.function("sessions_expire")

    /// - Parameter cutoffMilliseconds: expire sessions whose expiry is at or before this time
    ///   (capped at Redis's clock): the time of the oldest entry still unread in the intake.
    static func call(keys: WorkspaceKeys, eventsCap: Int, limit: Int, replay: ReplayLimits, cutoffMilliseconds: Int64) -> WorkspaceFunctionCall {
        WorkspaceFunctionCall(function, keys: keys, entryID: "", eventsCap: eventsCap,
                              arguments: [limit, replay.windowMilliseconds, replay.maxEvents, String(cutoffMilliseconds)])
    }
}
