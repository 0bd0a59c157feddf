// AgentRole: the permission level of an agent, as spelled on the wire.

/// What an agent may do in the workspace; the raw value is the intake spelling.
public enum AgentRole: String, Sendable, CaseIterable {
    /// Handles conversations.
    case agent
    /// Handles conversations and may override other agents' statuses and assignments.
    case supervisor
    /// Manages the workspace's agents and settings.
    case admin
    /// Owns the workspace.
    case owner
}
