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
  if event.k == 'status' then
    event.a = event.a or agent
    event.r = 'manual'
    if event.a ~= agent then
      -- A stale override is not judged again (apply_event checks every other entry).
      if is_stale(agent, ENTRY) then return stale_outcome() end
      local why = refuse_unless_supervisor(event.a, string.format("change the status of agent '%s'", agent), 'override a status')
      if why then
        emit('rejected', {op = 'agent.status', agent_id = agent, status = event.st, actor = event.a, error = why},
          {'type', 'op', 'agent_id', 'status', 'actor', 'error', 'timestamp', 'version', 'entry'})
        return outcome('rejected', {error = why})
      end
      event.r = 'override'
    end
  end
  if event.k == 'open' and extend_session(agent, ENTRY, event, window, max_log) then
    return outcome('applied', REPLY and {earliest = earliest_expiry()} or nil)
  end
  local applied, opened = apply_event(agent, ENTRY, event, window, max_log)
  if applied == 'stale' then return stale_outcome() end
  -- Only a session that was not live before can move the sweep earlier: a heartbeat that
  -- extends a live session leaves the schedule alone (its reply still reports it).
  if event.k == 'open' and (opened or REPLY) then return outcome('applied', {earliest = earliest_expiry()}) end
  return outcome('applied')
end)
