// Lua shared by every workspace script: time, entry-id ordering, versioned outcomes.
//
// Conventions of every workspace script:
//   KEYS[1]  the workspace's meta hash `sb:{ws}:meta`; every other key is derived from its
//            prefix `sb:{ws}:` and so shares the workspace's hash tag (one slot).
//   ARGV[1]  workspace id, ARGV[2] intake entry id (the version for last-writer-wins),
//   ARGV[3]  events stream cap; then the script's own arguments from ARGV[4].
// A script returns a JSON outcome: {"outcome": "applied" | "stale" | "rejected",
//   "error": sentence (when rejected), "earliest": ms of the earliest session expiry (when a
//   session was opened or refreshed), "events": [the emitted events]}.

enum LuaPrelude {
    /// Every workspace script: the key prefix and the workspace id. Reads nothing, writes
    /// nothing, so read-only scripts (``WorkspaceSnapshotScript``) start with it too.
    static let workspace = #"""
    local P = string.sub(KEYS[1], 1, -5)
    local WS = ARGV[1]

    """#

    /// Scripts that apply an entry: the workspace, then the clock, the entry id (a direct
    /// call may write `direct_seq`) and the events stream.
    static let source = workspace + #"""
    local EVENTS_MAX = ARGV[3]
    local T = redis.call('TIME')
    local NOW = tonumber(T[1]) * 1000 + math.floor(tonumber(T[2]) / 1000)
    local ENTRY = ARGV[2]
    -- '*': a direct call (benchmarks) ordered as an entry written now.
    if ENTRY == '*' then ENTRY = NOW .. '-' .. redis.call('HINCRBY', P .. 'meta', 'direct_seq', 1) end
    local EMITTED = {}

    local function rfc3339(ms)
      local s = math.floor(ms / 1000)
      local rem = s % 86400
      local z = math.floor(s / 86400) + 719468
      local era = math.floor(z / 146097)
      local doe = z - era * 146097
      local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
      local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
      local mp = math.floor((5 * doy + 2) / 153)
      local d = doy - math.floor((153 * mp + 2) / 5) + 1
      local m = mp < 10 and mp + 3 or mp - 9
      local y = yoe + era * 400 + (m <= 2 and 1 or 0)
      return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d,
        math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60, ms % 1000)
    end

    -- Stream entry ids "ms-seq" order intake entries; true when a is later than b (or b is unset).
    local function newer(a, b)
      if not b or b == '' then return true end
      local am, as = string.match(a, '^(%d+)-(%d+)$')
      local bm, bs = string.match(b, '^(%d+)-(%d+)$')
      am, bm = tonumber(am), tonumber(bm)
      if am ~= bm then return am > bm end
      return tonumber(as) > tonumber(bs)
    end

    local function agent_key(agent) return P .. 'agent:' .. agent end
    local function sessions_key(agent) return P .. 'agent:' .. agent .. ':sessions' end

    -- Appends an outcome to the events stream with the next workspace version.
    local function emit(kind, fields, order)
      fields.type = kind
      fields.workspace = WS
      fields.version = redis.call('HINCRBY', P .. 'meta', 'version', 1)
      fields.timestamp = rfc3339(NOW)
      fields.entry = ENTRY
      local flat = {}
      for _, name in ipairs(order) do
        local value = fields[name]
        if value ~= nil and value ~= false and value ~= cjson.null and value ~= '' then
          flat[#flat + 1] = name
          flat[#flat + 1] = tostring(value)
        end
      end
      redis.call('XADD', P .. 'events', 'MAXLEN', '~', EVENTS_MAX, '*', unpack(flat))
      EMITTED[#EMITTED + 1] = fields
      return fields
    end

    local STATUS_ORDER = {'type', 'agent_id', 'status', 'previous', 'message', 'actor', 'reason', 'timestamp', 'version', 'entry'}

    local function earliest_expiry()
      local first = redis.call('ZRANGE', P .. 'sessions', 0, 0, 'WITHSCORES')
      if #first == 0 then return cjson.null end
      return tonumber(first[2])
    end

    local function outcome(kind, extra)
      local result = extra or {}
      result.outcome = kind
      if #EMITTED > 0 then result.events = EMITTED end
      return cjson.encode(result)
    end

    """#
}
