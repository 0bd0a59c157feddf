// What a reader sees of an agent: its stored hashes, read inside the workspace snapshot
// function, with routing's own verdict on whether it may get a conversation now.

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
    /// The agent's own capacity; `nil` = the workspace's `default_capacity`.
    public var capacity: Int?
    /// Open conversations assigned to the agent.
    public var load: Int
    public var teams: [String]
    public var role: String
    /// Whether routing may give the agent a conversation now, judged by routing's own rule
    /// (`routing_eligibility` in Lua/includes/eligibility.lua).
    public var eligible: Bool
    /// Why (not): ``RoutingStanding``'s raw value.
    public var routing: RoutingStanding

    /// Builds a snapshot from the agent's stored hash and sessions hash, and routing's verdict.
    public init(agent: String, fields: [String: String], sessions: [String: String], eligible: Bool, routing: RoutingStanding) {
        let nonEmpty: (String) -> String? = { fields[$0].flatMap { $0.isEmpty ? nil : $0 } }
        self.agent = agent
        status = fields["status"] ?? "offline"
        message = nonEmpty("message")
        since = fields["since"].flatMap { Int64($0) }
        actor = nonEmpty("status_actor")
        reason = nonEmpty("status_reason")
        self.sessions = sessions.compactMapValues { Int64($0) }
        routable = fields["routable"] == "1"
        preferredStatus = fields["preferred_status"] ?? "online"
        acceptChatsAfterLogin = fields["accept_chats_after_login"] != "false"
        capacity = fields["capacity"].flatMap { Int($0) }
        load = fields["load"].flatMap { Int($0) } ?? 0
        teams = (fields["teams"] ?? "").split(separator: ",").map(String.init)
        role = fields["role"] ?? "agent"
        self.eligible = eligible
        self.routing = routing
    }
}

/// Where an agent stands for routing now (docs/protocol.md §4), as the routing scripts
/// judge it. The first two are eligible, the others say why not.
public enum RoutingStanding: String, Sendable, Codable, Equatable {
    /// Online, in the routing pool, a live session, room: routing picks from these first.
    case pool
    /// Busy, otherwise as `pool`, and the workspace has `busy_fallback true`: picked only
    /// when no Online agent of the queue has room.
    case busyFallback = "busy_fallback"
    /// Away, DND or Offline; or Busy while `busy_fallback` is off.
    case status
    /// No live session (never logged in, logged out, or expired).
    case noSession = "no_session"
    /// `routable` 0: logged in with `accept_chats_after_login false` and not set Online by
    /// themselves since.
    case notInPool = "not_in_pool"
    /// `load` has reached the capacity.
    case full
}
