-- The workspace snapshot: read-only (FCALL_RO), so the state and the `version` it returns
-- belong to the same instant. Eligibility is routing's own verdict (eligibility.lua).
-- ARGV[2] one agent's id, or '' for every agent. Reply, an array: version, settings hash
-- (flat), widget hash (flat), size of `available`, size of `sessions`, queue depths (flat:
-- '' for the general queue, then each team, each followed by its depth), agents (each an
-- array: id, agent hash (flat), sessions hash (flat), eligible 1/0, routing standing).
register('workspace_snapshot', function(KEYS, ARGV)
  begin_read(KEYS, ARGV)
  local ids = ARGV[2] ~= '' and {ARGV[2]} or redis.call('SMEMBERS', key.agents())
  local agents = {}
  for _, agent in ipairs(ids) do
    local fields = redis.call('HGETALL', key.agent(agent))
    local sessions = redis.call('HGETALL', key.agent_sessions(agent))
    if #fields > 0 or #sessions > 0 then
      local eligible, standing = routing_eligibility(routing_view(agent))
      agents[#agents + 1] = {agent, fields, sessions, eligible and 1 or 0, standing}
    end
  end
  local queues = {'', redis.call('ZCARD', key.queue(''))}
  for _, team in ipairs(redis.call('SMEMBERS', key.teams())) do
    queues[#queues + 1] = team
    queues[#queues + 1] = redis.call('ZCARD', key.queue(team_suffix(team)))
  end
  return {redis.call('HGET', key.meta(), 'version') or '0', redis.call('HGETALL', key.settings()),
    redis.call('HGETALL', key.widget()), redis.call('SCARD', key.available()), redis.call('ZCARD', key.sessions()),
    queues, agents}
end, true)
