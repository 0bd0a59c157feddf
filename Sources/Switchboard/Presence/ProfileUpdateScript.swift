// agent.profile: preferred status, accept chats after login, capacity, teams, role.
import Redis

enum ProfileUpdateScript {
    static let script = WorkspaceScriptCall.script("profile_update", #"""
    local agent = ARGV[4]
    local key = agent_key(agent)
    local changed = {}
    local order = {'type', 'agentId'}
    -- Each field keeps the id of the entry that last set it, so entries applied out of
    -- order still end with what stream order would give, field by field.
    for i = 5, #ARGV, 2 do
      local field, value = ARGV[i], ARGV[i + 1]
      if newer(ENTRY, redis.call('HGET', key, 'v.' .. field)) then
        redis.call('HSET', key, field, value, 'v.' .. field, ENTRY)
        changed[field] = value
        order[#order + 1] = field
      end
    end
    if #order == 2 then return outcome('stale') end

    -- A change written before the current login but applied after it: the login should
    -- have used it. Redo what the login decided, unless something changed since.
    local login = redis.call('HGET', key, 'login_entry')
    if login and newer(login, ENTRY) then
      local a = redis.call('HMGET', key, 'status_entry', 'status_reason')
      if a[1] == login and a[2] == 'login' then
        if changed.accept_chats_after_login then
          redis.call('HSET', key, 'routable', changed.accept_chats_after_login == 'false' and 0 or 1)
        end
        if changed.preferred_status then
          set_status(agent, changed.preferred_status, nil, agent, 'login', login)
        end
      end
    end
    redis.call('SADD', P .. 'agents', agent)
    changed.agentId = agent
    for _, name in ipairs({'timestamp', 'version', 'entry'}) do order[#order + 1] = name end
    emit('profile', changed, order)
    return outcome('applied')
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, agent: Identifier, change: ProfileChange) -> WorkspaceScriptCall {
        var arguments: [any RedisArgumentConvertible] = [agent.rawValue]
        if let value = change.preferredStatus { arguments += ["preferred_status", value.rawValue] }
        if let value = change.acceptChatsAfterLogin { arguments += ["accept_chats_after_login", value ? "true" : "false"] }
        if let value = change.capacity { arguments += ["capacity", value] }
        if let value = change.teams { arguments += ["teams", value.map(\.rawValue).joined(separator: ",")] }
        if let value = change.role { arguments += ["role", value.rawValue] }
        return WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap, arguments: arguments)
    }
}
