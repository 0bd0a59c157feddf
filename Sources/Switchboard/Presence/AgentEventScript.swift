// agent.login, agent.heartbeat, agent.logout, agent.status, agent.profile: one function
// (Lua/functions/agent_event.lua) that applies the entry as an agent event in stream order.
import Foundation
import Redis

/// The function that applies every `agent.*` entry.
public enum AgentEventScript {
    static let function = SwitchboardLibrary.library.function("agent_event")

    /// The event JSON the state machine (Lua/includes/agent_state.lua) steps on, for one `agent.*` command.
    static func event(for command: IntakeCommand, sessionTTLMilliseconds ttl: Int) -> [String: Any] {
        switch command {
        case .newConversation, .closeConversation, .updateSettings, .assignConversation, .transferConversation, .reassignAgent:
            preconditionFailure("not an agent command: \(command.op)")
        case .login(_, let session), .heartbeat(_, let session):
            return ["k": "open", "s": session.rawValue, "ttl": ttl]
        case .logout(_, let session):
            return ["k": "close", "s": session.rawValue]
        case .setStatus(_, let status, let message, let actor):
            var event: [String: Any] = ["k": "status", "st": status.rawValue]
            if let message { event["m"] = message }
            if let actor { event["a"] = actor.rawValue }
            return event
        case .updateProfile(_, let change):
            var fields: [String: String] = [:]
            if let value = change.preferredStatus { fields["preferred_status"] = value.rawValue }
            if let value = change.acceptChatsAfterLogin { fields["accept_chats_after_login"] = value ? "true" : "false" }
            if let value = change.capacity { fields["capacity"] = String(value) }
            if let value = change.teams { fields["teams"] = value.map(\.rawValue).joined(separator: ",") }
            if let value = change.role { fields["role"] = value.rawValue }
            return ["k": "profile", "f": fields]
        }
    }

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, command: IntakeCommand,
                     sessionTTLMilliseconds: Int, replay: ReplayLimits) -> WorkspaceFunctionCall {
        let json = (try? JSONSerialization.data(withJSONObject: event(for: command, sessionTTLMilliseconds: sessionTTLMilliseconds)))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return WorkspaceFunctionCall(function, keys: keys, entryID: entryID, eventsCap: eventsCap,
                                     arguments: [command.agent?.rawValue ?? "", json, replay.windowMilliseconds, replay.maxEvents])
    }
}

/// How much of an agent's recent history is kept to put late entries in order.
public struct ReplayLimits: Sendable, Hashable {
    /// Applied entries stay in the agent's log this long (apply time); an entry applied
    /// after its successors left the log is acknowledged without effect.
    public var windowMilliseconds: Int = 60_000
    /// At most this many entries are kept per agent.
    public var maxEvents: Int = 64

    public init(windowMilliseconds: Int = 60_000, maxEvents: Int = 64) {
        self.windowMilliseconds = windowMilliseconds
        self.maxEvents = maxEvents
    }
}
