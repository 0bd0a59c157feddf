// ProfileChange: the partial update carried by an `agent.profile` entry.

/// The profile fields an `agent.profile` entry sets; `nil` means "leave unchanged".
public struct ProfileChange: Sendable, Equatable {
    /// The most teams one agent may belong to.
    public static let maxTeams = 50
    /// The allowed range of `capacity`.
    public static let capacityRange = 0...1000

    /// The status applied when the agent's first session logs in (`preferred_status`).
    public var preferredStatus: AgentStatus?
    /// Whether a login puts the agent into the routing pool at once (`accept_chats_after_login`).
    public var acceptChatsAfterLogin: Bool?
    /// How many open conversations the agent may hold at once, 0...1000 (`capacity`).
    public var capacity: Int?
    /// The agent's teams, replacing the previous list; empty means no teams (`teams`).
    public var teams: [Identifier]?
    /// The agent's role (`role`).
    public var role: AgentRole?

    /// Creates a change; omitted fields stay unchanged.
    public init(
        preferredStatus: AgentStatus? = nil,
        acceptChatsAfterLogin: Bool? = nil,
        capacity: Int? = nil,
        teams: [Identifier]? = nil,
        role: AgentRole? = nil
    ) {
        self.preferredStatus = preferredStatus
        self.acceptChatsAfterLogin = acceptChatsAfterLogin
        self.capacity = capacity
        self.teams = teams
        self.role = role
    }

    /// True when the change sets nothing.
    public var isEmpty: Bool {
        preferredStatus == nil && acceptChatsAfterLogin == nil && capacity == nil && teams == nil && role == nil
    }
}
