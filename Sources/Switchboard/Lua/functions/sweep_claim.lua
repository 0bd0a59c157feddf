-- Claims the workspaces whose earliest session expiry has come, so that one worker sweeps
-- each. KEYS[1] a sweep schedule (`sb:sweep`, or `sb:sweep:<n>` for intake shard n); ARGV[1] how many at most.
register('sweep_claim', function(KEYS, ARGV)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
  if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
  return due
end)
