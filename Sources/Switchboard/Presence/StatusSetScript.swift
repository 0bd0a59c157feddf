// agent.status: an agent's own change, or a supervisor's override.

enum StatusSetScript {
    static let script = WorkspaceScriptCall.script("status_set", #"""
    local agent, status, message, actor = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
    if message == '' then message = nil end
    if actor == '' then actor = agent end
    local key = agent_key(agent)
    if not newer(ENTRY, redis.call('HGET', key, 'status_entry')) then return outcome('stale') end

    local reason = 'manual'
    if actor ~= agent then
      local role = redis.call('HGET', agent_key(actor), 'role') or 'agent'
      if role ~= 'supervisor' and role ~= 'admin' and role ~= 'owner' then
        local why = string.format("Actor '%s' has role '%s' and may not change the status of agent '%s': only a supervisor, admin or owner may override a status.", actor, role, agent)
        emit('rejected', {op = 'agent.status', agentId = agent, status = status, actor = actor, error = why},
          {'type', 'op', 'agentId', 'status', 'actor', 'error', 'timestamp', 'version', 'entry'})
        return outcome('rejected', {error = why})
      end
      reason = 'override'
    end

    redis.call('SADD', P .. 'agents', agent)
    -- Only the agent's own Online enters the routing pool (accept-chats-after-login off).
    if actor == agent and status == 'online' then redis.call('HSET', key, 'routable', 1) end
    local changed = set_status(agent, status, message, actor, reason, ENTRY)
    return outcome(changed and 'applied' or 'unchanged')
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, agent: Identifier, status: AgentStatus,
                     message: String?, actor: Identifier?) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap,
                            arguments: [agent.rawValue, status.rawValue, message ?? "", actor?.rawValue ?? ""])
    }
}
