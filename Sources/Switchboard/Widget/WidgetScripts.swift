// The scripts of the widget's business hours: claiming due workspaces from the global
// schedule, and storing a computed schedule into a workspace (which re-evaluates the widget).
import Redis

/// Hands each workspace whose widget schedule is due to one worker: its score moves a lease
/// ahead, so a worker that dies before finishing leaves it to another after the lease.
enum WidgetClaimScript {
    static let script = RedisScript(name: "widget_claim", source: #"""
    local now, lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
    local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
    for _, workspace in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', now + lease, workspace) end
    return due
    """#)

    /// `now` is the worker's clock (ms), which tests may shift.
    static func command(keys: KeySchema, now: Int, lease: Duration, limit: Int) -> RedisCommand {
        script.command(keys: [keys.widgetSchedule], arguments: [now, lease.wholeMilliseconds, limit])
    }
}

/// Moves a claimed workspace to its next boundary (or off the schedule), unless someone
/// re-scheduled it meanwhile (a settings change asking for a computation now): that wins.
enum WidgetRescheduleScript {
    static let script = RedisScript(name: "widget_reschedule", source: #"""
    local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
    if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
    if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
    return 1
    """#)

    /// `claimed` is the score the claim left (the lease's end); `next` nil takes it off.
    static func command(keys: KeySchema, workspace: Identifier, claimed: Int, next: Int?) -> RedisCommand {
        script.command(keys: [keys.widgetSchedule], arguments: [workspace.rawValue, claimed, next.map(String.init) ?? ""])
    }
}

/// Stores the business hours' state as a worker computed it at `now`, unless the widget
/// settings changed since the worker read them (then it is `stale` and computed again).
enum WidgetScheduleScript {
    static let script = WorkspaceScriptCall.script("widget_schedule", RoutingLua.source + #"""
    local open, next_change, seen = ARGV[4], ARGV[5], ARGV[6]
    if (redis.call('HGET', P .. 'meta', 'widget_settings_version') or '0') ~= seen then return outcome('stale') end
    if next_change ~= '' then
      redis.call('HSET', P .. 'widget', 'schedule_open', open, 'schedule_next', next_change)
    else
      redis.call('HSET', P .. 'widget', 'schedule_open', open)
      redis.call('HDEL', P .. 'widget', 'schedule_next')
    end
    widget_eval()
    return outcome('applied')
    """#)

    static func call(keys: WorkspaceKeys, eventsCap: Int, open: Bool, nextChange: Int?, settingsVersion: String) -> WorkspaceScriptCall {
        // No intake entry caused it: the event carries no `entry`.
        WorkspaceScriptCall(script, keys: keys, entryID: "", eventsCap: eventsCap,
                            arguments: [open ? "1" : "0", nextChange.map(String.init) ?? "", settingsVersion])
    }
}
