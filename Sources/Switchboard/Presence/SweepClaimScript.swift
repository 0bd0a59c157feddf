// Claims the workspaces whose earliest session expiry has come, so that one worker sweeps
// each: Lua/functions/sweep_claim.lua, on the global schedule `sb:sweep`.
import Redis

enum SweepClaimScript {
    static let function = SwitchboardLibrary.library.function("sweep_claim")

    static func command(keys: KeySchema, limit: Int) -> RedisCommand {
        function.command(keys: [keys.sweepSchedule], arguments: [limit])
    }
}
