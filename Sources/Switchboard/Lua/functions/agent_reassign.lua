-- agent.reassign: moves every open conversation of an agent to another agent, or back to
-- their queues. ARGV[4] agent, ARGV[5] to ('' for the queues), ARGV[6] actor,
-- ARGV[7] over_capacity ('true' / 'false').
register('agent_reassign', function(KEYS, ARGV)
  begin(KEYS, ARGV)
  local agent, to, actor, over = ARGV[4], ARGV[5], ARGV[6], ARGV[7] == 'true'
  local fields = {agent_id = agent, actor = actor}
  local why = refuse_unless_supervisor(actor, 'reassign conversations')
  if why then return reject('agent.reassign', why, fields) end
  -- A redelivered reassign (or an older one applied late) must not move conversations the
  -- agent got since.
  if not newer(ENTRY, redis.call('HGET', key.agent(agent), 'reassign_entry')) then return outcome('stale') end
  local open = redis.call('SMEMBERS', key.agent_conversations(agent))
  if #open > 0 and to ~= '' then
    if redis.call('SISMEMBER', key.agents(), to) == 0 then
      return reject('agent.reassign', string.format("Agent '%s' is not an agent of this workspace.", to), fields)
    end
    local a = routing_view(to)
    local capacity = capacity_of(a)
    if a.load + #open > capacity and not over then
      return reject('agent.reassign', string.format("Agent '%s' has room for %d more conversations, not %d; send over_capacity true to move them anyway.",
        to, math.max(0, capacity - a.load), #open), fields)
    end
  end
  -- Recorded only once applied: a refused entry leaves no trace.
  redis.call('HSET', key.agent(agent), 'reassign_entry', ENTRY)
  if #open == 0 then return outcome('applied') end
  -- Their original order: the order they were queued in.
  local order = {}
  for _, id in ipairs(open) do order[#order + 1] = {id = id, score = tonumber(redis.call('HGET', key.conversation(id), 'queue_score')) or 0} end
  table.sort(order, function(x, y) return x.score < y.score end)
  -- Others get the first pick: the agent leaves its pools until the queues have drained.
  local source = routing_view(agent)
  for _, s in ipairs(suffixes(source.teams)) do
    redis.call('ZREM', key.pool(s), agent)
    redis.call('ZREM', key.busy(s), agent)
  end
  local queues, list = {}, {}
  for _, item in ipairs(order) do
    release(item.id, agent)
    emit('reassigned', {conversation_id = item.id, agent_id = agent, to = to, actor = actor},
      {'type', 'conversation_id', 'agent_id', 'to', 'actor', 'timestamp', 'version', 'entry'})
    if to ~= '' then assign(item.id, to, 'reassigned', actor, 'assigned') else queues[requeue(item.id, 'assigned')] = true end
  end
  for suffix in pairs(queues) do list[#list + 1] = suffix end
  drain_queues(list)
  reroute_agent(agent, nil)
  return outcome('applied')
end)
