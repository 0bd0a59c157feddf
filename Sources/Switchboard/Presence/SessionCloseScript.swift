// agent.logout: close a session; the last one closing takes the agent offline.

enum SessionCloseScript {
    static let script = WorkspaceScriptCall.script("session_close", #"""
    local agent, session = ARGV[4], ARGV[5]
    local key = agent_key(agent)
    local skey = sessions_key(agent)
    local ended = redis.call('HGET', key .. ':ended', session)
    if ended and not newer(ENTRY, ended) then return outcome('stale') end
    local current = redis.call('HGET', skey, session)
    if current and not newer(ENTRY, string.match(current, '|(.+)$')) then return outcome('stale') end

    -- Remember the logout for an hour, so a login or heartbeat of this session that was
    -- sent before it but arrives after it (redelivery, another worker) stays undone.
    redis.call('HSET', key .. ':ended', session, ENTRY)
    redis.call('PEXPIRE', key .. ':ended', 3600000)
    if not current then return outcome('unchanged') end

    redis.call('HDEL', skey, session)
    redis.call('ZREM', P .. 'sessions', agent .. '/' .. session)
    if purge_expired_sessions(agent) == 0 then
      redis.call('HSET', key, 'routable', 0)
      if newer(ENTRY, redis.call('HGET', key, 'status_entry')) then
        set_status(agent, 'offline', nil, agent, 'logout', ENTRY)
      end
    end
    return outcome('applied', {earliest = earliest_expiry()})
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, agent: Identifier, session: Identifier) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap, arguments: [agent.rawValue, session.rawValue])
    }
}
