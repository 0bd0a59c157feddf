import Foundation
import Redis
import Testing
import TestSupport

/// The chat widget's online/offline state: manual, business hours (on time, DST-exact, with
/// holidays), "offline when the team is away", one event per change with several workers.
@Suite("Widget status")
struct WidgetTests {
    static func widgetEvents(_ harness: PresenceHarness) throws -> [[String: String]] {
        try harness.events().filter { $0["type"] == "widget" }
    }

    /// Polls the events log until `accept` holds (deadline-bounded: waits on the workers).
    static func awaitEvents(_ harness: PresenceHarness, within limit: Duration = .seconds(25),
                            until accept: ([[String: String]]) -> Bool) throws -> [[String: String]] {
        let deadline = ContinuousClock.now + limit
        var events = try widgetEvents(harness)
        while !accept(events), ContinuousClock.now < deadline {
            usleep(50_000)
            events = try widgetEvents(harness)
        }
        return events
    }

    static func widget(_ harness: PresenceHarness) throws -> [String: String] {
        try harness.connection.send(RedisCommand("HGETALL", harness.key("widget"))).stringPairs ?? [:]
    }

    static func milliseconds(_ text: String) -> String {
        String(Int64(ISO8601DateFormatter().date(from: text)!.timeIntervalSince1970 * 1000))
    }

    @Test func aBusinessHoursBoundaryFiresOnceWhileThreeWorkersRace() throws {
        // Monday 2026-03-30, 08:59:54 in Berlin (CEST): opening is 6 s ahead on the workers' clock.
        let harness = try PresenceHarness(workers: 3, workerArguments: ["--widget-clock-start", "2026-03-30T06:59:54Z"])
        let (subscriber, broadcasts) = try harness.subscribe()
        defer { subscriber.stop() }
        try harness.apply([("op", "workspace.settings"), ("widget_mode", "hours"), ("widget_timezone", "Europe/Berlin"),
                           ("widget_hours", "mon-fri 09:00-17:00")])
        let events = try Self.awaitEvents(harness) { $0.contains { $0["state"] == "online" } }
        #expect(events.map { $0["state"] ?? "" } == ["offline", "online"], "\(events)")
        #expect(events.map { $0["reason"] ?? "" } == ["outside_hours", "within_hours"])
        #expect(try Self.widget(harness)["schedule_next"] == Self.milliseconds("2026-03-30T15:00:00Z"), "closing at 17:00 CEST")
        let messages = broadcasts.wait(until: { $0.filter { $0.contains("\"widget\"") }.count >= 2 })
        #expect(messages, "both changes broadcast on the status channel")
        let widgetMessages = broadcasts.all.map(PresenceHarness.decode).filter { $0["type"] as? String == "widget" }
        #expect(widgetMessages.count == 2)
        #expect(widgetMessages.last?["state"] as? String == "online")
        #expect(widgetMessages.last?["previous"] as? String == "offline")
        #expect(widgetMessages.last?["version"] as? Int != nil && widgetMessages.last?["timestamp"] as? String != nil)
    }

    /// Opening at 09:00 local on the day the clocks change: the boundary is at the right UTC instant.
    @Test(arguments: [
        ("Europe/Berlin", "2026-03-29T06:59:55Z", "2026-03-29T15:00:00Z"),      // spring forward: 09:00 CEST = 07:00Z
        ("Europe/Berlin", "2026-10-25T07:59:55Z", "2026-10-25T16:00:00Z"),      // fall back: 09:00 CET = 08:00Z
        ("America/New_York", "2026-03-08T12:59:55Z", "2026-03-08T21:00:00Z"),   // 09:00 EDT = 13:00Z
        ("America/New_York", "2026-11-01T13:59:55Z", "2026-11-01T22:00:00Z"),   // 09:00 EST = 14:00Z
    ])
    func openingOnADaylightSavingDayIsOnTime(zone: String, clockStart: String, closing: String) throws {
        let harness = try PresenceHarness(workers: 1, workerArguments: ["--widget-clock-start", clockStart])
        try harness.apply([("op", "workspace.settings"), ("widget_mode", "hours"), ("widget_timezone", zone),
                           ("widget_hours", "sun 09:00-17:00")])
        let events = try Self.awaitEvents(harness) { $0.contains { $0["state"] == "online" } }
        #expect(events.map { $0["state"] ?? "" } == ["offline", "online"], "\(zone) \(clockStart): \(events)")
        #expect(try Self.widget(harness)["schedule_next"] == Self.milliseconds(closing))
    }

    @Test func aHolidayExceptionKeepsTheWidgetOfflineAndNamesTheNextOpening() throws {
        let harness = try PresenceHarness(workers: 1, workerArguments: ["--widget-clock-start", "2026-12-25T10:00:00Z"])
        try harness.apply([("op", "workspace.settings"), ("widget_mode", "hours"), ("widget_timezone", "Europe/Berlin"),
                           ("widget_hours", "mon-fri 09:00-17:00"), ("widget_exceptions", "2026-12-25 closed; 2026-12-28 12:00-14:00")])
        let events = try Self.awaitEvents(harness) { !$0.isEmpty }
        #expect(events.map { $0["reason"] ?? "" } == ["outside_hours"])
        // Friday the 25th is closed; the weekend too; Monday the 28th opens at 12:00 CET.
        #expect(try Self.widget(harness)["schedule_next"] == Self.milliseconds("2026-12-28T11:00:00Z"))
    }

    @Test func theWidgetGoesOfflineWhenTheTeamIsAwayAndBackWhenOneAgentReturns() throws {
        let harness = try PresenceHarness(workers: 2)
        try harness.apply([("op", "agent.login"), ("agent", "a1"), ("session", "s")])
        try harness.apply([("op", "agent.login"), ("agent", "a2"), ("session", "s")])
        let (subscriber, broadcasts) = try harness.subscribe()
        defer { subscriber.stop() }
        try harness.apply([("op", "workspace.settings"), ("offline_when_team_away", "true")])
        #expect(try Self.widgetEvents(harness).isEmpty, "two agents available: still online, nothing to announce")
        try harness.apply([("op", "agent.status"), ("agent", "a1"), ("status", "away")])
        #expect(try Self.widgetEvents(harness).isEmpty, "a2 is still available")
        try harness.apply([("op", "agent.status"), ("agent", "a2"), ("status", "busy")])
        #expect(try Self.widgetEvents(harness).map { $0["state"] ?? "" } == ["offline"])
        #expect(try Self.widgetEvents(harness).last?["reason"] == "team_away")
        try harness.apply([("op", "agent.status"), ("agent", "a1"), ("status", "online")])
        let events = try Self.widgetEvents(harness)
        #expect(events.map { $0["state"] ?? "" } == ["offline", "online"])
        #expect(events.last?["reason"] == "manual_online")
        #expect(broadcasts.wait(until: { $0.filter { $0.contains("\"widget\"") }.count >= 2 }))
        // A logout of the last available agent takes it offline again; a session expiry would too.
        try harness.apply([("op", "agent.logout"), ("agent", "a1"), ("session", "s")])
        #expect(try Self.widgetEvents(harness).map { $0["state"] ?? "" } == ["offline", "online", "offline"])
    }

    @Test func manualModeChangesOnceAndRepeatsAreQuiet() throws {
        let harness = try PresenceHarness(workers: 2)
        try harness.apply([("op", "workspace.settings"), ("widget_mode", "manual"), ("widget_manual", "offline")])
        try harness.apply([("op", "workspace.settings"), ("widget_manual", "offline")])
        try harness.apply([("op", "workspace.settings"), ("widget_manual", "online")])
        let events = try Self.widgetEvents(harness)
        #expect(events.map { $0["state"] ?? "" } == ["offline", "online"])
        #expect(events.map { $0["reason"] ?? "" } == ["manual_offline", "manual_online"])
        #expect(events.allSatisfy { $0["entry"] != nil }, "a settings change names its entry")
    }

    /// Regression: `widget_manual` alone (the default mode is manual) used to be stored and ignored.
    @Test func aManualStateAloneTakesEffect() throws {
        let harness = try PresenceHarness(workers: 1)
        try harness.apply([("op", "workspace.settings"), ("widget_manual", "offline")])
        #expect(try Self.widgetEvents(harness).map { $0["reason"] ?? "" } == ["manual_offline"])
    }

    @Test func badWidgetSettingsAreDeadLetteredWithAClearSentence() throws {
        let harness = try PresenceHarness(workers: 1)
        let outcome = try harness.apply([("op", "workspace.settings"), ("widget_hours", "mon 9-17")])
        #expect(outcome["outcome"] as? String == "rejected")
        #expect((outcome["error"] as? String)?.contains("widget_hours") == true)
        let zone = try harness.apply([("op", "workspace.settings"), ("widget_timezone", "Mars/Olympus")])
        #expect((zone["error"] as? String)?.contains("widget_timezone") == true, "\(zone)")
        #expect(try harness.deadLetters().count == 2)
    }
}
