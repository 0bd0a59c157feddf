-- The call context: what every function sets at its start, and how functions are registered.
--
-- A library's main chunk runs once, at FUNCTION LOAD; its locals live on between calls. So
-- nothing per call may stay from the last one: each function starts with `begin` (or
-- `begin_read`), which sets every value below from its keys and arguments.
--
-- Conventions of every workspace function (called `FCALL <function> 1 <meta key> …`):
--   KEYS[1]  the workspace's meta hash `sb:{ws}:meta`; every other key is derived from its
--            prefix `sb:{ws}:` (keys.lua) and so shares the workspace's hash tag (one slot).
--   KEYS[2]  `sb:{ws}:slot-guard`, a key that never exists and is never touched: declaring it
--            makes Redis Cluster refuse the call (TRYAGAIN) while the slot migrates, so no
--            function runs there half on keys already moved (docs/keys.md).
--   ARGV[1]  workspace id, ARGV[2] intake entry id (the version for last-writer-wins),
--   ARGV[3]  events stream cap; then the function's own arguments from ARGV[4]; the last
--            argument is '1' when the entry asked for a reply (`reply 1`), else '0'.
-- With a reply asked for, a writing function returns a JSON outcome: {"outcome": "applied" |
--   "stale" | "rejected", "error": sentence (when rejected), "earliest": ms of the earliest
--   session expiry (when a session was opened, or for any login/heartbeat), "events": [the
--   emitted events]}. Otherwise it returns the compact form only the worker reads: an array
--   of the outcome, then name/value pairs of the same fields (events left out; `assigned`:
--   how many conversations it assigned), so the common case encodes and parses no JSON.

-- `LIBRARY` (the library's versioned name) is declared by the assembler, above this file.
local P, WS          -- the workspace's key prefix `sb:{ws}:` and its id
local EVENTS_MAX     -- the events stream's cap
local NOW            -- Redis's clock, ms
local ENTRY          -- the intake entry id being applied ('' for a sweep or schedule)
local REPLY          -- whether the outcome is for a reply (JSON) or for the worker (compact)
local EMITTED        -- the events this call emitted, for its outcome
local SETTINGS       -- the workspace's settings, read once per call (settings())

-- Every workspace function: the key prefix and the workspace id. Reads nothing, writes
-- nothing, so the read-only functions start with it alone.
local function begin_read(KEYS, ARGV)
  P = string.sub(KEYS[1], 1, -5)
  WS = ARGV[1]
  SETTINGS = nil
end

-- Functions that apply an entry: the workspace, then the clock, the entry id (a direct call
-- may write `direct_seq`) and the events stream.
local function begin(KEYS, ARGV)
  begin_read(KEYS, ARGV)
  EVENTS_MAX = ARGV[3]
  local T = redis.call('TIME')
  NOW = tonumber(T[1]) * 1000 + math.floor(tonumber(T[2]) / 1000)
  ENTRY = ARGV[2]
  REPLY = ARGV[#ARGV] == '1'
  -- '*': a direct call (benchmarks) ordered as an entry written now.
  if ENTRY == '*' then ENTRY = NOW .. '-' .. redis.call('HINCRBY', KEYS[1], 'direct_seq', 1) end
  EMITTED = {}
end

-- Registers `callback` as `<LIBRARY>_<name>`: function names are global in Redis, so each
-- carries the library's version. `read_only` functions run with FCALL_RO.
local function register(name, callback, read_only)
  redis.register_function{function_name = LIBRARY .. '_' .. name, callback = callback,
    flags = read_only and {'no-writes'} or {}}
end
