-- Time, entry-id ordering, events and outcomes: what every function that applies an entry uses.

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

-- Appends an outcome to the events stream with the next workspace version.
local function emit(kind, fields, order)
  fields.type = kind
  fields.workspace = WS
  fields.version = redis.call('HINCRBY', key.meta(), 'version', 1)
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
  redis.call('XADD', key.events(), 'MAXLEN', '~', EVENTS_MAX, '*', unpack(flat))
  EMITTED[#EMITTED + 1] = fields
  return fields
end

-- Whether broadcasts go out as sharded Pub/Sub: on a Redis Cluster a plain PUBLISH is copied
-- to every node of the cluster, SPUBLISH stays on the shard that owns the workspace's slot
-- (its channels share the workspace's hash tag), where subscribers listen with SSUBSCRIBE.
-- Asked once per library load, on the first broadcast (the main chunk may not call Redis):
-- CLUSTER MYID answers on a cluster node and fails with "cluster support disabled" on a
-- single Redis. Any other refusal (an ACL without cluster|myid) publishes with PUBLISH, which
-- only plain SUBSCRIBE listeners hear on a cluster, and asks again next time, so that
-- granting the command puts it right without a reload.
local SHARDED_PUBSUB
local function publish(channel, payload)
  if SHARDED_PUBSUB == nil then
    local reply = redis.pcall('CLUSTER', 'MYID')
    if type(reply) == 'string' then
      SHARDED_PUBSUB = true
    elseif string.find(reply.err or '', 'cluster support disabled', 1, true) then
      SHARDED_PUBSUB = false
    end
  end
  if SHARDED_PUBSUB then
    redis.call('SPUBLISH', channel, payload)
  else
    redis.call('PUBLISH', channel, payload)
  end
end

local STATUS_ORDER = {'type', 'agent_id', 'status', 'previous', 'message', 'actor', 'reason', 'timestamp', 'version', 'entry'}

local function earliest_expiry()
  local first = redis.call('ZRANGE', key.sessions(), 0, 0, 'WITHSCORES')
  if #first == 0 then return cjson.null end
  return tonumber(first[2])
end

local function outcome(kind, extra)
  -- One wake-up per call that emitted events, for the gateways following the workspace:
  -- "the events stream holds entries up to this version" (they read the stream itself).
  if #EMITTED > 0 then publish(key.feed(), tostring(EMITTED[#EMITTED].version)) end
  local result = extra or {}
  if REPLY then
    result.outcome = kind
    if #EMITTED > 0 then result.events = EMITTED end
    return cjson.encode(result)
  end
  local compact = {kind}
  for name, value in pairs(result) do
    if value ~= nil and value ~= false and value ~= cjson.null then
      compact[#compact + 1] = name
      compact[#compact + 1] = value == true and 1 or value
    end
  end
  local assigned = 0
  for _, event in ipairs(EMITTED) do if event.type == 'assigned' then assigned = assigned + 1 end end
  if assigned > 0 then compact[#compact + 1] = 'assigned'; compact[#compact + 1] = assigned end
  return compact
end
