-- Yardstick: the least Redis work of one agent status change, run by redis-benchmark
-- (EVALSHA, -P 16) next to Switchboard's agent.status. Five calls: read the old status,
-- write the agent hash, bump the workspace version, publish, append the event.
-- It toggles between away and busy, so every call is a real change with a previous status.
--
-- KEYS[1]  x:{<ws>}:agent:<id>   the agent hash (redis-benchmark puts a random id in it)
-- KEYS[2]  x:{<ws>}:meta         the workspace's version counter
-- KEYS[3]  x:{<ws>}:events       the events stream
-- ARGV[1]  x:{<ws>}:status       the status channel
-- ARGV[2]  the change's time (ms)
local agent = string.match(KEYS[1], ':agent:(.+)$')
local previous = redis.call('HGET', KEYS[1], 'status') or 'offline'
local status = (previous == 'away') and 'busy' or 'away'
redis.call('HSET', KEYS[1], 'status', status, 'since', ARGV[2], 'status_reason', 'manual')
local version = redis.call('HINCRBY', KEYS[2], 'version', 1)
redis.call('PUBLISH', ARGV[1], cjson.encode({type = 'status', agent_id = agent, status = status, previous = previous,
                                             reason = 'manual', timestamp = ARGV[2], version = version}))
redis.call('XADD', KEYS[3], 'MAXLEN', '~', '100000', '*', 'type', 'status', 'agent_id', agent, 'status', status,
           'previous', previous, 'reason', 'manual', 'timestamp', ARGV[2], 'version', version)
return version
