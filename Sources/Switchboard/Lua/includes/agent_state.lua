-- The agent presence state machine, shared by the agent and expiry functions.
--
-- An agent's state (status, message, routing pool, sessions, profile) is a pure function
-- of the agent's events in stream order: `step(state, event, t)` applies one event at time
-- `t`, the entry id's milliseconds. Events arriving in order are applied to the stored
-- state directly. An event arriving late (another worker applied a later entry first, or
-- a redelivery) is slotted into the agent's short event log by id and the state is
-- recomputed from the log's base: the result is exactly the in-order result. Events stay
-- in the log for the replay window, counted in apply time (when a worker applied them),
-- so a backlog drained by several workers at once is still put in order; an entry
-- arriving after its successors were folded out of the log is acknowledged without effect.
--
-- Why a log and not batches applied one at a time per intake shard (a lease): the log's
-- cost on the common, in-order path was reading it (HGETALL, JSON of every event and of
-- the base) and a second staleness check, not keeping it. An in-order event now costs the
-- log one HSET and one PEXPIRE, and nothing else; a lease would instead make every worker
-- of a shard wait for the slowest batch, and still need this machinery (or fencing) for a
-- holder that pauses past its lease. Per in-order event the log's share fell from three
-- reads (the staleness check twice, the whole log) and three writes, with JSON of the
-- base, to two writes (the event's JSON only).
--
-- Keys per agent (keys.lua; all under the workspace's hash tag):
--   agent:<id>           hash, the current state (docs/keys.md) plus `last`, the newest
--                        event id applied: without a log, anything at or below it is stale;
--                        and `log_start`/`log_size`: the apply time of the log's first
--                        event and its length, as last set when the log was created or read
--                        (appends keep the start), so that an in-order event is logged
--                        without reading the log; they outlive an expired log, so whether it
--                        exists is asked of Redis (the PEXPIRE before each append)
--   agent:<id>:sessions  hash, session → expiry (ms), mirrored in the workspace's
--                        `sessions` sorted set that the sweeper reads
--   agent:<id>:log       hash, event id → event JSON, plus `base`, the state JSON before
--                        the oldest logged event, and `floor`, the newest event id folded
--                        out of it; deleted when empty, and expires one replay window after
--                        its last write, so an idle agent costs no log at all

local STATE_FIELDS = {'status', 'message', 'since', 'status_actor', 'status_reason', 'routable',
  'login_at', 'preferred_status', 'accept_chats_after_login', 'capacity', 'teams', 'role', 'last'}
local PROFILE_FIELDS = {'preferred_status', 'accept_chats_after_login', 'capacity', 'teams', 'role'}

-- Event keys: intake entries "ms-seq"; sweeper expiries "x<ms>", ordered before the
-- intake entries of the same millisecond.
local function event_key_parts(k)
  local x, ms, seq = string.match(k, '^(x?)(%d+)-?(%d*)$')
  return tonumber(ms), (x == 'x') and 0 or 1, tonumber(seq) or 0
end
local function event_before(a, b)
  local am, ak, as = event_key_parts(a)
  local bm, bk, bs = event_key_parts(b)
  if am ~= bm then return am < bm end
  if ak ~= bk then return ak < bk end
  return as < bs
end

-- The state, and in one read what the agent hash says of the log (`log_start`,
-- `log_size`) and routing's `load` and `assigned_seq` (kept outside the state).
-- (Plain loops: this runs at FUNCTION LOAD, where neither `unpack` nor `ipairs` exists.)
local LOADED_FIELDS, LOG_AND_ROUTING_FIELDS = {}, {'log_start', 'log_size', 'load', 'assigned_seq'}
for i = 1, #STATE_FIELDS do LOADED_FIELDS[i] = STATE_FIELDS[i] end
for i = 1, #LOG_AND_ROUTING_FIELDS do LOADED_FIELDS[#STATE_FIELDS + i] = LOG_AND_ROUTING_FIELDS[i] end
local function load_state(agent)
  local values = redis.call('HMGET', key.agent(agent), unpack(LOADED_FIELDS))
  local state = {sessions = {}}
  for i, name in ipairs(STATE_FIELDS) do if values[i] then state[name] = values[i] end end
  -- A new agent's hash is written whole, defaults included, so operators see them.
  state.fresh = state.status == nil or nil
  state.status = state.status or 'offline'
  state.routable = state.routable or '0'
  local sessions = redis.call('HGETALL', key.agent_sessions(agent))
  for i = 1, #sessions, 2 do state.sessions[sessions[i]] = tonumber(string.match(sessions[i + 1], '^(%d+)')) end
  local n = #STATE_FIELDS
  return state, {start = tonumber(values[n + 1]), size = tonumber(values[n + 2]),
    load = tonumber(values[n + 3]) or 0, assigned_seq = tonumber(values[n + 4]) or 0}
end

local function copy_state(state)
  local result = {sessions = {}}
  for name, value in pairs(state) do if name ~= 'sessions' and name ~= 'fresh' then result[name] = value end end
  for session, expiry in pairs(state.sessions) do result.sessions[session] = expiry end
  return result
end

local function set_status(state, status, message, actor, reason, t)
  if state.status == status and (state.message or '') == (message or '') then return end
  state.status, state.message, state.status_actor, state.status_reason, state.since = status, message, actor, reason, t
end

-- Sessions whose expiry is at or before t end; the last one ending takes the agent offline.
local function advance(state, t)
  local ended, left = false, 0
  for session, expiry in pairs(state.sessions) do
    if expiry <= t then state.sessions[session] = nil; ended = true else left = left + 1 end
  end
  if ended and left == 0 then
    state.routable = '0'
    set_status(state, 'offline', nil, '', 'expired', t)
  end
end

local function step(state, agent, event, t)
  advance(state, t)
  if event.k == 'open' then
    local first = next(state.sessions) == nil
    state.sessions[event.s] = t + event.ttl
    if first then
      -- The first session of a login: preferred status, pool from accept-chats-after-login.
      state.login_at = t
      state.routable = (state.accept_chats_after_login == 'false') and '0' or '1'
      set_status(state, state.preferred_status or 'online', nil, agent, 'login', t)
    end
  elseif event.k == 'close' then
    if state.sessions[event.s] then
      state.sessions[event.s] = nil
      if next(state.sessions) == nil then
        state.routable = '0'
        set_status(state, 'offline', nil, agent, 'logout', t)
      end
    end
  elseif event.k == 'status' then
    -- Only the agent's own Online enters the routing pool.
    if event.a == agent and event.st == 'online' then state.routable = '1' end
    set_status(state, event.st, event.m, event.a, event.r, t)
  elseif event.k == 'profile' then
    for name, value in pairs(event.f) do state[name] = value end
  end
end

local function load_base(text)
  local state = cjson.decode(text)
  state.sessions = state.sessions or {}
  return state
end

local function replay(state, agent, log, keys)
  for _, k in ipairs(keys) do step(state, agent, cjson.decode(log[k]), (event_key_parts(k))) end
  return state
end

-- Writes the changed fields and sessions (and the log's `log_start`/`log_size`, or
-- deletes them when `log` is false), and broadcasts a status change. `loaded` is
-- load_state's second result.
local function store_state(agent, before, after, log, loaded)
  local akey, skey = key.agent(agent), key.agent_sessions(agent)
  local set, del = {}, {}
  for _, name in ipairs(STATE_FIELDS) do
    local value = after[name]
    if value ~= before[name] or (before.fresh and value ~= nil) then
      if value == nil then del[#del + 1] = name else set[#set + 1] = name; set[#set + 1] = tostring(value) end
    end
  end
  if log then
    set[#set + 1] = 'log_start'; set[#set + 1] = log.start
    set[#set + 1] = 'log_size'; set[#set + 1] = log.size
  elseif log == false then
    del[#del + 1] = 'log_start'; del[#del + 1] = 'log_size'
  end
  if #set > 0 then redis.call('HSET', akey, unpack(set)) end
  if #del > 0 then redis.call('HDEL', akey, unpack(del)) end
  for session in pairs(before.sessions) do
    if not after.sessions[session] then
      redis.call('HDEL', skey, session)
      redis.call('ZREM', key.sessions(), agent .. '/' .. session)
    end
  end
  for session, expiry in pairs(after.sessions) do
    if before.sessions[session] ~= expiry then
      redis.call('HSET', skey, session, expiry)
      redis.call('ZADD', key.sessions(), expiry, agent .. '/' .. session)
    end
  end
  if before.fresh then redis.call('SADD', key.agents(), agent) end

  if after.status ~= before.status or (after.message or '') ~= (before.message or '') then
    local actor = (after.status_actor and after.status_actor ~= '') and after.status_actor or cjson.null
    local event = emit('status', {agent_id = agent, status = after.status, previous = before.status,
      message = after.message or cjson.null, actor = actor, reason = after.status_reason}, STATUS_ORDER)
    publish(key.status(), cjson.encode({type = 'status', workspace = WS, agent_id = agent,
      status = after.status, previous = before.status, message = after.message or cjson.null, actor = actor,
      reason = after.status_reason, timestamp = event.timestamp, version = event.version}))
  end
  local profile, order = {agent_id = agent}, {'type', 'agent_id'}
  for _, name in ipairs(PROFILE_FIELDS) do
    if after[name] ~= before[name] then profile[name] = after[name] or ''; order[#order + 1] = name end
  end
  if #order > 2 then
    for _, name in ipairs({'timestamp', 'version', 'entry'}) do order[#order + 1] = name end
    emit('profile', profile, order)
  end

  -- Available (Online, in the routing pool, with a session) counts for the widget's
  -- "offline when the team is away".
  local function available(state) return state.status == 'online' and state.routable == '1' and next(state.sessions) ~= nil end
  if available(after) ~= available(before) then
    redis.call(available(after) and 'SADD' or 'SREM', key.available(), agent)
    widget_eval()
  end

  -- Anything routing looks at changed: re-place the agent, and if it now has room, let
  -- the queues it serves drain.
  if after.status ~= before.status or after.routable ~= before.routable or after.capacity ~= before.capacity
     or after.teams ~= before.teams or (next(after.sessions) == nil) ~= (next(before.sessions) == nil) then
    -- The routing view of the state just written, without reading it back.
    reroute_agent(agent, before.teams, {status = after.status, routable = after.routable, capacity = after.capacity,
      teams = after.teams or '', load = loaded.load, assigned_seq = loaded.assigned_seq, has_session = next(after.sessions) ~= nil})
  end
end

-- Whether an event was applied already (a redelivery) or arrives after its successors
-- were folded out of the log (or the whole log expired: nothing to replay from).
local function is_stale(agent, event_key)
  local logged = redis.call('HMGET', key.agent_log(agent), 'base', 'floor', event_key)
  if logged[3] then return true end
  local floor = logged[2]
  if not logged[1] then floor = redis.call('HGET', key.agent(agent), 'last') end
  return floor ~= false and floor ~= nil and not event_before(floor, event_key)
end

-- How old the log's first event may be for an in-order event to be appended without
-- reading the log: two windows, less a second of margin. Folding waits until then, so
-- that an agent heartbeating every 20 s in a 60 s window reads its log once a window, not
-- at every heartbeat; events between one and two windows old are still in the log and a
-- late entry is put in order among them (the window is a minimum). The log expires one
-- window after its last write, as before.
local function fast_horizon(window) return NOW - 2 * window + 1000 end

-- The commonest entry, a heartbeat in order that extends a live session while no
-- session of the agent has ended: what `step` and `store_state` would do comes down to
-- the session's expiry, `last` and the log, so only those are read and written. Returns
-- false (having changed nothing) for any other case, which apply_event then handles.
local function extend_session(agent, event_key, event, window, max_log)
  local akey, lkey, skey = key.agent(agent), key.agent_log(agent), key.agent_sessions(agent)
  local v = redis.call('HMGET', akey, 'last', 'log_start', 'log_size')
  local start, size = tonumber(v[2]), tonumber(v[3])
  if not v[1] or not event_before(v[1], event_key) then return false end
  if not (start and size and start > fast_horizon(window) and size < max_log) then return false end
  local t = (event_key_parts(event_key))
  local sessions, live = redis.call('HGETALL', skey), false
  for i = 1, #sessions, 2 do
    if tonumber(string.match(sessions[i + 1], '^(%d+)')) <= t then return false end
    if sessions[i] == event.s then live = true end
  end
  if not live then return false end
  -- PEXPIRE also says whether the log is still there (0: it expired one window after its
  -- last write, or was evicted or deleted, though `log_start` is recent): if not, the log
  -- must start again from the stored state, which apply_event does.
  if redis.call('PEXPIRE', lkey, window) == 0 then return false end
  event.at = NOW
  redis.call('HSET', lkey, event_key, cjson.encode(event))
  redis.call('HSET', skey, event.s, t + event.ttl)
  redis.call('ZADD', key.sessions(), t + event.ttl, agent .. '/' .. event.s)
  redis.call('HSET', akey, 'last', event_key, 'log_size', size + 1)
  return true
end

-- Applies one event to an agent, in stream order whatever the arrival order.
-- Returns 'applied' or 'stale', and whether a session opened that was not live before.
--
-- In order (after `last`, the newest event applied: the common case) the event is
-- neither a duplicate nor below the log's floor, and nothing logged follows it, so it
-- is applied to the stored state and appended to the log without reading the log: the
-- agent hash's `log_start` (apply time of the log's first event in id order) and
-- `log_size` say whether something is due to fold, and the PEXPIRE that keeps the log
-- says whether it still exists. Only a
-- late entry, a fold or an unknown log reads the whole log (below). These two fields
-- live in the agent hash, which this step reads anyway, not in the log: workers of the
-- previous version read every other field of the log as an event.
local function apply_event(agent, event_key, event, window, max_log)
  local lkey = key.agent_log(agent)
  local before, meta = load_state(agent)
  local in_order = not before.last or event_before(before.last, event_key)
  if not in_order and is_stale(agent, event_key) then return 'stale' end
  event.at = NOW
  local encoded = cjson.encode(event)

  local function opened(after)
    for session in pairs(after.sessions) do if not before.sessions[session] then return true end end
    return false
  end

  if in_order then
    local log, gone = nil, false
    if meta.start and meta.size and meta.start > fast_horizon(window) and meta.size < max_log then
      -- Untouched for a window, every event in it would be folded: let Redis do it. PEXPIRE
      -- also says whether the log is still there (0: expired, evicted or deleted, though
      -- `log_start` is recent); appending to a missing log would leave it without a base.
      if redis.call('PEXPIRE', lkey, window) == 1 then
        redis.call('HSET', lkey, event_key, encoded)
        log = {start = meta.start, size = meta.size + 1}
      else
        gone = true
      end
    end
    if not log and max_log > 0
       and (gone or ((not meta.start or meta.start <= fast_horizon(window)) and redis.call('EXISTS', lkey) == 0)) then
      -- A new log starts from the stored state, which already holds every event up to
      -- `last`: those stay stale.
      local fields = {'base', cjson.encode(copy_state(before)), event_key, encoded}
      if before.last then fields[#fields + 1] = 'floor'; fields[#fields + 1] = before.last end
      redis.call('HSET', lkey, unpack(fields))
      redis.call('PEXPIRE', lkey, window)
      log = {start = NOW, size = 1}
    end
    if log then
      local after = copy_state(before)
      step(after, agent, event, (event_key_parts(event_key)))
      after.last = event_key
      store_state(agent, before, after, log, meta)
      return 'applied', opened(after)
    end
  end

  local log = {}
  local raw = redis.call('HGETALL', lkey)
  for i = 1, #raw, 2 do log[raw[i]] = raw[i + 1] end
  local base, floor = log.base, log.floor
  log.base, log.floor = nil, nil
  local keys = {}
  if base ~= nil then for k in pairs(log) do keys[#keys + 1] = k end end
  table.sort(keys, event_before)
  -- A new log starts from the stored state, which already holds every event up to
  -- `last`: those stay stale. (Events left without a base, by a hand edit, are dropped:
  -- the stored state holds them already.)
  if base == nil then
    if #raw > 0 then redis.call('DEL', lkey) end
    log = {}
    base, floor = cjson.encode(copy_state(before)), before.last
  end

  local after
  if #keys == 0 or event_before(keys[#keys], event_key) then
    after = copy_state(before)
    step(after, agent, event, (event_key_parts(event_key)))
    keys[#keys + 1] = event_key
  else
    keys[#keys + 1] = event_key
    table.sort(keys, event_before)
    log[event_key] = encoded
    after = replay(copy_state(load_base(base)), agent, log, keys)
  end
  log[event_key] = encoded

  -- Fold events applied longer ago than the replay window (or beyond the size cap) into
  -- the base; when every event is folded the log is deleted.
  local fold, start = 0, nil
  while fold < #keys do
    local applied_at = cjson.decode(log[keys[fold + 1]]).at or 0
    if #keys - fold <= max_log and applied_at >= NOW - window then start = applied_at; break end
    fold = fold + 1
  end
  if fold > 0 then
    local folded = {}
    for i = 1, fold do folded[i] = keys[i] end
    base = cjson.encode(replay(copy_state(load_base(base)), agent, log, folded))
    local gone = {}
    for i = 1, fold do
      if log[keys[i]] and keys[i] ~= event_key then gone[#gone + 1] = keys[i] end
      log[keys[i]] = nil
    end
    if #gone > 0 then redis.call('HDEL', lkey, unpack(gone)) end
  end
  if fold == #keys then
    redis.call('DEL', lkey)
  else
    if log[event_key] then redis.call('HSET', lkey, event_key, encoded) end
    if fold > 0 then floor = keys[fold] end
    if floor then redis.call('HSET', lkey, 'base', base, 'floor', floor)
    else redis.call('HSET', lkey, 'base', base) end
    -- Untouched for a window, every event in it would be folded: let Redis do it.
    redis.call('PEXPIRE', lkey, window)
  end
  after.last = keys[#keys]
  store_state(agent, before, after, start and {start = start, size = #keys - fold} or false, meta)
  return 'applied', opened(after)
end
