// A steady routing load on several workspaces of one deployment, written from a thread of its
// own (with its own connection: a connection belongs to one thread) while a test changes the
// cluster under it. Each round waits for the workers' outcome of its last entry per workspace,
// so the load follows the workers' pace instead of a clock.
import Foundation
import Redis
import Synchronization
import TestSupport

final class RoutingLoad: Sendable {
    let harness: PresenceHarness
    let workspaces: [String]
    /// The agents of every workspace, all logged in by ``setUp()``.
    let agents = (0..<12).map { "ag\($0)" }
    /// Each agent's capacity (the same in every workspace).
    let capacity: [String: Int]
    /// One event per finished round (its number).
    let rounds = EventRecorder<Int>()
    /// One event when ``run()`` returns.
    let finished = EventRecorder<Bool>()
    private let state = Mutex<(stopped: Bool, failure: String?, conversations: [String: [String]])>((false, nil, [:]))

    init(harness: PresenceHarness, workspaces: [String]) {
        self.harness = harness
        self.workspaces = workspaces
        var capacity: [String: Int] = [:]
        for agent in agents { capacity[agent] = Int.random(in: 1...3) }
        self.capacity = capacity
    }

    /// Why the load stopped early, if it did.
    var failure: String? { state.withLock { $0.failure } }

    /// The conversations created in `workspace` so far.
    func conversations(of workspace: String) -> [String] { state.withLock { $0.conversations[workspace] ?? [] } }

    /// Ends ``run()`` after its current round.
    func stop() { state.withLock { $0.stopped = true } }

    /// Profiles and logins of every agent in every workspace, applied before this returns.
    func setUp() throws {
        let connection = RedisConnection(configuration: try harness.configuration(name: "sb-test-load"))
        defer { connection.close() }
        try write(workspaces.map { workspace in
            (workspace, agents.flatMap { agent in [
                [("op", "agent.profile"), ("agent", agent), ("capacity", String(capacity[agent]!))],
                [("op", "agent.login"), ("agent", agent), ("session", "s")],
            ] })
        }, on: connection)
    }

    /// Writes rounds of entries until stopped: per workspace six new conversations, two
    /// status changes and three closes of earlier conversations.
    func run() {
        defer { finished.record(true) }
        do {
            let connection = RedisConnection(configuration: try harness.configuration(name: "sb-test-load"))
            defer { connection.close() }
            var round = 0
            while !state.withLock({ $0.stopped }) {
                var batches: [(String, [[(String, String)]])] = []
                for workspace in workspaces {
                    let earlier = conversations(of: workspace)
                    let created = (0..<6).map { "c\(round)-\($0)" }
                    var entries = created.map { [("op", "conversation.new"), ("conversation", $0)] }
                    for _ in 0..<2 {
                        entries.append([("op", "agent.status"), ("agent", agents.randomElement()!),
                                        ("status", ["online", "online", "online", "busy", "away"].randomElement()!)])
                    }
                    for _ in 0..<3 where !earlier.isEmpty { entries.append([("op", "conversation.close"), ("conversation", earlier.randomElement()!)]) }
                    entries.shuffle()
                    state.withLock { $0.conversations[workspace, default: []] += created }
                    batches.append((workspace, entries))
                }
                try write(batches, on: connection)
                rounds.record(round)
                round += 1
            }
        } catch {
            state.withLock { $0.failure = "\(error)" }
        }
    }

    /// Writes each workspace's entries (the last one asking for a reply) and waits for the replies.
    private func write(_ batches: [(workspace: String, entries: [[(String, String)]])], on connection: RedisConnection) throws {
        var commands: [RedisCommand] = []
        for (workspace, entries) in batches {
            for (index, fields) in entries.enumerated() {
                var command = RedisCommand("XADD", harness.intake(for: workspace), "*", "workspace", workspace)
                for (name, value) in fields { command.append(name); command.append(value) }
                if index == entries.count - 1 { command.append("reply"); command.append("1") }
                commands.append(command)
            }
        }
        let ids = try connection.pipeline(commands).map { try $0.orThrow().string ?? "" }
        var end = 0
        for (workspace, entries) in batches {
            end += entries.count
            let reply = try connection.send(RedisCommand("BLPOP", harness.replyKey(ids[end - 1], workspace: workspace), "30"), timeout: .seconds(32))
            guard reply.array?.last?.string != nil else { throw TestSupportError("no outcome for \(workspace)'s entry \(ids[end - 1]) within 30 s") }
        }
    }
}

extension ClusterSlotOwners {
    /// One workspace name (`busy-<n>-<random>`) on each primary of the cluster at `url`.
    static func workspacesOnEveryPrimary(of url: String) throws -> [String] {
        let map = try ClusterSlotOwners(url: url)
        return try map.primaries.enumerated().map { index, primary in
            for _ in 0..<10_000 {
                let name = "busy-\(index)-\(UUID().uuidString.prefix(6).lowercased())"
                if map.primary(ofSlot: slot(of: "{\(name)}")) == primary { return name }
            }
            throw TestSupportError("no workspace name lands on \(primary)")
        }
    }
}
