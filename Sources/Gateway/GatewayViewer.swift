// Who is on the other end of a stream or an intake request: the verified token's claims,
// as the gateway uses them.
import Switchboard

/// The agent a verified token speaks for, in one workspace, with the token's role.
public struct GatewayViewer: Sendable, Equatable {
    /// The token's `sub`: every entry the gateway writes for this viewer has it as `actor`.
    public var agent: Identifier
    /// The token's `workspace`: the only one the viewer may watch or act in.
    public var workspace: Identifier
    /// The token's `role`: what the gateway lets the viewer ask for (Redis then checks the
    /// agent's stored `role` for overrides, assignments and reassignments).
    public var role: AgentRole

    /// Creates a viewer.
    public init(agent: Identifier, workspace: Identifier, role: AgentRole) {
        self.agent = agent
        self.workspace = workspace
        self.role = role
    }

    /// Supervisors, admins and owners may act on other agents and on conversations.
    var supervises: Bool { role != .agent }
}
