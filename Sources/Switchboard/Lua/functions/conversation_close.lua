-- conversation.close: closes it (kept a day) and frees its agent's room. ARGV[4] conversation.
register('conversation_close', function(KEYS, ARGV)
  begin(KEYS, ARGV)
  local conversation = ARGV[4]
  local ckey = key.conversation(conversation)
  local c = redis.call('HMGET', ckey, 'state', 'team', 'agent')
  if c[1] == 'closed' then return outcome('stale') end
  if not may_move_conversation(c[1], 'closed') then
    return reject('conversation.close', unknown_conversation_state(conversation, c[1]), {conversation_id = conversation})
  end
  local team = c[2] or ''
  if c[1] == 'queued' then
    redis.call('ZREM', key.queue(team_suffix(team)), conversation)
  end
  move_conversation(conversation, c[1], 'closed', 'closed_at', NOW, 'entry', ENTRY)
  -- Kept a day, so a conversation.new that this close overtook stays closed.
  redis.call('PEXPIRE', ckey, 86400000)
  emit('closed', {conversation_id = conversation, agent_id = c[3] or nil, team = team},
    {'type', 'conversation_id', 'agent_id', 'team', 'timestamp', 'version', 'entry'})
  if c[1] == 'assigned' and c[3] then
    release(conversation, c[3])
    reroute_agent(c[3], nil)
  end
  return outcome('applied')
end)
