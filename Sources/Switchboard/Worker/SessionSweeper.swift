// Expires sessions whose heartbeats stopped. Any worker may sweep, all at once: the claim
// script hands each due workspace to one of them, and the expiry script is atomic anyway.
import Logging
import Redis

/// Finds workspaces with sessions past their expiry and expires them.
struct SessionSweeper {
    let configuration: WorkerConfiguration
    let logger: Logger
    /// Workspaces handled per sweep.
    var claimLimit = 100
    /// Sessions expired per workspace per sweep (more are left for the next sweep).
    var expiryLimit = 1000

    private var keys: KeySchema { configuration.keys }

    /// Runs one sweep; returns the number of sessions expired.
    func sweep(on connection: RedisConnection) throws -> Int {
        let due = try connection.evaluate(SweepClaimScript.script, command: SweepClaimScript.command(keys: keys, limit: claimLimit))
        let workspaces = (due.array ?? []).compactMap { $0.string.flatMap(Identifier.init) }
        guard !workspaces.isEmpty else { return 0 }

        let calls = workspaces.map { SessionExpiryScript.call(keys: keys.workspace($0), eventsCap: configuration.eventsCap, limit: expiryLimit, replay: ReplayLimits()) }
        let replies = try connection.evaluatePipelined(calls.map { ($0.script, $0.command) })
        var reschedule: [RedisCommand] = []
        var expired = 0
        for (workspace, reply) in zip(workspaces, replies) {
            do {
                let outcome = try ScriptOutcome(reply: try reply.orThrow())
                expired += outcome.expired
                if outcome.expired > 0 {
                    logger.info("sessions expired", metadata: ["workspace": workspace.rawValue, "sessions": String(outcome.expired)])
                }
                if outcome.more {
                    reschedule.append(RedisCommand("ZADD", keys.sweepSchedule, "LT", 0, workspace.rawValue))
                } else if let earliest = outcome.earliestExpiry {
                    reschedule.append(RedisCommand("ZADD", keys.sweepSchedule, "LT", Int(earliest), workspace.rawValue))
                }
            } catch {
                // Put it back so the next sweep tries again rather than forgetting its sessions.
                logger.error("session expiry failed", metadata: ["workspace": workspace.rawValue, "error": "\(error)"])
                reschedule.append(RedisCommand("ZADD", keys.sweepSchedule, "LT", 0, workspace.rawValue))
            }
        }
        if !reschedule.isEmpty { _ = try connection.pipeline(reschedule) }
        return expired
    }
}
