-- Yardstick: the least Redis work of routing one new conversation to a free agent, run by
-- redis-benchmark (EVALSHA, -P 16) next to Switchboard's conversation.new. Seven calls:
-- pick the pool head, assign (write the conversation), count (the agent's load, and its
-- new place in the pool: without it the head would never move), bump the workspace
-- version, append the event, publish.
--
-- KEYS[1]  x:{<ws>}:conversation:<id>   the new conversation (redis-benchmark puts a random id in it)
-- KEYS[2]  x:{<ws>}:pool                the free agents, least loaded first
-- KEYS[3]  x:{<ws>}:meta                the workspace's version counter
-- KEYS[4]  x:{<ws>}:events              the events stream
-- ARGV[1]  x:{<ws>}:assignments         the assignments channel
-- ARGV[2]  x:{<ws>}:agent:              the prefix of agent hashes
-- ARGV[3]  the assignment's time (ms)
local conversation = string.match(KEYS[1], ':conversation:(.+)$')
local agent = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if not agent then return redis.error_reply('the pool is empty: fill it before running this yardstick') end
redis.call('HSET', KEYS[1], 'state', 'assigned', 'agent', agent, 'assigned_at', ARGV[3])
local load = redis.call('HINCRBY', ARGV[2] .. agent, 'load', 1)
redis.call('ZADD', KEYS[2], load, agent)
local version = redis.call('HINCRBY', KEYS[3], 'version', 1)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', '100000', '*', 'type', 'assigned', 'conversation_id', conversation,
           'agent_id', agent, 'reason', 'routed', 'timestamp', ARGV[3], 'version', version)
redis.call('PUBLISH', ARGV[1], cjson.encode({type = 'assigned', conversation_id = conversation, agent_id = agent,
                                             reason = 'routed', timestamp = ARGV[3], version = version}))
return version
