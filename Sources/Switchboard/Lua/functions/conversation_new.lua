-- conversation.new: stores the conversation, then straight to an agent with room, or into
-- its queue (which drains at once if it can). ARGV[4] conversation, ARGV[5] team ('' for
-- the general queue), ARGV[6] priority.
register('conversation_new', function(KEYS, ARGV)
  begin(KEYS, ARGV)
  local conversation, team, priority = ARGV[4], ARGV[5], tonumber(ARGV[6])
  local ckey = key.conversation(conversation)
  -- Known already: a redelivery, or a close that overtook this entry (kept a day).
  if redis.call('EXISTS', ckey) == 1 then return outcome('stale') end
  local suffix = team_suffix(team)
  local arrival = redis.call('HINCRBY', key.meta(), 'queue_seq', 1)
  local score = -priority * 1099511627776 + arrival
  local fields = {'team', team, 'priority', priority, 'queue_score', score, 'created_at', NOW, 'entry', ENTRY}
  if team ~= '' then redis.call('SADD', key.teams(), team) end
  -- Nobody waits in this queue and an agent has room: straight to the agent, without a
  -- queued step (the busiest path, so the fewest writes: the conversation hash is written
  -- once, assigned). A waiting queue means no agent had room, as queues drain whenever
  -- room appears.
  if redis.call('ZCARD', key.queue(suffix)) == 0 then
    local agent = candidate(suffix)
    if agent then
      assign(conversation, agent, 'routed', nil, nil, team, false, fields)
      return outcome('applied')
    end
  end
  move_conversation(conversation, nil, 'queued', unpack(fields))
  redis.call('ZADD', key.queue(suffix), score, conversation)
  emit('queued', {conversation_id = conversation, team = team, priority = priority},
    {'type', 'conversation_id', 'team', 'priority', 'timestamp', 'version', 'entry'})
  drain(suffix)
  if settings().ai_chat and redis.call('HGET', ckey, 'state') == 'queued' then
    emit('waiting', {conversation_id = conversation, team = team}, {'type', 'conversation_id', 'team', 'timestamp', 'version', 'entry'})
  end
  return outcome('applied')
end)
