-- Routing: queues of waiting conversations, pools of agents with room, and assignment, for
-- every function that can create or free capacity.
--
-- Keys (keys.lua; all under the workspace's hash tag; `<s>` is empty for the general queue
-- and `:<team>` for a team):
--   queue<s>   sorted set, conversation → -priority·2^40 + arrival number (lowest first)
--   pool<s>    sorted set, Online agents in the routing pool, with a live session and room
--   busy<s>    sorted set, the same for Busy agents (used only with busy_fallback)
--              score: round robin = number of the agent's last assignment (longest ago
--              first); least loaded = open conversations·2^40 + that number
--   conversation:<id>  hash: state (queued, assigned, closed), team, priority, agent, times
--   agent:<id>:conversations  set of the agent's open conversations
--   settings   hash: routing, busy_fallback, default_capacity, ai_chat
--   teams      set of every team seen, so a settings change can drain every queue
-- Picking an agent is ZRANGE 0 0 on a sorted set: O(log n) whatever the team size.

local function routing_score(a)
  if settings().routing == 'least_loaded' then return a.load * 1099511627776 + a.assigned_seq end
  return a.assigned_seq
end

-- Puts the agent in exactly the pools it belongs to now (leaving those of `old_teams`).
local function sync_pools(agent, a, old_teams)
  local place, score = routing_place(a), routing_score(a)
  local wanted = {}
  for _, s in ipairs(suffixes(a.teams)) do wanted[s] = true end
  local all = suffixes(old_teams)
  for s in pairs(wanted) do all[#all + 1] = s end
  for _, s in ipairs(all) do
    for _, kind in ipairs({'pool', 'busy'}) do
      if wanted[s] and place == kind then
        redis.call('ZADD', key[kind](s), score, agent)
      else
        redis.call('ZREM', key[kind](s), agent)
      end
    end
  end
  for team in string.gmatch(a.teams, '[^,]+') do redis.call('SADD', key.teams(), team) end
  return place
end

local ASSIGNED_ORDER = {'type', 'conversation_id', 'agent_id', 'team', 'agent_status', 'reason', 'actor', 'timestamp', 'version', 'entry'}

-- After only the agent's load changed (status, teams and session as they were): its
-- score moves, or it leaves the pools it just filled. Fewer writes than sync_pools on
-- the busiest path.
local function sync_load(agent, a)
  local kind = (a.status == 'online' and 'pool') or (a.status == 'busy' and 'busy') or nil
  if not kind then return end
  local full, score = routing_place(a) ~= kind, routing_score(a)
  for _, s in ipairs(suffixes(a.teams)) do
    if full then redis.call('ZREM', key[kind](s), agent) else redis.call('ZADD', key[kind](s), score, agent) end
  end
end

-- Gives a conversation to an agent: one step, with the agent's load and pools updated.
-- `from` is the conversation's state now (queued or assigned); `team` may be passed when
-- the caller knows it; `queued` false when the conversation never entered its queue;
-- `fields`: more conversation fields to write in the same HSET.
local function assign(conversation, agent, reason, actor, from, team, queued, fields)
  team = team or redis.call('HGET', key.conversation(conversation), 'team') or ''
  if queued ~= false then redis.call('ZREM', key.queue(team_suffix(team)), conversation) end
  move_conversation(conversation, from, 'assigned', 'agent', agent, 'assigned_at', NOW, unpack(fields or {}))
  redis.call('SADD', key.agent_conversations(agent), conversation)
  local a = routing_view(agent)
  a.load = a.load + 1
  a.assigned_seq = redis.call('HINCRBY', key.meta(), 'assign_seq', 1)
  redis.call('HSET', key.agent(agent), 'load', a.load, 'assigned_seq', a.assigned_seq)
  sync_load(agent, a)
  local event = emit('assigned', {conversation_id = conversation, agent_id = agent, team = team,
    agent_status = a.status, reason = reason, actor = actor}, ASSIGNED_ORDER)
  publish(key.assignments(), cjson.encode(event))
end

-- The agent that would take the head of a queue now, or nil.
local function candidate(suffix)
  local pick = redis.call('ZRANGE', key.pool(suffix), 0, 0)
  if #pick == 0 and settings().busy_fallback then pick = redis.call('ZRANGE', key.busy(suffix), 0, 0) end
  return pick[1]
end

-- Assigns queued conversations while agents have room: the queues drain by themselves.
-- Across several queues the best head goes first (priority, then arrival: queue scores
-- are comparable because arrival numbers are per workspace).
local function drain_queues(list)
  while true do
    local best, best_score, best_agent, best_team
    for _, suffix in ipairs(list) do
      local head = redis.call('ZRANGE', key.queue(suffix), 0, 0, 'WITHSCORES')
      if #head > 0 and (not best or tonumber(head[2]) < best_score) then
        local agent = candidate(suffix)
        if agent then best, best_score, best_agent, best_team = head[1], tonumber(head[2]), agent, suffix_team(suffix) end
      end
    end
    if not best then return end
    assign(best, best_agent, 'routed', nil, 'queued', best_team)
  end
end

local function drain(suffix) drain_queues({suffix}) end

-- Takes a conversation off its agent: the agent's load drops and its pools are updated
-- (the caller drains afterwards with reroute_agent).
local function release(conversation, agent)
  redis.call('SREM', key.agent_conversations(agent), conversation)
  redis.call('HINCRBY', key.agent(agent), 'load', -1)
end

-- Puts a conversation back in its team's queue at its original place; `from` is its state
-- now. Returns the queue's suffix.
local function requeue(conversation, from)
  local ckey = key.conversation(conversation)
  local c = redis.call('HMGET', ckey, 'team', 'queue_score')
  local suffix = team_suffix(c[1])
  move_conversation(conversation, from, 'queued')
  redis.call('HDEL', ckey, 'agent', 'assigned_at')
  redis.call('ZADD', key.queue(suffix), tonumber(c[2]) or 0, conversation)
  return suffix
end

local function reject(op, why, fields)
  fields.op, fields.error = op, why
  emit('rejected', fields, {'type', 'op', 'conversation_id', 'agent_id', 'actor', 'error', 'timestamp', 'version', 'entry'})
  return outcome('rejected', {error = why})
end

-- The chat widget: online or offline from its mode (manual, or business hours as last
-- computed by a worker into `schedule_open`), and offline while no agent is available
-- when `offline_when_team_away` is on. Stored in `widget`; a change is emitted and
-- broadcast once, here, inside the function that caused it.
local WIDGET_ORDER = {'type', 'state', 'previous', 'reason', 'timestamp', 'version', 'entry'}
local function widget_eval()
  local s = settings()
  local w = redis.call('HMGET', key.widget(), 'state', 'reason', 'schedule_open')
  -- Never configured: the widget is simply online and nothing is stored.
  if not s.widget_mode and not s.widget_manual and not s.offline_when_team_away and not w[1] then return end
  local open, reason
  if s.widget_mode == 'hours' then
    if not w[3] then return end  -- a worker is computing the schedule; it calls back
    open = w[3] == '1'
    reason = open and 'within_hours' or 'outside_hours'
  else
    open = s.widget_manual ~= 'offline'
    reason = open and 'manual_online' or 'manual_offline'
  end
  if open and s.offline_when_team_away and redis.call('SCARD', key.available()) == 0 then
    open, reason = false, 'team_away'
  end
  local state = open and 'online' or 'offline'
  -- Unconfigured means online: becoming explicitly online is no change to announce.
  if state == (w[1] or 'online') then
    if reason ~= w[2] or not w[1] then redis.call('HSET', key.widget(), 'state', state, 'reason', reason) end
    return
  end
  redis.call('HSET', key.widget(), 'state', state, 'reason', reason, 'since', NOW)
  local previous = w[1] or 'online'
  local event = emit('widget', {state = state, previous = previous, reason = reason}, WIDGET_ORDER)
  publish(key.status(), cjson.encode({type = 'widget', workspace = WS, state = state,
    previous = previous, reason = reason, timestamp = event.timestamp, version = event.version}))
end

-- After an agent's state or load changed: pools first, then the queues it may serve.
-- `a`: the agent's routing view when the caller has it already.
local function reroute_agent(agent, old_teams, a)
  a = a or routing_view(agent)
  if sync_pools(agent, a, old_teams) then drain_queues(suffixes(a.teams)) end
end
