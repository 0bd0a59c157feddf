// IntakeEntry: one accepted intake stream entry, and its encoding back into stream fields.

/// One accepted intake stream entry.
public struct IntakeEntry: Sendable, Equatable {
    /// The workspace the command applies to.
    public let workspace: Identifier
    /// What to do.
    public let command: IntakeCommand
    /// Whether the sender asked for a reply (optional field `reply` is "1").
    public let wantsReply: Bool

    /// Creates an entry.
    public init(workspace: Identifier, command: IntakeCommand, wantsReply: Bool = false) {
        self.workspace = workspace
        self.command = command
        self.wantsReply = wantsReply
    }

    /// The stream fields that ``IntakeParser/parse(_:)`` turns back into this entry, in the
    /// order of the contract (`op`, `workspace`, then the op's fields); for writers such as the CLI.
    public var fields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [("op", command.op), ("workspace", workspace.rawValue)]
        switch command {
        case .login(let agent, let session), .heartbeat(let agent, let session), .logout(let agent, let session):
            fields += [("agent", agent.rawValue), ("session", session.rawValue)]
        case .setStatus(let agent, let status, let message, let actor):
            fields += [("agent", agent.rawValue), ("status", status.rawValue)]
            if let message { fields.append(("message", message)) }
            if let actor { fields.append(("actor", actor.rawValue)) }
        case .updateProfile(let agent, let change):
            fields.append(("agent", agent.rawValue))
            if let status = change.preferredStatus { fields.append(("preferred_status", status.rawValue)) }
            if let accept = change.acceptChatsAfterLogin { fields.append(("accept_chats_after_login", String(accept))) }
            if let capacity = change.capacity { fields.append(("capacity", String(capacity))) }
            if let teams = change.teams { fields.append(("teams", teams.map(\.rawValue).joined(separator: ","))) }
            if let role = change.role { fields.append(("role", role.rawValue)) }
        case .newConversation(let conversation, let team, let priority):
            fields.append(("conversation", conversation.rawValue))
            if let team { fields.append(("team", team.rawValue)) }
            if priority != 0 { fields.append(("priority", String(priority))) }
        case .closeConversation(let conversation):
            fields.append(("conversation", conversation.rawValue))
        case .updateSettings(let change):
            fields += change.fields
        case .assignConversation(let conversation, let agent, let actor, let overCapacity):
            fields += [("conversation", conversation.rawValue), ("agent", agent.rawValue), ("actor", actor.rawValue)]
            if overCapacity { fields.append(("over_capacity", "true")) }
        case .transferConversation(let conversation, let team, let actor):
            fields += [("conversation", conversation.rawValue), ("team", team.rawValue)]
            if let actor { fields.append(("actor", actor.rawValue)) }
        case .reassignAgent(let agent, let to, let actor, let overCapacity):
            fields.append(("agent", agent.rawValue))
            if let to { fields.append(("to", to.rawValue)) }
            fields.append(("actor", actor.rawValue))
            if overCapacity { fields.append(("over_capacity", "true")) }
        }
        if wantsReply { fields.append(("reply", "1")) }
        return fields
    }
}
