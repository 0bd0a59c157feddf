// Turns a parsed intake entry into the one function call that applies it.

/// Maps each intake command to its workspace function.
struct IntakeApplier {
    let keys: KeySchema
    let sessionTTL: Duration
    let eventsCap: Int

    var replay = ReplayLimits()

    /// The call, asking for the JSON outcome when the entry wants a reply.
    func call(for entry: IntakeEntry, entryID: String) -> WorkspaceFunctionCall {
        var call = functionCall(for: entry, entryID: entryID)
        call.reply = entry.wantsReply
        return call
    }

    private func functionCall(for entry: IntakeEntry, entryID: String) -> WorkspaceFunctionCall {
        let workspace = keys.workspace(entry.workspace)
        switch entry.command {
        case .newConversation(let conversation, let team, let priority):
            return ConversationNewScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap,
                                              conversation: conversation, team: team, priority: priority)
        case .closeConversation(let conversation):
            return ConversationCloseScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap, conversation: conversation)
        case .updateSettings(let change):
            return SettingsUpdateScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap, change: change)
        case .assignConversation(let conversation, let agent, let actor, let overCapacity):
            return ConversationAssignScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap, conversation: conversation,
                                                 agent: agent, actor: actor, overCapacity: overCapacity)
        case .transferConversation(let conversation, let team, let actor):
            return ConversationTransferScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap,
                                                   conversation: conversation, team: team, actor: actor)
        case .reassignAgent(let agent, let to, let actor, let overCapacity):
            return AgentReassignScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap, agent: agent, to: to,
                                            actor: actor, overCapacity: overCapacity)
        case .login, .heartbeat, .logout, .setStatus, .updateProfile:
            return AgentEventScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap,
                                         command: entry.command, sessionTTLMilliseconds: sessionTTL.wholeMilliseconds, replay: replay)
        }
    }
}
