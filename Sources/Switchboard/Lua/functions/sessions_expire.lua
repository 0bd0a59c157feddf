-- Sessions whose heartbeats stopped: an expiry event for each agent with a session past
-- its expiry; the state machine ends those sessions, and an agent left with none goes
-- offline with reason `expired`. Any number of workers may run it at once: the event is
-- keyed by time, so a second run in the same millisecond is a duplicate, and a later run
-- finds nothing left to end. ARGV[4] how many sessions at most, ARGV[5] replay window (ms),
-- ARGV[6] log size cap, ARGV[7] the cutoff (ms): the time of the oldest unread intake entry.
register('sessions_expire', function(KEYS, ARGV)
  begin(KEYS, ARGV)
  local limit, window, max_log = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
  -- Expire as of the cutoff, not now: entries older than now may still wait unread in the
  -- intake (a backlog), and their heartbeats must count before sessions are ended.
  -- A stuck entry must not stop expiry for ever: at most five minutes behind.
  local cutoff = math.max(math.min(NOW, tonumber(ARGV[7])), NOW - 300000)
  local due = redis.call('ZRANGEBYSCORE', key.sessions(), '-inf', cutoff, 'LIMIT', 0, limit)
  local agents = {}
  for _, member in ipairs(due) do
    local agent = string.match(member, '^(.-)/')
    if not agents[agent] then
      agents[agent] = true
      apply_event(agent, 'x' .. cutoff, {k = 'expire'}, window, max_log)
    end
  end
  -- Count what really ended; drop members whose session no longer exists (left behind by
  -- a hand edit), or they would be swept again and again.
  local expired = 0
  for _, member in ipairs(due) do
    local agent, session = string.match(member, '^(.-)/(.+)$')
    if redis.call('HEXISTS', key.agent_sessions(agent), session) == 0 then
      redis.call('ZREM', key.sessions(), member)
      expired = expired + 1
    end
  end
  return outcome('applied', {expired = expired, more = #due == limit, earliest = earliest_expiry()})
end)
