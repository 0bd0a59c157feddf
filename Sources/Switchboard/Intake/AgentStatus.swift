// AgentStatus: the five availability statuses an agent can choose, as spelled on the wire.

/// An agent's availability; the raw value is the intake and broadcast spelling.
public enum AgentStatus: String, Sendable, CaseIterable {
    /// Available: receives new conversations while under capacity.
    case online
    /// Working but reachable: receives conversations only as a workspace-allowed fallback.
    case busy
    /// Stepped away: never receives conversations.
    case away
    /// Do not disturb: never receives conversations.
    case dnd
    /// Not working: never receives conversations; keeps open ones until reassigned.
    case offline
}
