// IntakeCommand: a parsed, validated intake operation with typed fields.

/// One validated intake operation; the workspace is carried by ``IntakeEntry``.
public enum IntakeCommand: Sendable, Equatable {
    /// `agent.login`: a session of the agent starts.
    case login(agent: Identifier, session: Identifier)
    /// `agent.heartbeat`: the session is still alive.
    case heartbeat(agent: Identifier, session: Identifier)
    /// `agent.logout`: the session ends.
    case logout(agent: Identifier, session: Identifier)
    /// `agent.status`: the agent's status changes; `message` nil clears it; an `actor` other than
    /// the agent is a supervisor override.
    case setStatus(agent: Identifier, status: AgentStatus, message: String?, actor: Identifier?)
    /// `agent.profile`: some of the agent's profile fields change.
    case updateProfile(agent: Identifier, change: ProfileChange)
    /// `conversation.new`: a conversation waits for an agent of `team` (nil: anyone);
    /// higher `priority` first, then arrival.
    case newConversation(conversation: Identifier, team: Identifier?, priority: Int)
    /// `conversation.close`: the conversation ends, freeing its agent's capacity.
    case closeConversation(conversation: Identifier)
    /// `conversation.assign`: a supervisor gives the conversation to an agent, over the
    /// agent's capacity only when `overCapacity` says so.
    case assignConversation(conversation: Identifier, agent: Identifier, actor: Identifier, overCapacity: Bool)
    /// `conversation.transfer`: the conversation leaves its agent and is routed in `team`.
    case transferConversation(conversation: Identifier, team: Identifier, actor: Identifier?)
    /// `agent.reassign`: the agent's open conversations go back to the queue (in their
    /// original order) or to agent `to`.
    case reassignAgent(agent: Identifier, to: Identifier?, actor: Identifier, overCapacity: Bool)
    /// `workspace.settings`: routing settings change.
    case updateSettings(WorkspaceSettingsChange)

    /// The wire name of the operation, e.g. "agent.login".
    public var op: String { operation.rawValue }

    /// The agent the command is about, for the `agent.*` ops.
    public var agent: Identifier? {
        switch self {
        case .login(let agent, _), .heartbeat(let agent, _), .logout(let agent, _),
             .setStatus(let agent, _, _, _), .updateProfile(let agent, _):
            return agent
        case .reassignAgent(let agent, _, _, _):
            return agent
        case .newConversation, .closeConversation, .updateSettings, .assignConversation, .transferConversation:
            return nil
        }
    }

    var operation: IntakeOperation {
        switch self {
        case .login: return .login
        case .heartbeat: return .heartbeat
        case .logout: return .logout
        case .setStatus: return .status
        case .updateProfile: return .profile
        case .newConversation: return .conversationNew
        case .closeConversation: return .conversationClose
        case .updateSettings: return .settings
        case .assignConversation: return .conversationAssign
        case .transferConversation: return .conversationTransfer
        case .reassignAgent: return .reassign
        }
    }
}
