// Fires the widgets' business-hours boundaries on time without polling every workspace:
// `sb:widget-schedule` (`sb:widget-schedule:<n>` per intake shard) holds each workspace's next
// boundary; every worker looks at the heads a few times a second (every shard's in one round
// trip), and the claim script gives each due workspace to one of them.
import Foundation
import Logging
import Redis

struct WidgetScheduler {
    let configuration: WorkerConfiguration
    let logger: Logger
    /// How long a claimed workspace is left to its claimant before another worker retries.
    var lease: Duration = .seconds(10)
    var claimLimit = 100

    private var keys: KeySchema { configuration.keys }

    /// Computes and stores the schedule of every due workspace; returns how many it handled.
    func run(on connection: RedisConnection) throws -> Int {
        let now = configuration.widgetClock
        let nowMilliseconds = Int(now.timeIntervalSince1970 * 1000)
        let schedules = keys.schedulesClaimed(shards: configuration.intakeShards).map(\.widgets)
        let claims = try connection.callPipelined(schedules.map {
            (WidgetClaimScript.function, WidgetClaimScript.command(schedule: $0, now: nowMilliseconds, lease: lease, limit: claimLimit))
        })
        // Each due workspace with the schedule it was claimed from, where its lease is (and so
        // where it is rescheduled: another key holds no lease to match). Claims that worked
        // are handled before one that failed is reported.
        let due = zip(schedules, claims).flatMap { schedule, claim in
            (claim.array ?? []).compactMap { $0.string.flatMap(Identifier.init) }.map { (workspace: $0, schedule: schedule) }
        }
        let claimed = nowMilliseconds + lease.wholeMilliseconds
        for item in due { try update(item.workspace, schedule: item.schedule, at: now, claimed: claimed, on: connection) }
        if let failure = claims.lazy.compactMap(\.serverError).first { throw failure }
        return due.count
    }

    /// Sets the workspace's next time on the schedule, unless it was re-scheduled meanwhile.
    private func reschedule(_ workspace: Identifier, schedule: String, claimed: Int, next: Int?, on connection: RedisConnection) throws {
        let command = WidgetRescheduleScript.command(schedule: schedule, workspace: workspace, claimed: claimed, next: next)
        _ = try connection.call(WidgetRescheduleScript.function, command: command)
    }

    private func update(_ workspace: Identifier, schedule scheduleKey: String, at now: Date, claimed: Int, on connection: RedisConnection) throws {
        let ws = keys.workspace(workspace)
        let read = try connection.pipeline([
            RedisCommand("HMGET", ws.settings, "widget_mode", "widget_hours", "widget_timezone", "widget_exceptions"),
            RedisCommand("HGET", ws.meta, "widget_settings_version"),
        ])
        let settings = (read[0].array ?? []).map { $0.string }
        let version = read[1].string ?? "0"
        guard settings.first == "hours" else {
            try reschedule(workspace, schedule: scheduleKey, claimed: claimed, next: nil, on: connection)  // manual: nothing to fire
            return
        }
        let schedule: WidgetSchedule
        do {
            schedule = try WidgetSchedule(hours: settings[1] ?? "", timeZone: settings[2] ?? "", exceptions: settings[3] ?? "")
        } catch {
            // Each field was valid when set; this cannot happen unless keys were edited by hand.
            logger.error("widget schedule unreadable; widget left as it is", metadata: ["workspace": workspace.rawValue, "error": error.message])
            try reschedule(workspace, schedule: scheduleKey, claimed: claimed, next: nil, on: connection)
            return
        }
        let next = schedule.nextChange(after: now).map { Int(($0.timeIntervalSince1970 * 1000).rounded(.up)) }
        let call = WidgetScheduleScript.call(keys: ws, eventsCap: configuration.eventsCap, open: schedule.isOpen(at: now),
                                             nextChange: next, settingsVersion: version)
        let outcome = try ScriptOutcome(reply: connection.call(call.function, command: call.command))
        // Stale: the settings changed meanwhile; compute again at once.
        try reschedule(workspace, schedule: scheduleKey, claimed: claimed, next: outcome.kind == .stale ? Int(now.timeIntervalSince1970 * 1000) : next, on: connection)
    }
}
