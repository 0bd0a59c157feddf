// The workspace snapshot: one read-only script, so the state and the `version` it returns
// belong to the same instant (no entry can be applied in between).
import Redis

/// The read-only Lua script behind ``WorkspaceSnapshotReader``.
///
/// It starts with ``LuaPrelude/workspace`` (no clock, no entry id: nothing that could
/// write) and ``RoutingLua/eligibility``, the very text the routing scripts use, so an
/// agent's eligibility here is routing's own verdict. It runs with `EVALSHA_RO`: Redis
/// refuses any write it might attempt.
///
/// `KEYS[1]` the workspace's meta hash; `ARGV[1]` the workspace id; `ARGV[2]` one agent's id,
/// or `""` for every agent. Reply, an array: version, settings hash (flat), widget hash
/// (flat), size of `available`, size of `sessions`, queue depths (flat: `""` for the
/// general queue, then each team, each followed by its depth), agents (each an array: id,
/// agent hash (flat), sessions hash (flat), eligible 1/0, routing standing).
enum WorkspaceSnapshotScript {
    static let script = RedisScript(name: "workspace_snapshot", source: LuaPrelude.workspace + RoutingLua.eligibility + #"""
    local ids = ARGV[2] ~= '' and {ARGV[2]} or redis.call('SMEMBERS', P .. 'agents')
    local agents = {}
    for _, agent in ipairs(ids) do
      local fields = redis.call('HGETALL', P .. 'agent:' .. agent)
      local sessions = redis.call('HGETALL', P .. 'agent:' .. agent .. ':sessions')
      if #fields > 0 or #sessions > 0 then
        local eligible, standing = routing_eligibility(routing_view(agent))
        agents[#agents + 1] = {agent, fields, sessions, eligible and 1 or 0, standing}
      end
    end
    local queues = {'', redis.call('ZCARD', P .. 'queue')}
    for _, team in ipairs(redis.call('SMEMBERS', P .. 'teams')) do
      queues[#queues + 1] = team
      queues[#queues + 1] = redis.call('ZCARD', P .. 'queue:' .. team)
    end
    return {redis.call('HGET', P .. 'meta', 'version') or '0', redis.call('HGETALL', P .. 'settings'),
      redis.call('HGETALL', P .. 'widget'), redis.call('SCARD', P .. 'available'), redis.call('ZCARD', P .. 'sessions'),
      queues, agents}
    """#, readOnly: true)

    static func command(keys: WorkspaceKeys, agent: Identifier?) -> RedisCommand {
        script.command(keys: [keys.meta], arguments: [keys.workspace.rawValue, agent?.rawValue ?? ""])
    }
}
