import Foundation
import Redis
import Testing
import TestSupport
@testable import Switchboard

/// Regressions found in review, checked straight against the scripts.
@Suite("Presence scripts")
struct PresenceScriptTests {
    let connection: RedisConnection
    let schema: KeySchema
    let applier: IntakeApplier
    let workspace = Identifier("w")!

    init() throws {
        connection = try TestRedis.connection()
        schema = KeySchema(prefix: "ps" + TestRedis.uniquePrefix().dropFirst(2).dropLast())
        applier = IntakeApplier(keys: schema, sessionTTL: .seconds(3600), eventsCap: 1000)
    }

    private func apply(_ id: String, _ command: IntakeCommand) throws -> ScriptOutcome {
        let call = applier.call(for: IntakeEntry(workspace: workspace, command: command), entryID: id)
        return try ScriptOutcome(reply: try connection.call(call.function, command: call.command))
    }

    @Test func aRedeliveredLoginStillReportsTheSweepSchedule() throws {
        let agent = Identifier("a")!, session = Identifier("s")!
        #expect(try apply("10-0", .login(agent: agent, session: session)).earliestExpiry != nil)
        let again = try apply("10-0", .login(agent: agent, session: session))
        #expect(again.kind == .stale)
        #expect(again.earliestExpiry != nil, "the worker that applied it first may have died before scheduling the sweep")
    }

    @Test func aHeartbeatOfALiveSessionLeavesTheSweepScheduleAloneUnlessAReplyAsks() throws {
        let agent = Identifier("a")!, session = Identifier("s")!
        #expect(try apply("10-0", .login(agent: agent, session: session)).earliestExpiry != nil, "a new session may move the sweep earlier")
        let extended = try apply("20-0", .heartbeat(agent: agent, session: session))
        #expect(extended.kind == .applied)
        #expect(extended.earliestExpiry == nil, "extending a live session cannot move the sweep earlier")
        #expect(try connection.send(RedisCommand("HGET", schema.workspace(workspace).agent(agent) + ":sessions", "s")).int == 20 + 3_600_000)
        var call = applier.call(for: IntakeEntry(workspace: workspace, command: .heartbeat(agent: agent, session: session)), entryID: "30-0")
        call.reply = true
        let replied = try ScriptOutcome(reply: try connection.call(call.function, command: call.command))
        #expect(replied.json != nil && replied.earliestExpiry == 30 + 3_600_000, "a reply reports the schedule for every login and heartbeat")
    }

    /// Heartbeats in order are appended to the log without reading it (and without the
    /// whole state): a late entry put in order must still replay them.
    @Test func aLateEntryIsReplayedAcrossHeartbeatsAppendedInOrder() throws {
        let agent = Identifier("a")!, session = Identifier("s")!
        let key = schema.workspace(workspace).agent(agent)
        for id in ["1000-0", "2000-0", "3000-0"] { #expect(try apply(id, .heartbeat(agent: agent, session: session)).kind == .applied) }
        #expect(try apply("4000-0", .setStatus(agent: agent, status: .busy, message: nil, actor: nil)).kind == .applied)
        #expect(try apply("2500-0", .setStatus(agent: agent, status: .away, message: nil, actor: nil)).kind == .applied)
        #expect(try connection.send(RedisCommand("HGET", key, "status")).string == "busy")
        #expect(try connection.send(RedisCommand("HGET", key + ":sessions", "s")).int == 3000 + 3_600_000,
                "the replay keeps the expiry of the last heartbeat")
        let logged = try connection.send(RedisCommand("HKEYS", key + ":log")).array?.compactMap(\.string) ?? []
        #expect(Set(logged) == ["base", "1000-0", "2000-0", "2500-0", "3000-0", "4000-0"])
        #expect(try connection.send(RedisCommand("HGET", key, "log_size")).int == 5, "log_size counts the logged events")
        #expect(try apply("2000-0", .heartbeat(agent: agent, session: session)).kind == .stale)
    }

    /// The worker writes the event JSON by hand: text that JSON must escape arrives verbatim.
    @Test func aStatusMessageThatJSONMustEscapeIsStoredVerbatim() throws {
        let agent = Identifier("a")!
        let message = "say \"hi\" \\ back\tsoon \u{1} ✓"
        #expect(try apply("10-0", .setStatus(agent: agent, status: .away, message: message, actor: nil)).kind == .applied)
        #expect(try connection.send(RedisCommand("HGET", schema.workspace(workspace).agent(agent), "message")).string == message)
    }

    @Test func aRedeliveredOverrideIsStaleEvenAfterTheSupervisorWasDemoted() throws {
        let agent = Identifier("a")!, supervisor = Identifier("boss")!
        _ = try apply("10-0", .updateProfile(agent: supervisor, change: ProfileChange(role: .supervisor)))
        _ = try apply("11-0", .login(agent: agent, session: Identifier("s")!))
        #expect(try apply("12-0", .setStatus(agent: agent, status: .away, message: nil, actor: supervisor)).kind == .applied)
        _ = try apply("13-0", .updateProfile(agent: supervisor, change: ProfileChange(role: .agent)))
        #expect(try apply("12-0", .setStatus(agent: agent, status: .away, message: nil, actor: supervisor)).kind == .stale)
    }

    @Test func aSessionsMemberWithoutItsSessionIsRemovedBySweeping() throws {
        let keys = schema.workspace(workspace)
        try connection.send(RedisCommand("ZADD", keys.sessions, 0, "ghost/s"))
        let call = SessionExpiryScript.call(keys: keys, eventsCap: 1000, limit: 100, replay: ReplayLimits(), cutoffMilliseconds: Int64.max)
        let outcome = try ScriptOutcome(reply: try connection.call(call.function, command: call.command))
        #expect(outcome.expired == 1)
        #expect(try connection.send(RedisCommand("ZSCORE", keys.sessions, "ghost/s")).isNull)
    }

    @Test func sweepingStopsAtTheCutoffSoUnreadHeartbeatsCount() throws {
        // Sessions are timed by entry ids; a cutoff before the expiry leaves them alone.
        let agent = Identifier("b")!
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let shortLived = IntakeApplier(keys: schema, sessionTTL: .seconds(60), eventsCap: 1000)
        let call = shortLived.call(for: IntakeEntry(workspace: workspace, command: .login(agent: agent, session: Identifier("s")!)),
                                   entryID: "\(now - 120_000)-0")
        _ = try connection.call(call.function, command: call.command)
        let keys = schema.workspace(workspace)
        let early = SessionExpiryScript.call(keys: keys, eventsCap: 1000, limit: 100, replay: ReplayLimits(), cutoffMilliseconds: now - 90_000)
        #expect(try ScriptOutcome(reply: try connection.call(early.function, command: early.command)).expired == 0)
        let late = SessionExpiryScript.call(keys: keys, eventsCap: 1000, limit: 100, replay: ReplayLimits(), cutoffMilliseconds: now)
        #expect(try ScriptOutcome(reply: try connection.call(late.function, command: late.command)).expired == 1)
        #expect(try connection.send(RedisCommand("HGET", keys.agent(agent), "status")).string == "offline")
    }

    /// docs/protocol.md, `agent.reassign` and section 5: not newer than `reassign_entry` is `stale`.
    @Test func aRedeliveredReassignDoesNotMoveConversationsTheAgentGotSince() throws {
        let agent = Identifier("r")!, boss = Identifier("boss")!
        _ = try apply("10-0", .updateProfile(agent: boss, change: ProfileChange(role: .admin)))
        _ = try apply("11-0", .login(agent: agent, session: Identifier("s")!))
        _ = try apply("12-0", .newConversation(conversation: Identifier("c1")!, team: nil, priority: 0))
        #expect(try apply("13-0", .reassignAgent(agent: agent, to: nil, actor: boss, overCapacity: false)).kind == .applied)
        _ = try apply("14-0", .newConversation(conversation: Identifier("c2")!, team: nil, priority: 0))
        #expect(try apply("13-0", .reassignAgent(agent: agent, to: nil, actor: boss, overCapacity: false)).kind == .stale)
        // Not only a duplicate: any reassign of the agent older than the last one applied.
        #expect(try apply("12-5", .reassignAgent(agent: agent, to: nil, actor: boss, overCapacity: false)).kind == .stale)
        let events = try connection.send(RedisCommand("XRANGE", schema.workspace(workspace).events, "-", "+")).array ?? []
        let reassigned = events.filter { $0.array?.last?.stringPairs?["type"] == "reassigned" }
        #expect(reassigned.count == 1, "the duplicate moved nothing")
    }

    @Test func aRefusedReassignDoesNotMakeAnOlderOneStale() throws {
        let agent = Identifier("r")!, boss = Identifier("boss")!
        _ = try apply("10-0", .updateProfile(agent: boss, change: ProfileChange(role: .admin)))
        _ = try apply("11-0", .login(agent: agent, session: Identifier("s")!))
        _ = try apply("12-0", .newConversation(conversation: Identifier("c1")!, team: nil, priority: 0))
        #expect(try apply("14-0", .reassignAgent(agent: agent, to: Identifier("nobody")!, actor: boss, overCapacity: false)).kind == .rejected)
        #expect(try apply("13-0", .reassignAgent(agent: agent, to: nil, actor: boss, overCapacity: false)).kind == .applied)
    }
}
