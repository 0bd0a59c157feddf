// Claims the workspaces whose earliest session expiry has come, so that one worker sweeps
// each. A single-key script on the global schedule `sb:sweep`.
import Redis

enum SweepClaimScript {
    static let script = RedisScript(name: "sweep_claim", source: #"""
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
    if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
    return due
    """#)

    static func command(keys: KeySchema, limit: Int) -> RedisCommand {
        script.command(keys: [keys.sweepSchedule], arguments: [limit])
    }
}
