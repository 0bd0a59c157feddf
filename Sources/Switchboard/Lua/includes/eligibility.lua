-- Who routing may pick: the workspace's settings, an agent's routing view and the rule
-- (`routing_place`). Reads only, so the read-only snapshot function uses these very
-- functions and judges eligibility exactly as routing does.

-- What a workspace gets for a setting it never set: WorkspaceSettingsDefaults in Swift (a
-- test keeps the two equal).
local SETTINGS_DEFAULTS = {routing = 'round_robin', default_capacity = 3}

local function settings()
  if not SETTINGS then
    local v = redis.call('HMGET', key.settings(), 'routing', 'busy_fallback', 'default_capacity', 'ai_chat',
      'widget_mode', 'widget_manual', 'offline_when_team_away')
    SETTINGS = {routing = v[1] or SETTINGS_DEFAULTS.routing, busy_fallback = v[2] == 'true',
      default_capacity = tonumber(v[3] or SETTINGS_DEFAULTS.default_capacity), ai_chat = v[4] == 'true',
      widget_mode = v[5] or nil, widget_manual = v[6] or nil, offline_when_team_away = v[7] == 'true'}
  end
  return SETTINGS
end

-- '' for the general queue, then ':<team>' for each team of a comma list.
local function suffixes(teams)
  local list = {''}
  if teams and teams ~= '' then
    for team in string.gmatch(teams, '[^,]+') do list[#list + 1] = team_suffix(team) end
  end
  return list
end

-- What routing needs of an agent, read from its stored keys.
local function routing_view(agent)
  local v = redis.call('HMGET', key.agent(agent), 'status', 'routable', 'capacity', 'teams', 'load', 'assigned_seq')
  return {status = v[1] or 'offline', routable = v[2], capacity = v[3], teams = v[4] or '',
    load = tonumber(v[5]) or 0, assigned_seq = tonumber(v[6]) or 0,
    has_session = redis.call('EXISTS', key.agent_sessions(agent)) == 1}
end

-- How many open conversations the agent may hold: its own capacity, else the workspace's.
local function capacity_of(a)
  return tonumber(a.capacity) or settings().default_capacity
end

-- 'pool' (Online, in the routing pool, a live session, room), 'busy' (the same but Busy),
-- or nil and why not: 'status' (Away, DND, Offline), 'no_session', 'not_in_pool'
-- (`routable` 0), 'full' (load at capacity).
local function routing_place(a)
  if a.status ~= 'online' and a.status ~= 'busy' then return nil, 'status' end
  if not a.has_session then return nil, 'no_session' end
  if a.routable ~= '1' then return nil, 'not_in_pool' end
  if a.load >= capacity_of(a) then return nil, 'full' end
  if a.status == 'online' then return 'pool' end
  return 'busy'
end

-- Whether routing may give the agent a conversation now, and the word that says why
-- (not): 'pool', 'busy_fallback' (Busy agents are picked only with busy_fallback, when no
-- Online agent of the queue has room: see `candidate`), or routing_place's reason; a
-- Busy agent without busy_fallback is 'status'.
local function routing_eligibility(a)
  local place, why = routing_place(a)
  if place == 'pool' then return true, 'pool' end
  if place == 'busy' then
    if settings().busy_fallback then return true, 'busy_fallback' end
    return false, 'status'
  end
  return false, why
end
