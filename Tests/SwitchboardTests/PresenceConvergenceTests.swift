import Foundation
import Redis
import Testing
import TestSupport
@testable import Switchboard

/// Several workers consume one stream, so entries are applied out of order (the batches
/// that workers take at the same time interleave) and, after a redelivery, twice. The
/// scripts must end where applying every entry once, in stream order, ends. Checked on
/// random sequences, straight against the scripts.
@Suite("Presence converges whatever the order")
struct PresenceConvergenceTests {

    static let agent = Identifier("ag")!
    static let sessions = [Identifier("s1")!, Identifier("s2")!]

    static func randomCommand(_ rng: inout SplitMix64) -> IntakeCommand {
        let session = sessions.randomElement(using: &rng)!
        switch Int.random(in: 0..<10, using: &rng) {
        case 0, 1: return .login(agent: agent, session: session)
        case 2: return .heartbeat(agent: agent, session: session)
        case 3, 4: return .logout(agent: agent, session: session)
        case 5, 6, 7:
            let message: String? = Bool.random(using: &rng) ? "m\(Int.random(in: 0..<3, using: &rng))" : nil
            return .setStatus(agent: agent, status: AgentStatus.allCases.randomElement(using: &rng)!, message: message, actor: nil)
        case 8:
            var change = ProfileChange()
            change.preferredStatus = AgentStatus.allCases.randomElement(using: &rng)!
            return .updateProfile(agent: agent, change: change)
        default:
            var change = ProfileChange()
            change.acceptChatsAfterLogin = Bool.random(using: &rng)
            return .updateProfile(agent: agent, change: change)
        }
    }

    /// How workers reorder entries: the stream is cut into consecutive batches, each worker
    /// applies its batch in order, and batches taken at the same time interleave.
    static func interleavedBatches<T>(_ entries: [T], using rng: inout SplitMix64) -> [T] {
        var batches: [[T]] = []
        var rest = entries[...]
        while !rest.isEmpty {
            let size = Int.random(in: 1...max(1, rest.count), using: &rng)
            batches.append(Array(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        var result: [T] = []
        while let index = batches.indices.filter({ !batches[$0].isEmpty }).randomElement(using: &rng) {
            result.append(batches[index].removeFirst())
        }
        return result
    }

    /// The state a person could notice: status, message, pool membership, live sessions, profile.
    static func observable(_ connection: RedisConnection, _ keys: WorkspaceKeys) throws -> [String: String] {
        var fields = try connection.send(RedisCommand("HGETALL", keys.agent(agent))).stringPairs ?? [:]
        fields = fields.filter { ["status", "message", "routable", "preferred_status", "accept_chats_after_login"].contains($0.key) }
        if fields["status"] == nil { fields["status"] = "offline" }
        if fields["status"] == "offline" { fields["routable"] = nil }  // not in any pool while offline
        let live = (try connection.send(RedisCommand("HKEYS", keys.agentSessions(agent))).array ?? []).compactMap(\.string).sorted()
        fields["sessions"] = live.joined(separator: ",")
        if fields["routable"] == nil { fields["routable"] = "0" }
        if fields["status"] == nil { fields["status"] = "offline" }
        return fields
    }

    /// On a single Redis and on the shared cluster (the rounds' workspaces on every primary,
    /// each pipeline split between them).
    @Test(arguments: Topology.allCases)
    func randomOrdersAndDuplicatesEndInTheInOrderState(topology: Topology) throws {
        let connection = RedisConnection(configuration: try topology.configuration())
        let schema = KeySchema(prefix: "conv" + TestRedis.uniquePrefix().dropFirst(2).dropLast())
        let applier = IntakeApplier(keys: schema, sessionTTL: .seconds(3600), eventsCap: 1000)
        var rng = SplitMix64(state: 20261123)
        var failures: [String] = []
        for round in 0..<450 {
            let commands = (0..<Int.random(in: 3...10, using: &rng)).map { _ in Self.randomCommand(&rng) }
            let entries = commands.enumerated().map { (id: "\(1000 + $0.offset)-0", command: $0.element) }
            let inOrder = Identifier("in\(round)")!
            let shuffled = Identifier("sh\(round)")!
            // A third of the rounds: batches interleaved as workers do; a third: any order at
            // all; a third: in order with a log of 3 entries, so folding into the base is used.
            var delivery = [Self.interleavedBatches(entries, using: &rng), entries.shuffled(using: &rng), entries][round % 3]
            var shuffledApplier = applier
            if round % 3 == 2 { shuffledApplier.replay = ReplayLimits(windowMilliseconds: 60_000, maxEvents: 3) }
            // Redelivery: an entry applied again, later.
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                let index = Int.random(in: 0..<delivery.count, using: &rng)
                delivery.insert(delivery[index], at: Int.random(in: (index + 1)...delivery.count, using: &rng))
            }

            for (workspace, order, applier) in [(inOrder, entries, applier), (shuffled, delivery, shuffledApplier)] {
                let calls = order.map { applier.call(for: IntakeEntry(workspace: workspace, command: $0.command), entryID: $0.id) }
                for reply in try connection.callPipelined(calls.map { ($0.function, $0.command) }) { _ = try reply.orThrow() }
            }
            let expected = try Self.observable(connection, schema.workspace(inOrder))
            let actual = try Self.observable(connection, schema.workspace(shuffled))
            if expected != actual {
                failures.append("round \(round): \(entries.map { "\($0.id) \($0.command)" })\n  delivered \(delivery.map(\.id))\n  in order \(expected)\n  shuffled \(actual)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) diverged; first: \(failures.first ?? "")")
        // One DEL per key: on the cluster they are on several primaries.
        let leftovers = try connection.sendToEveryPrimary(RedisCommand("KEYS", "\(schema.prefix):*")).flatMap { try $0.reply.orThrow().array ?? [] }
        for reply in try connection.pipeline(leftovers.compactMap(\.string).map { RedisCommand("DEL", $0) }) { _ = try reply.orThrow() }
    }

    @Test func anEntryArrivingAfterItsSuccessorsLeftTheLogIsAcknowledgedWithoutEffect() throws {
        let connection = try TestRedis.connection()
        let schema = KeySchema(prefix: "win" + TestRedis.uniquePrefix().dropFirst(2).dropLast())
        var applier = IntakeApplier(keys: schema, sessionTTL: .seconds(3600), eventsCap: 1000)
        applier.replay = ReplayLimits(windowMilliseconds: 60_000, maxEvents: 1)
        let workspace = Identifier("w")!
        let calls = [("1000-0", IntakeCommand.login(agent: Self.agent, session: Self.sessions[0])),
                     ("9000-0", .setStatus(agent: Self.agent, status: .busy, message: nil, actor: nil)),
                     ("500-0", .setStatus(agent: Self.agent, status: .away, message: nil, actor: nil))]
            .map { applier.call(for: IntakeEntry(workspace: workspace, command: $0.1), entryID: $0.0) }
        let outcomes = try connection.callPipelined(calls.map { ($0.function, $0.command) }).map { try ScriptOutcome(reply: $0.orThrow()).kind }
        #expect(outcomes == [.applied, .applied, .stale])
        #expect(try connection.send(RedisCommand("HGET", schema.workspace(workspace).agent(Self.agent), "status")).string == "busy")
    }

    /// The log expires one replay window after its last write, so idle agents cost no log;
    /// once it is gone, entries at or below the newest applied one are too late.
    @Test func theLogExpiresAfterTheWindowAndLaterArrivalsAreStale() throws {
        let space = try LibraryWorkspace("exp", replay: ReplayLimits(windowMilliseconds: 30_000, maxEvents: 64))
        let (connection, keys, apply) = (space.connection, space.keys, space.apply)
        #expect(try apply("1000-0", .login(agent: Self.agent, session: Self.sessions[0])) == .applied)
        #expect(try apply("3000-0", .setStatus(agent: Self.agent, status: .busy, message: nil, actor: nil)) == .applied)
        let log = keys.agent(Self.agent) + ":log"
        let ttl = try connection.send(RedisCommand("PTTL", log)).int ?? -2
        #expect(ttl > 0 && ttl <= 30_000, "the log expires within the window, PTTL \(ttl)")
        // Within the window a late entry is put in order...
        #expect(try apply("2000-0", .setStatus(agent: Self.agent, status: .away, message: nil, actor: nil)) == .applied)
        #expect(try connection.send(RedisCommand("HGET", keys.agent(Self.agent), "status")).string == "busy")
        // ...after it (the expiry, done here at once) it is acknowledged without effect.
        try connection.send(RedisCommand("DEL", log))
        #expect(try apply("2500-0", .setStatus(agent: Self.agent, status: .dnd, message: nil, actor: nil)) == .stale)
        #expect(try apply("3000-0", .setStatus(agent: Self.agent, status: .busy, message: nil, actor: nil)) == .stale)
        #expect(try apply("4000-0", .setStatus(agent: Self.agent, status: .online, message: nil, actor: nil)) == .applied)
        #expect(try connection.send(RedisCommand("HGET", keys.agent(Self.agent), "status")).string == "online")
        #expect(try connection.send(RedisCommand("HGET", keys.agent(Self.agent), "last")).string == "4000-0")
        // Regression: the log started anew at 4000-0 must still treat what came before as done.
        #expect(try apply("2500-0", .setStatus(agent: Self.agent, status: .dnd, message: nil, actor: nil)) == .stale)
        #expect(try apply("3000-0", .setStatus(agent: Self.agent, status: .busy, message: nil, actor: nil)) == .stale)
        #expect(try connection.send(RedisCommand("HGET", keys.agent(Self.agent), "status")).string == "online")
        try space.removeKeys()
    }

    /// An in-order entry is appended without reading the log until the log's first event is
    /// two windows old (so a heartbeat every third of a window does not read it each time);
    /// then the log is read and what left the window is folded. Told apart by `log_start`:
    /// an append keeps it, a read sets it from the events' own apply times.
    @Test func inOrderEntriesAppendUntilTheLogsFirstEventIsTwoWindowsOld() throws {
        let space = try LibraryWorkspace("fold")
        let (connection, agent) = (space.connection, space.keys.agent(Self.agent))
        func apply(_ id: String, _ status: AgentStatus) throws {
            #expect(try space.apply(id, .setStatus(agent: Self.agent, status: status, message: nil, actor: nil)) == .applied)
        }
        func logStart() throws -> Int { Int(try connection.send(RedisCommand("HGET", agent, "log_start")).string ?? "") ?? -1 }
        let now = try connection.send(RedisCommand("TIME")).array.flatMap { $0.first?.string }.flatMap { Int($0) }.map { $0 * 1000 } ?? 0
        try apply("1000-0", .busy)
        // As if the log's first event had been applied 90 s ago (between one and two windows).
        let planted = now - 90_000
        try connection.send(RedisCommand("HSET", agent, "log_start", planted))
        try apply("2000-0", .away)
        #expect(try logStart() == planted, "appended without reading the log")
        #expect(try connection.send(RedisCommand("HGET", agent, "log_size")).string == "2")
        // Now as if it were 130 s old: the log is read, its start taken from the events.
        try connection.send(RedisCommand("HSET", agent, "log_start", now - 130_000))
        try apply("3000-0", .online)
        #expect(try logStart() >= now, "read and folded: the start is the first event's real apply time")
        #expect(try connection.send(RedisCommand("HLEN", agent + ":log")).int == 4, "base and 3 events (no floor): nothing really left the window")
        #expect(try connection.send(RedisCommand("HGET", agent, "status")).string == "online")
        try space.removeKeys()
    }

    /// `log_start` outlives the log (which expires one window after its last write, or is
    /// evicted or deleted): an in-order entry must not be appended to a log that is gone, or the
    /// log would have no base and the next late entry would be wrongly `stale`. Regression: a
    /// status (general path) and a heartbeat (extend_session) after the log was deleted.
    @Test(arguments: ["status", "heartbeat"])
    func aLateEntryIsPutInOrderAfterTheLogWasLost(_ inOrder: String) throws {
        let space = try LibraryWorkspace("lost")
        let (connection, agent, apply) = (space.connection, space.keys.agent(Self.agent), space.apply)
        #expect(try apply("1000-0", .login(agent: Self.agent, session: Self.sessions[0])) == .applied)
        try connection.send(RedisCommand("DEL", agent + ":log"))
        if inOrder == "status" {
            #expect(try apply("3000-0", .setStatus(agent: Self.agent, status: .busy, message: nil, actor: nil)) == .applied)
            // A second tab's login, written before that status and applied after it.
            #expect(try apply("2000-0", .login(agent: Self.agent, session: Self.sessions[1])) == .applied)
            let sessions = try connection.send(RedisCommand("HKEYS", agent + ":sessions")).array?.compactMap(\.string) ?? []
            #expect(Set(sessions) == Set([Self.sessions[0].rawValue, Self.sessions[1].rawValue]))
            #expect(try connection.send(RedisCommand("HGET", agent, "status")).string == "busy")
        } else {
            #expect(try apply("3000-0", .heartbeat(agent: Self.agent, session: Self.sessions[0])) == .applied)
            // A status written before that heartbeat and applied after it.
            #expect(try apply("2000-0", .setStatus(agent: Self.agent, status: .away, message: "lunch", actor: nil)) == .applied)
            #expect(try connection.send(RedisCommand("HGET", agent, "status")).string == "away")
        }
        #expect(try connection.send(RedisCommand("HEXISTS", agent + ":log", "base")).int == 1, "the log was started again with its base")
        try space.removeKeys()
    }

    @Test func aDuplicatedEntryChangesNothingTheSecondTime() throws {
        let connection = try TestRedis.connection()
        let schema = KeySchema(prefix: "dup" + TestRedis.uniquePrefix().dropFirst(2).dropLast())
        let applier = IntakeApplier(keys: schema, sessionTTL: .seconds(3600), eventsCap: 1000)
        let workspace = Identifier("w")!
        let login = applier.call(for: IntakeEntry(workspace: workspace, command: .login(agent: Self.agent, session: Self.sessions[0])), entryID: "5-0")
        let away = applier.call(for: IntakeEntry(workspace: workspace, command: .setStatus(agent: Self.agent, status: .away, message: nil, actor: nil)), entryID: "6-0")
        let outcomes = try connection.callPipelined([login, away, login, away].map { ($0.function, $0.command) }).map { try ScriptOutcome(reply: $0.orThrow()).kind }
        #expect(outcomes == [.applied, .applied, .stale, .stale])
        let events = try connection.send(RedisCommand("XLEN", schema.workspace(workspace).events)).int
        #expect(events == 2, "one status event each for the login and the away, none for the duplicates")
        try connection.send(RedisCommand("DEL", schema.workspace(workspace).events, schema.workspace(workspace).agent(Self.agent),
                                         schema.workspace(workspace).agentSessions(Self.agent), schema.workspace(workspace).meta,
                                         schema.workspace(workspace).agents, schema.workspace(workspace).sessions))
    }
}
