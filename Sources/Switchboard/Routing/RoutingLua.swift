// Routing in Lua, shared by every script that can create or free capacity: queues of
// waiting conversations, pools of agents with room, and assignment.
//
// Keys (all under the workspace's hash tag; `<s>` is empty for the general queue and
// `:<team>` for a team):
//   queue<s>   sorted set, conversation → -priority·2^40 + arrival number (lowest first)
//   pool<s>    sorted set, Online agents in the routing pool, with a live session and room
//   busy<s>    sorted set, the same for Busy agents (used only with busy_fallback)
//              score: round robin = number of the agent's last assignment (longest ago
//              first); least loaded = open conversations·2^40 + that number
//   conversation:<id>  hash: state (queued, assigned, closed), team, priority, agent, times
//   agent:<id>:conversations  set of the agent's open conversations
//   settings   hash: routing, busy_fallback, default_capacity, ai_chat
//   teams      set of every team seen, so a settings change can drain every queue
// Picking an agent is ZRANGE 0 0 on a sorted set: O(log n) whatever the team size.

enum RoutingLua {
    /// Who routing may pick: the workspace's settings, an agent's routing view and the rule
    /// (`routing_place`). Reads only, so the read-only snapshot script
    /// (``WorkspaceSnapshotScript``) includes this very text and judges eligibility exactly
    /// as routing does.
    static let eligibility = #"""
    local SETTINGS
    local function settings()
      if not SETTINGS then
        local v = redis.call('HMGET', P .. 'settings', 'routing', 'busy_fallback', 'default_capacity', 'ai_chat',
          'widget_mode', 'widget_manual', 'offline_when_team_away')
        SETTINGS = {routing = v[1] or '\#(WorkspaceSettingsDefaults.routing.rawValue)', busy_fallback = v[2] == 'true',
          default_capacity = tonumber(v[3] or '\#(WorkspaceSettingsDefaults.defaultCapacity)'), ai_chat = v[4] == 'true',
          widget_mode = v[5] or nil, widget_manual = v[6] or nil, offline_when_team_away = v[7] == 'true'}
      end
      return SETTINGS
    end

    -- '' for the general queue, then ':<team>' for each team of a comma list.
    local function suffixes(teams)
      local list = {''}
      if teams and teams ~= '' then
        for team in string.gmatch(teams, '[^,]+') do list[#list + 1] = ':' .. team end
      end
      return list
    end

    -- What routing needs of an agent, read from its stored keys.
    local function routing_view(agent)
      local v = redis.call('HMGET', P .. 'agent:' .. agent, 'status', 'routable', 'capacity', 'teams', 'load', 'assigned_seq')
      return {status = v[1] or 'offline', routable = v[2], capacity = v[3], teams = v[4] or '',
        load = tonumber(v[5]) or 0, assigned_seq = tonumber(v[6]) or 0,
        has_session = redis.call('EXISTS', P .. 'agent:' .. agent .. ':sessions') == 1}
    end

    -- 'pool' (Online, in the routing pool, a live session, room), 'busy' (the same but Busy),
    -- or nil and why not: 'status' (Away, DND, Offline), 'no_session', 'not_in_pool'
    -- (`routable` 0), 'full' (load at capacity).
    local function routing_place(a)
      if a.status ~= 'online' and a.status ~= 'busy' then return nil, 'status' end
      if not a.has_session then return nil, 'no_session' end
      if a.routable ~= '1' then return nil, 'not_in_pool' end
      if a.load >= (tonumber(a.capacity) or settings().default_capacity) then return nil, 'full' end
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

    """#

    /// Everything else routing does: pools, assignment, queues, the widget. Writes; only
    /// for scripts that start with ``LuaPrelude/source``.
    static let source = eligibility + #"""

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
            redis.call('ZADD', P .. kind .. s, score, agent)
          else
            redis.call('ZREM', P .. kind .. s, agent)
          end
        end
      end
      for team in string.gmatch(a.teams, '[^,]+') do redis.call('SADD', P .. 'teams', team) end
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
        if full then redis.call('ZREM', P .. kind .. s, agent) else redis.call('ZADD', P .. kind .. s, score, agent) end
      end
    end

    -- Gives a conversation to an agent: one step, with the agent's load and pools updated.
    -- `team` may be passed when the caller knows it; `queued` false when the conversation
    -- never entered its queue.
    local function assign(conversation, agent, reason, actor, team, queued)
      local ckey = P .. 'conversation:' .. conversation
      team = team or redis.call('HGET', ckey, 'team') or ''
      if queued ~= false then redis.call('ZREM', P .. 'queue' .. (team ~= '' and (':' .. team) or ''), conversation) end
      redis.call('HSET', ckey, 'state', 'assigned', 'agent', agent, 'assigned_at', NOW)
      redis.call('SADD', P .. 'agent:' .. agent .. ':conversations', conversation)
      local a = routing_view(agent)
      a.load = a.load + 1
      a.assigned_seq = redis.call('HINCRBY', P .. 'meta', 'assign_seq', 1)
      redis.call('HSET', P .. 'agent:' .. agent, 'load', a.load, 'assigned_seq', a.assigned_seq)
      sync_load(agent, a)
      local event = emit('assigned', {conversation_id = conversation, agent_id = agent, team = team,
        agent_status = a.status, reason = reason, actor = actor}, ASSIGNED_ORDER)
      redis.call('PUBLISH', P .. 'assignments', cjson.encode(event))
    end

    -- The agent that would take the head of a queue now, or nil.
    local function candidate(suffix)
      local pick = redis.call('ZRANGE', P .. 'pool' .. suffix, 0, 0)
      if #pick == 0 and settings().busy_fallback then pick = redis.call('ZRANGE', P .. 'busy' .. suffix, 0, 0) end
      return pick[1]
    end

    -- Assigns queued conversations while agents have room: the queues drain by themselves.
    -- Across several queues the best head goes first (priority, then arrival: queue scores
    -- are comparable because arrival numbers are per workspace).
    local function drain_queues(list)
      while true do
        local best, best_score, best_agent, best_team
        for _, suffix in ipairs(list) do
          local head = redis.call('ZRANGE', P .. 'queue' .. suffix, 0, 0, 'WITHSCORES')
          if #head > 0 and (not best or tonumber(head[2]) < best_score) then
            local agent = candidate(suffix)
            if agent then best, best_score, best_agent, best_team = head[1], tonumber(head[2]), agent, string.sub(suffix, 2) end
          end
        end
        if not best then return end
        assign(best, best_agent, 'routed', nil, best_team)
      end
    end

    local function drain(suffix) drain_queues({suffix}) end

    -- Takes a conversation off its agent: the agent's load drops and its pools are updated
    -- (the caller drains afterwards with reroute_agent).
    local function release(conversation, agent)
      redis.call('SREM', P .. 'agent:' .. agent .. ':conversations', conversation)
      redis.call('HINCRBY', P .. 'agent:' .. agent, 'load', -1)
    end

    -- Puts a conversation back in its team's queue at its original place.
    local function requeue(conversation)
      local ckey = P .. 'conversation:' .. conversation
      local c = redis.call('HMGET', ckey, 'team', 'queue_score')
      local team = c[1] or ''
      redis.call('HSET', ckey, 'state', 'queued')
      redis.call('HDEL', ckey, 'agent', 'assigned_at')
      redis.call('ZADD', P .. 'queue' .. (team ~= '' and (':' .. team) or ''), tonumber(c[2]) or 0, conversation)
      return team ~= '' and (':' .. team) or ''
    end

    -- nil when the actor may act for others (supervisor, admin, owner), else the sentence why not.
    local function refuse_unless_supervisor(actor, what)
      local role = redis.call('HGET', P .. 'agent:' .. actor, 'role') or 'agent'
      if role == 'supervisor' or role == 'admin' or role == 'owner' then return nil end
      return string.format("Actor '%s' has role '%s' and may not %s: only a supervisor, admin or owner may.", actor, role, what)
    end

    local function reject(op, why, fields)
      fields.op, fields.error = op, why
      emit('rejected', fields, {'type', 'op', 'conversation_id', 'agent_id', 'actor', 'error', 'timestamp', 'version', 'entry'})
      return outcome('rejected', {error = why})
    end

    -- The chat widget: online or offline from its mode (manual, or business hours as last
    -- computed by a worker into `schedule_open`), and offline while no agent is available
    -- when `offline_when_team_away` is on. Stored in `widget`; a change is emitted and
    -- broadcast once, here, inside the script that caused it.
    local WIDGET_ORDER = {'type', 'state', 'previous', 'reason', 'timestamp', 'version', 'entry'}
    local function widget_eval()
      local s = settings()
      local w = redis.call('HMGET', P .. 'widget', 'state', 'reason', 'schedule_open')
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
      if open and s.offline_when_team_away and redis.call('SCARD', P .. 'available') == 0 then
        open, reason = false, 'team_away'
      end
      local state = open and 'online' or 'offline'
      -- Unconfigured means online: becoming explicitly online is no change to announce.
      if state == (w[1] or 'online') then
        if reason ~= w[2] or not w[1] then redis.call('HSET', P .. 'widget', 'state', state, 'reason', reason) end
        return
      end
      redis.call('HSET', P .. 'widget', 'state', state, 'reason', reason, 'since', NOW)
      local previous = w[1] or 'online'
      local event = emit('widget', {state = state, previous = previous, reason = reason}, WIDGET_ORDER)
      redis.call('PUBLISH', P .. 'status', cjson.encode({type = 'widget', workspace = WS, state = state,
        previous = previous, reason = reason, timestamp = event.timestamp, version = event.version}))
    end

    -- After an agent's state or load changed: pools first, then the queues it may serve.
    local function reroute_agent(agent, old_teams)
      local a = routing_view(agent)
      if sync_pools(agent, a, old_teams) then drain_queues(suffixes(a.teams)) end
    end

    """#
}
