// Claims the workspaces whose earliest session expiry has come, so that one worker sweeps
// each: Lua/functions/sweep_claim.lua, on a global schedule `sb:sweep` (`sb:sweep:<n>` per
// intake shard).
import Redis

enum SweepClaimScript {
    static let function = SwitchboardLibrary.library.function("sweep_claim")

    static func command(schedule: String, limit: Int) -> RedisCommand {
        function.command(keys: [schedule], arguments: [limit])
    }
}
