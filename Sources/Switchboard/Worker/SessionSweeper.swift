// Expires sessions whose heartbeats stopped. Any worker may sweep, all at once: the claim
// script hands each due workspace to one of them, and the expiry script is atomic anyway.
import Foundation
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

    /// The schedules a workspace belongs in (its intake shard's).
    private func schedules(of workspace: Identifier) -> ShardSchedules {
        keys.schedules(forWorkspace: workspace.rawValue, shards: configuration.intakeShards)
    }

    /// The time (ms) of the oldest entry still in the intake, over every shard (applied
    /// entries are deleted), or `Int64.max` when it is empty: sessions may only be expired
    /// up to there.
    private func oldestUnappliedEntryTime(on connection: RedisConnection) throws -> Int64 {
        let heads = try connection.pipeline(configuration.intakeStreams.map { RedisCommand("XRANGE", $0, "-", "+", "COUNT", 1) })
        return try heads.reduce(Int64.max) { oldest, reply in
            guard let id = try reply.orThrow().array?.first?.array?.first?.string, let ms = Int64(id.prefix { $0 != "-" }) else { return oldest }
            return min(oldest, ms)
        }
    }

    /// The slow safety net: re-schedules every workspace that has sessions from its own
    /// sessions set. A worker killed between a script and its `ZADD` to the schedule, or
    /// between claiming a workspace and re-scheduling it, would otherwise leave sessions
    /// that nobody expires. One worker per interval does it (a lease key decides which).
    func safetySweep(on connection: RedisConnection, interval: Duration) throws -> Int {
        let lease = RedisCommand("SET", keys.safetySweepLease, configuration.name, "NX", "PX", max(1, interval.wholeMilliseconds))
        guard try connection.send(lease) == .status("OK") else { return 0 }
        var scheduled = 0
        for shard in keys.schedules(shards: configuration.intakeShards) {
            var cursor = "0"
            repeat {
                let page = try connection.send(RedisCommand("SSCAN", shard.workspaces, cursor, "COUNT", 500)).array ?? []
                cursor = page.first?.string ?? "0"
                let workspaces = (page.last?.array ?? []).compactMap { $0.string.flatMap(Identifier.init) }
                let earliest = try connection.pipeline(workspaces.map { RedisCommand("ZRANGE", keys.workspace($0).sessions, 0, 0, "WITHSCORES") })
                var commands: [RedisCommand] = []
                for (workspace, reply) in zip(workspaces, earliest) {
                    // Workspaces without sessions stay in the set: removing one could race a login.
                    if let score = reply.array?.last?.int {
                        commands.append(RedisCommand("ZADD", shard.sweep, "LT", score, workspace.rawValue))
                    }
                }
                scheduled += try connection.pipeline(commands).count
                try rescheduleWidgets(of: workspaces, in: shard.widgets, on: connection)
            } while cursor != "0"
        }
        return scheduled
    }

    /// The same net for the widgets' business hours: a workspace in hours mode that is off
    /// the widget schedule (a worker died between a settings change and asking for the
    /// computation) is put back on it, due now.
    private func rescheduleWidgets(of workspaces: [Identifier], in schedule: String, on connection: RedisConnection) throws {
        let replies = try connection.pipeline(workspaces.flatMap {
            [RedisCommand("HGET", keys.workspace($0).settings, "widget_mode"), RedisCommand("ZSCORE", schedule, $0.rawValue)]
        })
        let now = configuration.widgetClockMilliseconds
        let missing = workspaces.indices.filter { replies[2 * $0].string == "hours" && replies[2 * $0 + 1].isNull }
        _ = try connection.pipeline(missing.map { RedisCommand("ZADD", schedule, "NX", now, workspaces[$0].rawValue) })
    }

    /// Runs one sweep over every shard's schedule; returns the number of sessions expired.
    func sweep(on connection: RedisConnection) throws -> Int {
        let claims = try connection.callPipelined(keys.schedulesClaimed(shards: configuration.intakeShards).map {
            (SweepClaimScript.function, SweepClaimScript.command(schedule: $0.sweep, limit: claimLimit))
        })
        // A claim removed its members from its schedule: sweep what every claim that worked
        // returned, and only then report one that failed.
        let claimFailure = claims.lazy.compactMap(\.serverError).first
        let workspaces = claims.flatMap { $0.array ?? [] }.compactMap { $0.string.flatMap(Identifier.init) }
        guard !workspaces.isEmpty else {
            if let claimFailure { throw claimFailure }
            return 0
        }

        let cutoff = try oldestUnappliedEntryTime(on: connection) - 1
        let calls = workspaces.map {
            SessionExpiryScript.call(keys: keys.workspace($0), eventsCap: configuration.eventsCap, limit: expiryLimit,
                                     replay: ReplayLimits(), cutoffMilliseconds: cutoff)
        }
        let replies = try connection.callPipelined(calls.map { ($0.function, $0.command) })
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
                    reschedule.append(RedisCommand("ZADD", schedules(of: workspace).sweep, "LT", 0, workspace.rawValue))
                } else if let earliest = outcome.earliestExpiry {
                    reschedule.append(RedisCommand("ZADD", schedules(of: workspace).sweep, "LT", Int(earliest), workspace.rawValue))
                }
            } catch {
                // Put it back so the next sweep tries again rather than forgetting its sessions.
                logger.error("session expiry failed", metadata: ["workspace": workspace.rawValue, "error": "\(error)"])
                reschedule.append(RedisCommand("ZADD", schedules(of: workspace).sweep, "LT", 0, workspace.rawValue))
            }
        }
        if !reschedule.isEmpty { _ = try connection.pipeline(reschedule) }
        if let claimFailure { throw claimFailure }
        return expired
    }
}
