-- Stores the business hours' state as a worker computed it, unless the widget settings
-- changed since the worker read them (then it is `stale` and computed again).
-- ARGV[4] open ('1' / '0'), ARGV[5] next change (ms, or ''), ARGV[6] the
-- `widget_settings_version` the worker read.
register('widget_schedule', function(KEYS, ARGV)
  begin(KEYS, ARGV)
  local open, next_change, seen = ARGV[4], ARGV[5], ARGV[6]
  if (redis.call('HGET', key.meta(), 'widget_settings_version') or '0') ~= seen then return outcome('stale') end
  if next_change ~= '' then
    redis.call('HSET', key.widget(), 'schedule_open', open, 'schedule_next', next_change)
  else
    redis.call('HSET', key.widget(), 'schedule_open', open)
    redis.call('HDEL', key.widget(), 'schedule_next')
  end
  widget_eval()
  return outcome('applied')
end)
