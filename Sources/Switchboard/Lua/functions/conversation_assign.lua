-- conversation.assign: a supervisor gives a conversation to an agent. ARGV[4] conversation,
-- ARGV[5] agent, ARGV[6] actor, ARGV[7] over_capacity ('true' / 'false').
register('conversation_assign', function(KEYS, ARGV)
  begin(KEYS, ARGV)
  local conversation, agent, actor, over = ARGV[4], ARGV[5], ARGV[6], ARGV[7] == 'true'
  local ckey = key.conversation(conversation)
  local c = redis.call('HMGET', ckey, 'state', 'agent', 'entry')
  if c[3] and not newer(ENTRY, c[3]) then return outcome('stale') end
  local fields = {conversation_id = conversation, agent_id = agent, actor = actor}
  local why = refuse_unless_supervisor(actor, 'assign conversations')
  if why then return reject('conversation.assign', why, fields) end
  if not c[1] or c[1] == 'closed' then
    return reject('conversation.assign', string.format("Conversation '%s' is %s; only a queued or assigned conversation can be assigned.",
      conversation, c[1] or 'unknown'), fields)
  end
  if redis.call('SISMEMBER', key.agents(), agent) == 0 then
    return reject('conversation.assign', string.format("Agent '%s' is not an agent of this workspace.", agent), fields)
  end
  if c[2] == agent then return outcome('stale') end
  local a = routing_view(agent)
  local capacity = capacity_of(a)
  if a.load >= capacity and not over then
    return reject('conversation.assign', string.format("Agent '%s' has %d of %d conversations open; send over_capacity true to assign anyway.",
      agent, a.load, capacity), fields)
  end
  redis.call('HSET', ckey, 'entry', ENTRY)
  if c[1] == 'assigned' then release(conversation, c[2]) end
  assign(conversation, agent, 'manual', actor, c[1])
  if c[1] == 'assigned' then reroute_agent(c[2], nil) end
  return outcome('applied')
end)
