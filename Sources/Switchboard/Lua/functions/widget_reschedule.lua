-- Moves a claimed workspace to its next boundary (or off the schedule), unless someone
-- re-scheduled it meanwhile (a settings change asking for a computation now): that wins.
-- KEYS[1] the widget schedule it was claimed from; ARGV[1] workspace, ARGV[2] the score the claim left,
-- ARGV[3] the next boundary (ms), '' to take it off.
register('widget_reschedule', function(KEYS, ARGV)
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
  if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
  return 1
end)
