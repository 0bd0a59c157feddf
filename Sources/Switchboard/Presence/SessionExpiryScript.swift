// Sessions whose heartbeats stopped: remove them; an agent left with none goes offline
// with reason `expired`. Any number of workers may run it at once: each expired session
// is removed by exactly one run, so each agent goes offline exactly once.

enum SessionExpiryScript {
    static let script = WorkspaceScriptCall.script("sessions_expire", #"""
    local limit = tonumber(ARGV[4])
    local due = redis.call('ZRANGEBYSCORE', P .. 'sessions', '-inf', NOW, 'LIMIT', 0, limit)
    local touched = {}
    for _, member in ipairs(due) do
      local agent, session = string.match(member, '^(.-)/(.+)$')
      redis.call('ZREM', P .. 'sessions', member)
      touched[agent] = true
    end
    -- Expiry is ordered like an intake entry written now: later entries still win.
    local version = NOW .. '-0'
    for agent in pairs(touched) do
      if purge_expired_sessions(agent) == 0 then
        local key = agent_key(agent)
        redis.call('HSET', key, 'routable', 0)
        local a = redis.call('HMGET', key, 'status', 'status_entry')
        if (a[1] or 'offline') ~= 'offline' and newer(version, a[2]) then
          set_status(agent, 'offline', nil, '', 'expired', version)
        end
      end
    end
    return outcome('applied', {expired = #due, more = #due == limit, earliest = earliest_expiry()})
    """#)

    static func call(keys: WorkspaceKeys, eventsCap: Int, limit: Int) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: "", eventsCap: eventsCap, arguments: [limit])
    }
}
