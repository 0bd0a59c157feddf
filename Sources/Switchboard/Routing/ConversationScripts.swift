// The calls of the conversation and settings functions (Lua/functions/conversation_*.lua,
// agent_reassign.lua, settings_update.lua): each one atomic function that also drains
// whatever queue the change lets move.
import Redis

enum ConversationNewScript {
    static let function = SwitchboardLibrary.library.function("conversation_new")

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, conversation: Identifier, team: Identifier?, priority: Int) -> WorkspaceFunctionCall {
        WorkspaceFunctionCall(function, keys: keys, entryID: entryID, eventsCap: eventsCap,
                              arguments: [conversation.rawValue, team?.rawValue ?? "", priority])
    }
}

enum ConversationCloseScript {
    static let function = SwitchboardLibrary.library.function("conversation_close")

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, conversation: Identifier) -> WorkspaceFunctionCall {
        WorkspaceFunctionCall(function, keys: keys, entryID: entryID, eventsCap: eventsCap, arguments: [conversation.rawValue])
    }
}

enum SettingsUpdateScript {
    static let function = SwitchboardLibrary.library.function("settings_update")

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, change: WorkspaceSettingsChange) -> WorkspaceFunctionCall {
        WorkspaceFunctionCall(function, keys: keys, entryID: entryID, eventsCap: eventsCap,
                              arguments: change.fields.flatMap { [$0.name, $0.value] as [any RedisArgumentConvertible] })
    }
}

enum ConversationAssignScript {
    static let function = SwitchboardLibrary.library.function("conversation_assign")

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, conversation: Identifier, agent: Identifier,
                     actor: Identifier, overCapacity: Bool) -> WorkspaceFunctionCall {
        WorkspaceFunctionCall(function, keys: keys, entryID: entryID, eventsCap: eventsCap,
                              arguments: [conversation.rawValue, agent.rawValue, actor.rawValue, overCapacity ? "true" : "false"])
    }
}

enum ConversationTransferScript {
    static let function = SwitchboardLibrary.library.function("conversation_transfer")

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, conversation: Identifier, team: Identifier, actor: Identifier?) -> WorkspaceFunctionCall {
        WorkspaceFunctionCall(function, keys: keys, entryID: entryID, eventsCap: eventsCap,
                              arguments: [conversation.rawValue, team.rawValue, actor?.rawValue ?? ""])
    }
}

enum AgentReassignScript {
    static let function = SwitchboardLibrary.library.function("agent_reassign")

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, agent: Identifier, to: Identifier?, actor: Identifier,
                     overCapacity: Bool) -> WorkspaceFunctionCall {
        WorkspaceFunctionCall(function, keys: keys, entryID: entryID, eventsCap: eventsCap,
                              arguments: [agent.rawValue, to?.rawValue ?? "", actor.rawValue, overCapacity ? "true" : "false"])
    }
}
