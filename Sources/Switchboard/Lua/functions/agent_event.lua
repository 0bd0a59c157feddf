-- agent.login, agent.heartbeat, agent.logout, agent.status, agent.profile: one function that
-- turns the entry into an agent event and applies it in stream order (agent_state.lua).
-- ARGV[4] agent, ARGV[5] the event JSON, ARGV[6] replay window (ms), ARGV[7] log size cap.
register('agent_event', function(KEYS, ARGV)
  begin(KEYS, ARGV)
  local agent, window, max_log = ARGV[4], tonumber(ARGV[6]), tonumber(ARGV[7])
  local event = cjson.decode(ARGV[5])
  -- A redelivered open still reports the expiry schedule: the worker that applied it may
  -- have died before scheduling the sweep.
  local function stale_outcome()
    if event.k == 'open' then return outcome('stale', {earliest = earliest_expiry()}) end
    return outcome('stale')
  end
  if is_stale(agent, ENTRY) then return stale_outcome() end
  if event.k == 'status' then
    event.a = event.a or agent
    event.r = 'manual'
    if event.a ~= agent then
      local why = refuse_unless_supervisor(event.a, string.format("change the status of agent '%s'", agent), 'override a status')
      if why then
        emit('rejected', {op = 'agent.status', agent_id = agent, status = event.st, actor = event.a, error = why},
          {'type', 'op', 'agent_id', 'status', 'actor', 'error', 'timestamp', 'version', 'entry'})
        return outcome('rejected', {error = why})
      end
      event.r = 'override'
    end
  end
  if apply_event(agent, ENTRY, event, window, max_log) == 'stale' then return stale_outcome() end
  if event.k == 'open' then return outcome('applied', {earliest = earliest_expiry()}) end
  return outcome('applied')
end)
