// What an operator sees of an agent: read from the agent's hashes, never from a cache.
import Redis

/// An agent's current state as stored in Redis.
public struct AgentSnapshot: Sendable, Codable, Equatable {
    public var agent: String
    public var status: String
    public var message: String?
    /// When the status last changed (ms since 1970), if ever.
    public var since: Int64?
    public var actor: String?
    public var reason: String?
    /// Live sessions: id → expiry (ms since 1970).
    public var sessions: [String: Int64]
    /// In the routing pool (accept chats after login, or set Online by themselves).
    public var routable: Bool
    public var preferredStatus: String
    public var acceptChatsAfterLogin: Bool
    public var capacity: Int?
    public var teams: [String]
    public var role: String

    /// Whether routing may send this agent a conversation now (status Online, in the pool,
    /// with a live session).
    public var eligible: Bool { status == "online" && routable && !sessions.isEmpty }
}

/// Reads agents' state for `switchboard inspect`.
public struct PresenceReader {
    public let connection: RedisConnection
    public let keys: KeySchema

    public init(connection: RedisConnection, keys: KeySchema = KeySchema()) {
        self.connection = connection
        self.keys = keys
    }

    /// One agent, or `nil` if the workspace has never seen it.
    public func agent(_ agent: Identifier, in workspace: Identifier) throws -> AgentSnapshot? {
        let keys = self.keys.workspace(workspace)
        let replies = try connection.pipeline([RedisCommand("HGETALL", keys.agent(agent)), RedisCommand("HGETALL", keys.agentSessions(agent))])
        let fields = try replies[0].orThrow().stringPairs ?? [:]
        let sessions = try replies[1].orThrow().stringPairs ?? [:]
        if fields.isEmpty && sessions.isEmpty { return nil }
        return Self.snapshot(agent: agent.rawValue, fields: fields, sessions: sessions)
    }

    /// Every agent of the workspace, sorted by id.
    public func agents(in workspace: Identifier) throws -> [AgentSnapshot] {
        let keys = self.keys.workspace(workspace)
        let ids = (try connection.send(RedisCommand("SMEMBERS", keys.agents)).array ?? []).compactMap { $0.string.flatMap(Identifier.init) }.sorted()
        let replies = try connection.pipeline(ids.flatMap { [RedisCommand("HGETALL", keys.agent($0)), RedisCommand("HGETALL", keys.agentSessions($0))] })
        return try ids.enumerated().map { index, id in
            Self.snapshot(agent: id.rawValue, fields: try replies[2 * index].orThrow().stringPairs ?? [:],
                          sessions: try replies[2 * index + 1].orThrow().stringPairs ?? [:])
        }
    }

    static func snapshot(agent: String, fields: [String: String], sessions: [String: String]) -> AgentSnapshot {
        let nonEmpty: (String) -> String? = { fields[$0].flatMap { $0.isEmpty ? nil : $0 } }
        return AgentSnapshot(
            agent: agent,
            status: fields["status"] ?? "offline",
            message: nonEmpty("message"),
            since: fields["since"].flatMap { Int64($0) },
            actor: nonEmpty("status_actor"),
            reason: nonEmpty("status_reason"),
            sessions: sessions.compactMapValues { Int64($0) },
            routable: fields["routable"] == "1",
            preferredStatus: fields["preferred_status"] ?? "online",
            acceptChatsAfterLogin: fields["accept_chats_after_login"] != "false",
            capacity: fields["capacity"].flatMap { Int($0) },
            teams: (fields["teams"] ?? "").split(separator: ",").map(String.init),
            role: fields["role"] ?? "agent")
    }
}
