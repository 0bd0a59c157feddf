-- Yardstick: the least Redis work of a heartbeat that extends a live session, run by
-- redis-benchmark (EVALSHA, -P 16) next to Switchboard's agent.heartbeat. Two calls:
-- write the session's expiry, update the workspace's sessions index.
--
-- KEYS[1]  x:{<ws>}:agent:<id>:sessions   the agent's sessions (redis-benchmark puts a random id in it)
-- KEYS[2]  x:{<ws>}:sessions              the workspace's sessions index
-- ARGV[1]  the session id
-- ARGV[2]  the new expiry (ms)
local agent = string.match(KEYS[1], ':agent:(.+):sessions$')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], agent .. '/' .. ARGV[1])
return 1
