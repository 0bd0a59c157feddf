import Foundation
import Redis
import Testing
import TestSupport
@testable import Switchboard

/// The widget's scripts straight against Redis: the races a review found.
@Suite("Widget scripts")
struct WidgetScriptTests {
    /// A worker that claimed a workspace must not overwrite a newer "compute now" that a
    /// settings change wrote meanwhile.
    @Test func aRescheduleYieldsToASettingsChangeMadeMeanwhile() throws {
        let connection = try TestRedis.connection()
        let keys = KeySchema(prefix: "wsched" + TestRedis.uniquePrefix().dropFirst(2).dropLast())
        let workspace = Identifier("w")!
        try connection.send(RedisCommand("ZADD", keys.widgetSchedule, 1_000, "w"))
        let claim = WidgetClaimScript.command(schedule: keys.widgetSchedule, now: 2_000, lease: .seconds(10), limit: 10)
        #expect(try connection.call(WidgetClaimScript.function, command: claim).array?.compactMap(\.string) == ["w"])
        // Meanwhile a settings change asks for a computation now.
        try connection.send(RedisCommand("ZADD", keys.widgetSchedule, 2_500, "w"))
        let late = WidgetRescheduleScript.command(schedule: keys.widgetSchedule, workspace: workspace, claimed: 12_000, next: 99_000)
        #expect(try connection.call(WidgetRescheduleScript.function, command: late).int == 0)
        #expect(try connection.send(RedisCommand("ZSCORE", keys.widgetSchedule, "w")).string == "2500")
        // Without one, the claimant moves it to its next boundary.
        try connection.send(RedisCommand("ZADD", keys.widgetSchedule, 12_000, "w"))
        #expect(try connection.call(WidgetRescheduleScript.function, command: late).int == 1)
        #expect(try connection.send(RedisCommand("ZSCORE", keys.widgetSchedule, "w")).string == "99000")
        try connection.send(RedisCommand("DEL", keys.widgetSchedule))
    }

    /// A redelivered hours change whose computation request was lost asks again.
    @Test func aRedeliveredHoursChangeAsksForTheScheduleAgain() throws {
        let connection = try TestRedis.connection()
        let keys = KeySchema(prefix: "wstale" + TestRedis.uniquePrefix().dropFirst(2).dropLast())
        var change = WorkspaceSettingsChange()
        change.widgetMode = .hours
        change.widgetHours = "mon-fri 09:00-17:00"
        let call = SettingsUpdateScript.call(keys: keys.workspace(Identifier("w")!), entryID: "5-0", eventsCap: 100, change: change)
        let first = try ScriptOutcome(reply: connection.call(call.function, command: call.command))
        #expect(first.kind == .applied && first.widgetSchedule)
        let again = try ScriptOutcome(reply: connection.call(call.function, command: call.command))
        #expect(again.kind == .stale && again.widgetSchedule, "nobody computed the schedule yet: ask again")
        try connection.send(RedisCommand("HSET", keys.workspace(Identifier("w")!).widget, "schedule_open", "1"))
        let computed = try ScriptOutcome(reply: connection.call(call.function, command: call.command))
        #expect(computed.kind == .stale && !computed.widgetSchedule)
        let leftovers = try connection.send(RedisCommand("KEYS", "\(keys.prefix):*")).array ?? []
        if !leftovers.isEmpty { try connection.send(RedisCommand("DEL", arguments: leftovers.compactMap(\.string))) }
    }
}
