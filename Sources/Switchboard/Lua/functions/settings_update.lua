-- workspace.settings: stores the settings newer than those stored, re-places agents and
-- drains every queue when routing changed, re-evaluates the widget. ARGV[4…] name, value pairs
-- (then the reply flag, context.lua).
register('settings_update', function(KEYS, ARGV)
  begin(KEYS, ARGV)
  -- Each setting keeps the entry id that set it: settings applied out of order end as in
  -- stream order.
  local fields = {}
  for i = 4, #ARGV - 1, 2 do
    if newer(ENTRY, redis.call('HGET', key.settings(), 'v.' .. ARGV[i])) then
      fields[#fields + 1] = ARGV[i]
      fields[#fields + 1] = ARGV[i + 1]
    end
  end
  if #fields == 0 then
    -- A redelivery: if the worker that applied it died before asking for the business
    -- hours to be computed, ask again.
    local waiting = settings().widget_mode == 'hours' and redis.call('HEXISTS', key.widget(), 'schedule_open') == 0
    return outcome('stale', {widget_schedule = waiting or nil})
  end
  local routing, widget, schedule = false, false, false
  for i = 1, #fields, 2 do
    redis.call('HSET', key.settings(), fields[i], fields[i + 1], 'v.' .. fields[i], ENTRY)
    if string.sub(fields[i], 1, 7) == 'widget_' or fields[i] == 'offline_when_team_away' then widget = true else routing = true end
    if fields[i] == 'widget_mode' or fields[i] == 'widget_hours' or fields[i] == 'widget_timezone' or fields[i] == 'widget_exceptions' then
      schedule = true
    end
  end
  SETTINGS = nil
  local event, order = {}, {'type'}
  for i = 1, #fields, 2 do event[fields[i]] = fields[i + 1]; order[#order + 1] = fields[i] end
  for _, name in ipairs({'timestamp', 'version', 'entry'}) do order[#order + 1] = name end
  emit('settings', event, order)
  if routing then
    -- The mode, the default capacity or the fallback may have changed: re-place every
    -- agent, then let every queue move.
    for _, agent in ipairs(redis.call('SMEMBERS', key.agents())) do sync_pools(agent, routing_view(agent), nil) end
    local all = {''}
    for _, team in ipairs(redis.call('SMEMBERS', key.teams())) do all[#all + 1] = team_suffix(team) end
    drain_queues(all)
  end
  if schedule then
    -- The business hours changed: the cached schedule is void until a worker computes it
    -- again (the worker schedules that at once, from `widget_schedule` in the outcome).
    redis.call('HINCRBY', key.meta(), 'widget_settings_version', 1)
    redis.call('HDEL', key.widget(), 'schedule_open', 'schedule_next')
  end
  if widget then widget_eval() end
  return outcome('applied', {widget_schedule = schedule or nil})
end)
