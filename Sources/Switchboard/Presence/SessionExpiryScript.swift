// Sessions whose heartbeats stopped: an expiry event for each agent with a session past
// its expiry; the state machine ends those sessions, and an agent left with none goes
// offline with reason `expired`. Any number of workers may run it at once: the event is
// keyed by time, so a second run in the same millisecond is a duplicate, and a later run
// finds nothing left to end.

enum SessionExpiryScript {
    static let script = WorkspaceScriptCall.script("sessions_expire", AgentStateMachine.source + #"""
    local limit, window, max_log = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
    local due = redis.call('ZRANGEBYSCORE', P .. 'sessions', '-inf', NOW, 'LIMIT', 0, limit)
    local agents = {}
    for _, member in ipairs(due) do
      local agent = string.match(member, '^(.-)/')
      if not agents[agent] then
        agents[agent] = true
        apply_event(agent, 'x' .. NOW, {k = 'expire'}, window, max_log)
      end
    end
    return outcome('applied', {expired = #due, more = #due == limit, earliest = earliest_expiry()})
    """#)

    static func call(keys: WorkspaceKeys, eventsCap: Int, limit: Int, replay: ReplayLimits) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: "", eventsCap: eventsCap, arguments: [limit, replay.windowMilliseconds, replay.maxEvents])
    }
}
