-- Hands each workspace whose widget schedule is due to one worker: its score moves a lease
-- ahead, so a worker that dies before finishing leaves it to another after the lease.
-- KEYS[1] a widget schedule (`sb:widget-schedule`, or `sb:widget-schedule:<n>`); ARGV[1] now (ms, the worker's clock),
-- ARGV[2] lease (ms), ARGV[3] how many at most.
register('widget_claim', function(KEYS, ARGV)
  local now, lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
  for _, workspace in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', now + lease, workspace) end
  return due
end)
