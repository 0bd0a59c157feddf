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
    redis.call('ZADD', P .. 'queue' .. suffix, score, conversation)
    if team ~= '' then redis.call('SADD', P .. 'teams', team) end
    emit('queued', {conversationId = conversation, team = team, priority = priority},
      {'type', 'conversationId', 'team', 'priority', 'timestamp', 'version', 'entry'})
    drain(suffix)
    if settings().ai_chat and redis.call('HGET', ckey, 'state') == 'queued' then
      emit('waiting', {conversationId = conversation, team = team}, {'type', 'conversationId', 'team', 'timestamp', 'version', 'entry'})
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
    emit('closed', {conversationId = conversation, agentId = c[3], team = team},
      {'type', 'conversationId', 'agentId', 'team', 'timestamp', 'version', 'entry'})
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
    if #fields == 0 then return outcome('stale') end
    for i = 1, #fields, 2 do redis.call('HSET', P .. 'settings', fields[i], fields[i + 1], 'v.' .. fields[i], ENTRY) end
    SETTINGS = nil
    -- The mode, the default capacity or the fallback may have changed: re-place every agent,
    -- then let every queue move.
    for _, agent in ipairs(redis.call('SMEMBERS', P .. 'agents')) do sync_pools(agent, routing_view(agent), nil) end
    drain('')
    for _, team in ipairs(redis.call('SMEMBERS', P .. 'teams')) do drain(':' .. team) end
    local event, order = {}, {'type'}
    for i = 1, #fields, 2 do event[fields[i]] = fields[i + 1]; order[#order + 1] = fields[i] end
    for _, name in ipairs({'timestamp', 'version', 'entry'}) do order[#order + 1] = name end
    emit('settings', event, order)
    return outcome('applied')
    """#)

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, change: WorkspaceSettingsChange) -> WorkspaceScriptCall {
        WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap,
                            arguments: change.fields.flatMap { [$0.name, $0.value] as [any RedisArgumentConvertible] })
    }
}
