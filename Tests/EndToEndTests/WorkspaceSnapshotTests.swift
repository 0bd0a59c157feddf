import Foundation
import Redis
import Switchboard
import Testing
import TestSupport

/// The workspace snapshot (docs/protocol.md §6.1): one atomic read of a workspace's state
/// and the version it reflects, and routing's own verdict on each agent.
@Suite("Workspace snapshot, end to end")
struct WorkspaceSnapshotTests {
    private func reader(_ harness: PresenceHarness) -> WorkspaceSnapshotReader {
        WorkspaceSnapshotReader(connection: harness.connection, keys: KeySchema(prefix: harness.prefix))
    }

    /// Subscribes to a workspace's status channel and records every broadcast's JSON text.
    private func subscribe(_ channel: String) throws -> (RedisSubscriber, EventRecorder<String>) {
        let recorder = EventRecorder<String>()
        let ready = EventRecorder<Bool>()
        let subscriber = RedisSubscriber(configuration: try TestRedis.configuration(name: "sb-test-resync"), channels: [channel]) { event in
            switch event {
            case .ready: ready.record(true)
            case .message(let message): recorder.record(message.text)
            default: break
            }
        }
        subscriber.start()
        guard ready.wait(until: { !$0.isEmpty }) else { throw TestSupportError("subscriber to \(channel) did not become ready") }
        return (subscriber, recorder)
    }

    /// Writes entries one by one, each with `reply 1`, on a thread and a connection of its
    /// own, so workers apply them while the test reads; records each id once written. After
    /// the first `pause` entries it waits (up to 30 s) for `resume` before writing the rest.
    private func produce(_ entries: [[(String, String)]], workspace: String, prefix: String,
                         pausingAfter pause: Int, until resume: DispatchSemaphore) -> (ids: EventRecorder<String>, errors: EventRecorder<String>) {
        let ids = EventRecorder<String>(), errors = EventRecorder<String>()
        Thread {
            do {
                let connection = RedisConnection(configuration: try TestRedis.configuration(name: "sb-test-producer"))
                for (index, fields) in entries.enumerated() {
                    if index == pause, resume.wait(timeout: .now() + 30) == .timedOut {
                        throw TestSupportError("the test did not let the producer go on within 30 s")
                    }
                    var command = RedisCommand("XADD", "\(prefix):intake", "*", "workspace", workspace)
                    for (name, value) in fields + [("reply", "1")] { command.append(name); command.append(value) }
                    ids.record(try connection.send(command).string ?? "")
                }
            } catch {
                errors.record("\(error)")
            }
        }.start()
        return (ids, errors)
    }

    /// Waits for every entry's outcome (each one's reply list): then every broadcast they
    /// cause has been published.
    private func awaitOutcomes(_ ids: [String], harness: PresenceHarness) throws {
        for id in ids {
            let reply = try harness.connection.send(RedisCommand("BLPOP", "\(harness.prefix):reply:\(id)", 15), timeout: .seconds(17))
            guard reply.array?.last?.string != nil else {
                throw TestSupportError("no outcome for entry \(id) within 15 s; worker logs:\n" + harness.workers.map(\.log).joined(separator: "\n---\n"))
            }
        }
    }

    private struct Shown: Equatable, CustomStringConvertible {
        var status: String
        var message: String?
        var description: String { message.map { "\(status) \"\($0)\"" } ?? status }
    }

    /// The recipe of docs/protocol.md §6.1 under two real workers applying a concurrent
    /// stream of status changes, logins and logouts: subscribe, take the snapshot mid-stream,
    /// apply only broadcasts with a greater version. The reader ends with exactly the stored
    /// state, round after round on fresh workspaces.
    @Test func aReaderThatSubscribesThenSnapshotsEndsWithTheFinalState() throws {
        let harness = try PresenceHarness(workers: 2)
        let reader = reader(harness)
        let agents = (0..<30).map { "a\($0)" }
        let statuses = AgentStatus.allCases.map(\.rawValue)
        let messages: [String?] = [nil, "Lunch", "In a meeting", "Back soon"]
        for round in 0..<20 {
            var random = SplitMix64(state: 0x5EED_0000 + UInt64(round))
            let workspace = "\(harness.workspace)-r\(round)"
            let entries = (0..<90).map { _ -> [(String, String)] in
                let agent = agents.randomElement(using: &random)!
                let session = ["s1", "s2"].randomElement(using: &random)!
                switch Int.random(in: 0..<10, using: &random) {
                case 0, 1: return [("op", "agent.login"), ("agent", agent), ("session", session)]
                case 2: return [("op", "agent.logout"), ("agent", agent), ("session", session)]
                default:
                    var fields = [("op", "agent.status"), ("agent", agent), ("status", statuses.randomElement(using: &random)!)]
                    if let message = messages.randomElement(using: &random)! { fields.append(("message", message)) }
                    return fields
                }
            }

            // 1. Subscribe first.
            let (subscriber, broadcasts) = try subscribe("\(harness.prefix):{\(workspace)}:status")
            defer { subscriber.stop() }
            // 2. The snapshot, taken mid-stream: after the first third of the entries is written
            //    (and perhaps applied), before the rest is written.
            let resume = DispatchSemaphore(value: 0)
            let (written, failures) = produce(entries, workspace: workspace, prefix: harness.prefix, pausingAfter: 30, until: resume)
            #expect(written.wait { $0.count >= 30 || !failures.all.isEmpty }, "round \(round): the stream started")
            let snapshot = try reader.snapshot(of: try #require(Identifier(workspace)))
            resume.signal()
            #expect(written.wait { $0.count == entries.count || !failures.all.isEmpty }, "round \(round): every entry written")
            #expect(failures.all.isEmpty, "round \(round): \(failures.all)")
            try awaitOutcomes(written.all, harness: harness)

            // 3. Every broadcast up to the last event has arrived; apply those after the snapshot.
            let final = try reader.snapshot(of: try #require(Identifier(workspace)))
            let version = { (text: String) in (PresenceHarness.decode(text)["version"] as? NSNumber)?.int64Value ?? 0 }
            #expect(broadcasts.wait { $0.contains { version($0) == final.version } }, "round \(round): the last broadcast arrived")
            #expect(snapshot.version < final.version, "round \(round): the snapshot was taken before the end of the stream")
            var seen = Dictionary(uniqueKeysWithValues: snapshot.agents.map { ($0.agent, Shown(status: $0.status, message: $0.message)) })
            for text in broadcasts.all where version(text) > snapshot.version {
                let message = PresenceHarness.decode(text)
                guard message["type"] as? String == "status", let agent = message["agent_id"] as? String else { continue }
                seen[agent] = Shown(status: message["status"] as? String ?? "?", message: message["message"] as? String)
            }

            // 4. The same as what is stored, read key by key after the stream.
            for agent in agents {
                let stored = try harness.connection.send(RedisCommand("HMGET", "\(harness.prefix):{\(workspace)}:agent:\(agent)", "status", "message")).array ?? []
                let expected = Shown(status: stored.first?.string ?? "offline", message: stored.last?.string.flatMap { $0.isEmpty ? nil : $0 })
                #expect((seen[agent] ?? Shown(status: "offline")) == expected,
                        "round \(round), agent \(agent): snapshot v\(snapshot.version) + broadcasts gave \(seen[agent]?.description ?? "nothing"), stored is \(expected)")
            }
            #expect(Set(final.agents.map(\.agent)).isSubset(of: Set(agents)))
        }
    }

    /// Eligibility is routing's own rule: full, no session, out of the pool (accept chats
    /// after login off) until the agent goes Online themselves, Busy only with busy_fallback.
    /// And it agrees with routing's pools.
    @Test func eligibilityIsRoutingsOwnRule() throws {
        let harness = try PresenceHarness()
        let workspace = try #require(Identifier(harness.workspace))
        let reader = reader(harness)
        func agent(_ id: String) throws -> AgentSnapshot {
            try #require(try reader.snapshot(of: workspace, onlyAgent: try #require(Identifier(id))).agents.first, "agent \(id)")
        }

        try harness.apply([("op", "agent.profile"), ("agent", "full"), ("capacity", "1")])
        try harness.apply([("op", "agent.login"), ("agent", "full"), ("session", "s")])
        #expect(try agent("full").eligible && agent("full").routing == .pool)
        let events = try harness.apply([("op", "conversation.new"), ("conversation", "c1")])["events"] as? [[String: Any]]
        #expect(events?.first?["agent_id"] as? String == "full")
        let full = try agent("full")
        #expect(!full.eligible && full.routing == .full && full.load == 1 && full.capacity == 1 && full.status == "online")

        try harness.apply([("op", "agent.status"), ("agent", "nosession"), ("status", "online")])
        let noSession = try agent("nosession")
        #expect(!noSession.eligible && noSession.routing == .noSession && noSession.routable && noSession.status == "online")

        try harness.apply([("op", "agent.profile"), ("agent", "later"), ("accept_chats_after_login", "false")])
        try harness.apply([("op", "agent.login"), ("agent", "later"), ("session", "s")])
        let later = try agent("later")
        #expect(!later.eligible && later.routing == .notInPool && later.status == "online" && !later.acceptChatsAfterLogin)
        try harness.apply([("op", "agent.status"), ("agent", "later"), ("status", "online"), ("message", "ready")])
        #expect(try agent("later").eligible && agent("later").routing == .pool)

        try harness.apply([("op", "agent.login"), ("agent", "busy"), ("session", "s")])
        try harness.apply([("op", "agent.status"), ("agent", "busy"), ("status", "busy")])
        #expect(try !agent("busy").eligible && agent("busy").routing == .status)
        try harness.apply([("op", "agent.login"), ("agent", "away"), ("session", "s")])
        try harness.apply([("op", "agent.status"), ("agent", "away"), ("status", "away")])
        #expect(try !agent("away").eligible && agent("away").routing == .status)

        try harness.apply([("op", "workspace.settings"), ("busy_fallback", "true")])
        let snapshot = try reader.snapshot(of: workspace)
        let byID = Dictionary(uniqueKeysWithValues: snapshot.agents.map { ($0.agent, $0) })
        #expect(snapshot.settings.busyFallback)
        #expect(byID["busy"]?.eligible == true && byID["busy"]?.routing == .busyFallback)
        #expect(byID.mapValues(\.routing) == ["full": .full, "nosession": .noSession, "later": .pool, "busy": .busyFallback, "away": .status])

        // The verdict agrees with the pools routing picks from.
        let pool = Set((try harness.connection.send(RedisCommand("ZRANGE", harness.key("pool"), 0, -1)).array ?? []).compactMap(\.string))
        let busy = Set((try harness.connection.send(RedisCommand("ZRANGE", harness.key("busy"), 0, -1)).array ?? []).compactMap(\.string))
        #expect(Set(snapshot.agents.filter(\.eligible).map(\.agent)) == pool.union(busy))
        #expect(snapshot.queues == QueueDepths(general: 0, teams: [:]))
        #expect(snapshot.sessions == 4)
    }

    /// The snapshot carries the queues, the widget and the settings, with the version.
    @Test func theSnapshotCarriesQueuesWidgetAndSettings() throws {
        let harness = try PresenceHarness()
        let workspace = try #require(Identifier(harness.workspace))
        #expect(try reader(harness).snapshot(of: workspace).version == 0)
        try harness.apply([("op", "conversation.new"), ("conversation", "c1"), ("team", "sales")])
        try harness.apply([("op", "conversation.new"), ("conversation", "c2"), ("team", "sales")])
        try harness.apply([("op", "conversation.new"), ("conversation", "c3")])
        try harness.apply([("op", "workspace.settings"), ("widget_mode", "manual"), ("widget_manual", "offline"), ("default_capacity", "5")])
        let snapshot = try reader(harness).snapshot(of: workspace)
        #expect(snapshot.queues == QueueDepths(general: 1, teams: ["sales": 2]))
        #expect(snapshot.widget.state == "offline" && snapshot.widget.reason == "manual_offline")
        #expect(snapshot.settings.defaultCapacity == 5 && snapshot.settings.defaults == ["routing", "busy_fallback", "ai_chat"])
        let stored = try harness.connection.send(RedisCommand("HGET", harness.key("meta"), "version")).string
        #expect(stored == String(snapshot.version) && snapshot.version > 0)
        #expect(snapshot.agents.isEmpty && snapshot.sessions == 0)
    }
}
