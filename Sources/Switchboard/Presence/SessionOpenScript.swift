// agent.login and agent.heartbeat: open or refresh a session; the first session of a login
// applies the preferred status and decides whether the agent enters the routing pool.

enum SessionOpenScript {
    static let script = WorkspaceScriptCall.script("session_open", #"""
    local agent, session, ttl = ARGV[4], ARGV[5], tonumber(ARGV[6])
    local key = agent_key(agent)
    local skey = sessions_key(agent)
    local ended = redis.call('HGET', key .. ':ended', session)
    if ended and not newer(ENTRY, ended) then return outcome('stale') end
    local current = redis.call('HGET', skey, session)
    if current and not newer(ENTRY, string.match(current, '|(.+)$')) then return outcome('stale') end

    local live = purge_expired_sessions(agent)
    local first = live == 0
    local expiry = NOW + ttl
    redis.call('HSET', skey, session, expiry .. '|' .. ENTRY)
    redis.call('ZADD', P .. 'sessions', expiry, agent .. '/' .. session)
    redis.call('SADD', P .. 'agents', agent)
    if ended then redis.call('HDEL', key .. ':ended', session) end

    if first then
      local a = redis.call('HMGET', key, 'preferred_status', 'accept_chats_after_login', 'status_entry', 'status', 'status_reason')
      local accept = a[2] ~= 'false'
      redis.call('HSET', key, 'login_at', NOW, 'login_entry', ENTRY, 'routable', accept and 1 or 0)
      if newer(ENTRY, a[3]) then
        set_status(agent, a[1] or 'online', nil, agent, 'login', ENTRY)
      elseif a[4] == 'online' and a[5] == 'manual' then
        -- A later status entry was applied first: in stream order it came after this
        -- login, and the agent's own Online puts them in the pool.
        redis.call('HSET', key, 'routable', 1)
      end
    end
    return outcome('applied', {first = first, earliest = earliest_expiry()})
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, agent: Identifier, session: Identifier, ttlMilliseconds: Int) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap,
                            arguments: [agent.rawValue, session.rawValue, ttlMilliseconds])
    }
}
