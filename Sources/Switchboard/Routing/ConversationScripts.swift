// conversation.new, conversation.close and workspace.settings: each one atomic script that
// also drains whatever queue the change lets move.
import Redis

enum ConversationNewScript {
    static let script = WorkspaceScriptCall.script("conversation_new", RoutingLua.source + #"""
    local conversation, team, priority = ARGV[4], ARGV[5], tonumber(ARGV[6])
    local ckey = P .. 'conversation:' .. conversation
    -- Known already: a redelivery, or a close that overtook this entry (kept a day).
    if redis.call('EXISTS', ckey) == 1 then return outcome('stale') end
    local suffix = team ~= '' and (':' .. team) or ''
    local arrival = redis.call('HINCRBY', P .. 'meta', 'queue_seq', 1)
    local score = -priority * 1099511627776 + arrival
    redis.call('HSET', ckey, 'state', 'queued', 'team', team, 'priority', priority, 'queue_score', score,
      'created_at', NOW, 'entry', ENTRY)
    if team ~= '' then redis.call('SADD', P .. 'teams', team) end
    -- Nobody waits in this queue and an agent has room: straight to the agent, without a
    -- queued step (the busiest path, so the fewest writes). A waiting queue means no agent
    -- had room, as queues drain whenever room appears.
    if redis.call('ZCARD', P .. 'queue' .. suffix) == 0 then
      local agent = candidate(suffix)
      if agent then
        assign(conversation, agent, 'routed', nil, team, false)
        return outcome('applied')
      end
    end
    redis.call('ZADD', P .. 'queue' .. suffix, score, conversation)
    emit('queued', {conversation_id = conversation, team = team, priority = priority},
      {'type', 'conversation_id', 'team', 'priority', 'timestamp', 'version', 'entry'})
    drain(suffix)
    if settings().ai_chat and redis.call('HGET', ckey, 'state') == 'queued' then
      emit('waiting', {conversation_id = conversation, team = team}, {'type', 'conversation_id', 'team', 'timestamp', 'version', 'entry'})
    end
    return outcome('applied')
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, conversation: Identifier, team: Identifier?, priority: Int) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap,
                            arguments: [conversation.rawValue, team?.rawValue ?? "", priority])
    }
}

enum ConversationCloseScript {
    static let script = WorkspaceScriptCall.script("conversation_close", RoutingLua.source + #"""
    local conversation = ARGV[4]
    local ckey = P .. 'conversation:' .. conversation
    local c = redis.call('HMGET', ckey, 'state', 'team', 'agent')
    if c[1] == 'closed' then return outcome('stale') end
    local team = c[2] or ''
    if c[1] == 'queued' then
      redis.call('ZREM', P .. 'queue' .. (team ~= '' and (':' .. team) or ''), conversation)
    end
    redis.call('HSET', ckey, 'state', 'closed', 'closed_at', NOW, 'entry', ENTRY)
    -- Kept a day, so a conversation.new that this close overtook stays closed.
    redis.call('PEXPIRE', ckey, 86400000)
    emit('closed', {conversation_id = conversation, agent_id = c[3] or nil, team = team},
      {'type', 'conversation_id', 'agent_id', 'team', 'timestamp', 'version', 'entry'})
    if c[1] == 'assigned' and c[3] then
      redis.call('SREM', P .. 'agent:' .. c[3] .. ':conversations', conversation)
      redis.call('HINCRBY', P .. 'agent:' .. c[3], 'load', -1)
      reroute_agent(c[3], nil)
    end
    return outcome('applied')
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, conversation: Identifier) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap, arguments: [conversation.rawValue])
    }
}

enum SettingsUpdateScript {
    static let script = WorkspaceScriptCall.script("settings_update", RoutingLua.source + #"""
    -- Each setting keeps the entry id that set it: settings applied out of order end as in
    -- stream order.
    local fields = {}
    for i = 4, #ARGV, 2 do
      if newer(ENTRY, redis.call('HGET', P .. 'settings', 'v.' .. ARGV[i])) then
        fields[#fields + 1] = ARGV[i]
        fields[#fields + 1] = ARGV[i + 1]
      end
    end
    if #fields == 0 then
      -- A redelivery: if the worker that applied it died before asking for the business
      -- hours to be computed, ask again.
      local waiting = settings().widget_mode == 'hours' and redis.call('HEXISTS', P .. 'widget', 'schedule_open') == 0
      return outcome('stale', {widget_schedule = waiting or nil})
    end
    local routing, widget, schedule = false, false, false
    for i = 1, #fields, 2 do
      redis.call('HSET', P .. 'settings', fields[i], fields[i + 1], 'v.' .. fields[i], ENTRY)
      if string.sub(fields[i], 1, 7) == 'widget_' or fields[i] == 'offline_when_team_away' then widget = true else routing = true end
      if fields[i] == 'widget_mode' or fields[i] == 'widget_hours' or fields[i] == 'widget_timezone' or fields[i] == 'widget_exceptions' then
        schedule = true
      end
    end
    SETTINGS = nil
    local event, order = {}, {'type'}
    for i = 1, #fields, 2 do event[fields[i]] = fields[i + 1]; order[#order + 1] = fields[i] end
    for _, name in ipairs({'timestamp', 'version', 'entry'}) do order[#order + 1] = name end
    emit('settings', event, order)
    if routing then
      -- The mode, the default capacity or the fallback may have changed: re-place every
      -- agent, then let every queue move.
      for _, agent in ipairs(redis.call('SMEMBERS', P .. 'agents')) do sync_pools(agent, routing_view(agent), nil) end
      local all = {''}
      for _, team in ipairs(redis.call('SMEMBERS', P .. 'teams')) do all[#all + 1] = ':' .. team end
      drain_queues(all)
    end
    if schedule then
      -- The business hours changed: the cached schedule is void until a worker computes it
      -- again (the worker schedules that at once, from `widget_schedule` in the outcome).
      redis.call('HINCRBY', P .. 'meta', 'widget_settings_version', 1)
      redis.call('HDEL', P .. 'widget', 'schedule_open', 'schedule_next')
    end
    if widget then widget_eval() end
    return outcome('applied', {widget_schedule = schedule or nil})
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, change: WorkspaceSettingsChange) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap,
                            arguments: change.fields.flatMap { [$0.name, $0.value] as [any RedisArgumentConvertible] })
    }
}

enum ConversationAssignScript {
    static let script = WorkspaceScriptCall.script("conversation_assign", RoutingLua.source + #"""
    local conversation, agent, actor, over = ARGV[4], ARGV[5], ARGV[6], ARGV[7] == 'true'
    local ckey = P .. 'conversation:' .. conversation
    local c = redis.call('HMGET', ckey, 'state', 'agent', 'entry')
    if c[3] and not newer(ENTRY, c[3]) then return outcome('stale') end
    local fields = {conversation_id = conversation, agent_id = agent, actor = actor}
    local why = refuse_unless_supervisor(actor, 'assign conversations')
    if why then return reject('conversation.assign', why, fields) end
    if not c[1] or c[1] == 'closed' then
      return reject('conversation.assign', string.format("Conversation '%s' is %s; only a queued or assigned conversation can be assigned.",
        conversation, c[1] or 'unknown'), fields)
    end
    if redis.call('SISMEMBER', P .. 'agents', agent) == 0 then
      return reject('conversation.assign', string.format("Agent '%s' is not an agent of this workspace.", agent), fields)
    end
    if c[2] == agent then return outcome('stale') end
    local a = routing_view(agent)
    local capacity = tonumber(a.capacity) or settings().default_capacity
    if a.load >= capacity and not over then
      return reject('conversation.assign', string.format("Agent '%s' has %d of %d conversations open; send over_capacity true to assign anyway.",
        agent, a.load, capacity), fields)
    end
    redis.call('HSET', ckey, 'entry', ENTRY)
    if c[1] == 'assigned' then release(conversation, c[2]) end
    assign(conversation, agent, 'manual', actor)
    if c[1] == 'assigned' then reroute_agent(c[2], nil) end
    return outcome('applied')
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, conversation: Identifier, agent: Identifier,
                     actor: Identifier, overCapacity: Bool) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap,
                            arguments: [conversation.rawValue, agent.rawValue, actor.rawValue, overCapacity ? "true" : "false"])
    }
}

enum ConversationTransferScript {
    static let script = WorkspaceScriptCall.script("conversation_transfer", RoutingLua.source + #"""
    local conversation, team, actor = ARGV[4], ARGV[5], ARGV[6]
    local ckey = P .. 'conversation:' .. conversation
    local c = redis.call('HMGET', ckey, 'state', 'agent', 'entry', 'team')
    if c[3] and not newer(ENTRY, c[3]) then return outcome('stale') end
    if not c[1] or c[1] == 'closed' then
      return reject('conversation.transfer', string.format("Conversation '%s' is %s; only an open conversation can be transferred.",
        conversation, c[1] or 'unknown'), {conversation_id = conversation, actor = actor})
    end
    local old = c[4] or ''
    if c[1] == 'queued' then redis.call('ZREM', P .. 'queue' .. (old ~= '' and (':' .. old) or ''), conversation) end
    if c[1] == 'assigned' then release(conversation, c[2]) end
    redis.call('HSET', ckey, 'team', team, 'entry', ENTRY)
    redis.call('SADD', P .. 'teams', team)
    emit('transferred', {conversation_id = conversation, team = team, previous_team = old, agent_id = c[2] or nil, actor = actor},
      {'type', 'conversation_id', 'team', 'previous_team', 'agent_id', 'actor', 'timestamp', 'version', 'entry'})
    drain(requeue(conversation))
    if c[1] == 'assigned' then reroute_agent(c[2], nil) end
    return outcome('applied')
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, conversation: Identifier, team: Identifier, actor: Identifier?) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap,
                            arguments: [conversation.rawValue, team.rawValue, actor?.rawValue ?? ""])
    }
}

enum AgentReassignScript {
    static let script = WorkspaceScriptCall.script("agent_reassign", RoutingLua.source + #"""
    local agent, to, actor, over = ARGV[4], ARGV[5], ARGV[6], ARGV[7] == 'true'
    local fields = {agent_id = agent, actor = actor}
    local why = refuse_unless_supervisor(actor, 'reassign conversations')
    if why then return reject('agent.reassign', why, fields) end
    -- A redelivered reassign (or an older one applied late) must not move conversations the
    -- agent got since.
    if not newer(ENTRY, redis.call('HGET', P .. 'agent:' .. agent, 'reassign_entry')) then return outcome('stale') end
    local open = redis.call('SMEMBERS', P .. 'agent:' .. agent .. ':conversations')
    if #open > 0 and to ~= '' then
      if redis.call('SISMEMBER', P .. 'agents', to) == 0 then
        return reject('agent.reassign', string.format("Agent '%s' is not an agent of this workspace.", to), fields)
      end
      local a = routing_view(to)
      local capacity = tonumber(a.capacity) or settings().default_capacity
      if a.load + #open > capacity and not over then
        return reject('agent.reassign', string.format("Agent '%s' has room for %d more conversations, not %d; send over_capacity true to move them anyway.",
          to, math.max(0, capacity - a.load), #open), fields)
      end
    end
    -- Recorded only once applied: a refused entry leaves no trace.
    redis.call('HSET', P .. 'agent:' .. agent, 'reassign_entry', ENTRY)
    if #open == 0 then return outcome('applied') end
    -- Their original order: the order they were queued in.
    local order = {}
    for _, id in ipairs(open) do order[#order + 1] = {id = id, score = tonumber(redis.call('HGET', P .. 'conversation:' .. id, 'queue_score')) or 0} end
    table.sort(order, function(x, y) return x.score < y.score end)
    -- Others get the first pick: the agent leaves its pools until the queues have drained.
    local source = routing_view(agent)
    for _, s in ipairs(suffixes(source.teams)) do
      redis.call('ZREM', P .. 'pool' .. s, agent)
      redis.call('ZREM', P .. 'busy' .. s, agent)
    end
    local queues, list = {}, {}
    for _, item in ipairs(order) do
      release(item.id, agent)
      emit('reassigned', {conversation_id = item.id, agent_id = agent, to = to, actor = actor},
        {'type', 'conversation_id', 'agent_id', 'to', 'actor', 'timestamp', 'version', 'entry'})
      if to ~= '' then assign(item.id, to, 'reassigned', actor) else queues[requeue(item.id)] = true end
    end
    for suffix in pairs(queues) do list[#list + 1] = suffix end
    drain_queues(list)
    reroute_agent(agent, nil)
    return outcome('applied')
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, agent: Identifier, to: Identifier?, actor: Identifier,
                     overCapacity: Bool) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap,
                            arguments: [agent.rawValue, to?.rawValue ?? "", actor.rawValue, overCapacity ? "true" : "false"])
    }
}
