// The functions of the widget's business hours (Lua/functions/widget_*.lua): claiming due
// workspaces from a global schedule (one per intake shard), and storing a computed schedule into a workspace
// (which re-evaluates the widget).
import Redis

/// Hands each workspace whose widget schedule is due to one worker: its score moves a lease
/// ahead, so a worker that dies before finishing leaves it to another after the lease.
enum WidgetClaimScript {
    static let function = SwitchboardLibrary.library.function("widget_claim")

    /// `schedule` is `sb:widget-schedule` (or a shard's); `now` the worker's clock (ms), which tests may shift.
    static func command(schedule: String, now: Int, lease: Duration, limit: Int) -> RedisCommand {
        function.command(keys: [schedule], arguments: [now, lease.wholeMilliseconds, limit])
    }
}

/// Moves a claimed workspace to its next boundary (or off the schedule), unless someone
/// re-scheduled it meanwhile (a settings change asking for a computation now): that wins.
enum WidgetRescheduleScript {
    static let function = SwitchboardLibrary.library.function("widget_reschedule")

    /// `claimed` is the score the claim left (the lease's end); `next` nil takes it off.
    static func command(schedule: String, workspace: Identifier, claimed: Int, next: Int?) -> RedisCommand {
        function.command(keys: [schedule], arguments: [workspace.rawValue, claimed, next.map(String.init) ?? ""])
    }
}

/// Stores the business hours' state as a worker computed it at `now`, unless the widget
/// settings changed since the worker read them (then it is `stale` and computed again).
enum WidgetScheduleScript {
    static let function = SwitchboardLibrary.library.function("widget_schedule")

    static func call(keys: WorkspaceKeys, eventsCap: Int, open: Bool, nextChange: Int?, settingsVersion: String) -> WorkspaceFunctionCall {
        // No intake entry caused it: the event carries no `entry`.
        WorkspaceFunctionCall(function, keys: keys, entryID: "", eventsCap: eventsCap,
                              arguments: [open ? "1" : "0", nextChange.map(String.init) ?? "", settingsVersion])
    }
}
