// WorkspaceClaims: what a gateway token says about its bearer.

import Switchboard

/// The claims of a workspace token (a JWT): who the bearer is, where, with which role, until when.
public struct WorkspaceClaims: Sendable, Equatable {
    /// The agent id (`sub`): the actor of every intake entry the bearer causes.
    public var agent: String
    /// The one workspace the token opens (`workspace`).
    public var workspace: String
    /// What the bearer may do through the gateway (`role`).
    public var role: AgentRole
    /// When the token stops being accepted (`exp`), in seconds since 1970: refused once `exp <= now`.
    public var expiresAt: Int
    /// When the token was minted (`iat`), in seconds since 1970, if it says.
    public var issuedAt: Int?

    /// Creates claims.
    public init(agent: String, workspace: String, role: AgentRole, expiresAt: Int, issuedAt: Int? = nil) {
        self.agent = agent
        self.workspace = workspace
        self.role = role
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
    }
}
