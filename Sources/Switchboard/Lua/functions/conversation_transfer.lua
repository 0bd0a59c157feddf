-- conversation.transfer: moves a conversation to another team's queue, off its agent.
-- ARGV[4] conversation, ARGV[5] team, ARGV[6] actor ('' when none).
register('conversation_transfer', function(KEYS, ARGV)
  begin(KEYS, ARGV)
  local conversation, team, actor = ARGV[4], ARGV[5], ARGV[6]
  local ckey = key.conversation(conversation)
  local c = redis.call('HMGET', ckey, 'state', 'agent', 'entry', 'team')
  if c[3] and not newer(ENTRY, c[3]) then return outcome('stale') end
  if not c[1] or c[1] == 'closed' then
    return reject('conversation.transfer', string.format("Conversation '%s' is %s; only an open conversation can be transferred.",
      conversation, c[1] or 'unknown'), {conversation_id = conversation, actor = actor})
  end
  if not may_move_conversation(c[1], 'queued') then
    return reject('conversation.transfer', unknown_conversation_state(conversation, c[1]), {conversation_id = conversation, actor = actor})
  end
  local old = c[4] or ''
  if c[1] == 'queued' then redis.call('ZREM', key.queue(team_suffix(old)), conversation) end
  if c[1] == 'assigned' then release(conversation, c[2]) end
  redis.call('HSET', ckey, 'team', team, 'entry', ENTRY)
  redis.call('SADD', key.teams(), team)
  emit('transferred', {conversation_id = conversation, team = team, previous_team = old, agent_id = c[2] or nil, actor = actor},
    {'type', 'conversation_id', 'team', 'previous_team', 'agent_id', 'actor', 'timestamp', 'version', 'entry'})
  drain(requeue(conversation, c[1]))
  if c[1] == 'assigned' then reroute_agent(c[2], nil) end
  return outcome('applied')
end)
