// A workspace's state together with the event version it reflects, read in one atomic
// step: what a dashboard needs to (re)synchronise with the status channel
// (docs/protocol.md §6.1, "`version` and gaps").
import Redis

/// A workspace at one instant.
public struct WorkspaceSnapshot: Sendable, Codable, Equatable {
    public var workspace: String
    /// The workspace's last event version (`version` of `sb:{ws}:meta`) at that instant:
    /// changes with a version at or below it are in the snapshot, those above came after.
    public var version: Int64
    public var settings: WorkspaceSettings
    /// Every agent the workspace has seen, sorted by id.
    public var agents: [AgentSnapshot]
    public var queues: QueueDepths
    /// Sessions of all agents together, as routing counts them (an expired one not yet swept
    /// still counts until the next sweep).
    public var sessions: Int
    public var widget: WidgetSnapshot

    /// Agents per status (every status, 0 when none).
    public var statusCounts: [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: AgentStatus.allCases.map { ($0.rawValue, 0) })
        for agent in agents { counts[agent.status, default: 0] += 1 }
        return counts
    }
}

/// Conversations waiting, per queue.
public struct QueueDepths: Sendable, Codable, Equatable {
    /// The general queue (conversations without a team).
    public var general: Int
    /// Each team's queue, for every team the workspace has seen.
    public var teams: [String: Int]

    public init(general: Int, teams: [String: Int]) {
        self.general = general
        self.teams = teams
    }
}

/// Reads ``WorkspaceSnapshot``s: one `FCALL_RO` of ``WorkspaceSnapshotScript`` a read.
public struct WorkspaceSnapshotReader {
    public let connection: RedisConnection
    public let keys: KeySchema

    public init(connection: RedisConnection, keys: KeySchema = KeySchema()) {
        self.connection = connection
        self.keys = keys
    }

    /// The workspace (a workspace never used reads as empty, version 0). With `onlyAgent`,
    /// `agents` holds just that agent (empty if the workspace has never seen it); the rest is
    /// the whole workspace.
    /// - Throws: ``SwitchboardLibraryNotLoaded`` when Redis lacks this release's library and
    ///   the user may not load it (the read-only operator user).
    public func snapshot(of workspace: Identifier, onlyAgent agent: Identifier? = nil) throws -> WorkspaceSnapshot {
        let reply: RedisValue
        do {
            reply = try connection.call(WorkspaceSnapshotScript.function,
                                            command: WorkspaceSnapshotScript.command(keys: keys.workspace(workspace), agent: agent))
        } catch let missing as RedisFunctionLibraryNotLoaded {
            throw SwitchboardLibraryNotLoaded(missing)
        }
        return try Self.decode(reply, workspace: workspace)
    }

    static func decode(_ reply: RedisValue, workspace: Identifier) throws -> WorkspaceSnapshot {
        guard let parts = reply.array, parts.count == 7, let version = parts[0].string.flatMap({ Int64($0) }) else {
            throw SnapshotReplyError(reply: reply)
        }
        let settings = parts[1].stringPairs ?? [:]
        var queues = QueueDepths(general: 0, teams: [:])
        let flat = parts[5].array ?? []
        for index in stride(from: 0, to: flat.count - 1, by: 2) {
            let name = flat[index].string ?? "", depth = flat[index + 1].int ?? 0
            if name.isEmpty { queues.general = depth } else { queues.teams[name] = depth }
        }
        let agents = try (parts[6].array ?? []).map { item -> AgentSnapshot in
            guard let values = item.array, values.count == 5, let id = values[0].string,
                  let standing = values[4].string.flatMap(RoutingStanding.init(rawValue:)) else { throw SnapshotReplyError(reply: item) }
            return AgentSnapshot(agent: id, fields: values[1].stringPairs ?? [:], sessions: values[2].stringPairs ?? [:],
                                 eligible: values[3].int == 1, routing: standing)
        }
        return WorkspaceSnapshot(workspace: workspace.rawValue, version: version, settings: WorkspaceSettings(fields: settings),
                                 agents: agents.sorted { $0.agent < $1.agent }, queues: queues, sessions: parts[4].int ?? 0,
                                 widget: WidgetSnapshot(widget: parts[2].stringPairs ?? [:], settings: settings, availableAgents: parts[3].int ?? 0))
    }
}

/// The snapshot function answered something this build cannot read.
public struct SnapshotReplyError: Error, CustomStringConvertible {
    public let reply: RedisValue
    public var description: String { "The workspace snapshot function returned an unexpected reply: \(reply)" }
}
