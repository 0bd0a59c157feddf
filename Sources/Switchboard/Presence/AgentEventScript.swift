// agent.login, agent.heartbeat, agent.logout, agent.status, agent.profile: one function
// (Lua/functions/agent_event.lua) that applies the entry as an agent event in stream order.
import Foundation
import Logging
import Redis

/// The function that applies every `agent.*` entry.
public enum AgentEventScript {
    static let function = SwitchboardLibrary.library.function("agent_event")

    /// The event JSON the state machine (Lua/includes/agent_state.lua) steps on, for one
    /// `agent.*` command. Written by hand: one per entry on the hot path, where
    /// JSONSerialization cost more than the function.
    static func eventJSON(for command: IntakeCommand, sessionTTLMilliseconds ttl: Int) -> String {
        switch command {
        case .newConversation, .closeConversation, .updateSettings, .assignConversation, .transferConversation, .reassignAgent:
            preconditionFailure("not an agent command: \(command.op)")
        case .login(_, let session), .heartbeat(_, let session):
            return #"{"k":"open","s":"# + JSONText.quoted(session.rawValue) + #","ttl":\#(ttl)}"#
        case .logout(_, let session):
            return #"{"k":"close","s":"# + JSONText.quoted(session.rawValue) + "}"
        case .setStatus(_, let status, let message, let actor):
            var json = #"{"k":"status","st":"# + JSONText.quoted(status.rawValue)
            if let message { json += #","m":"# + JSONText.quoted(message) }
            if let actor { json += #","a":"# + JSONText.quoted(actor.rawValue) }
            return json + "}"
        case .updateProfile(_, let change):
            var fields: [(String, String)] = []
            if let value = change.preferredStatus { fields.append(("preferred_status", value.rawValue)) }
            if let value = change.acceptChatsAfterLogin { fields.append(("accept_chats_after_login", value ? "true" : "false")) }
            if let value = change.capacity { fields.append(("capacity", String(value))) }
            if let value = change.teams { fields.append(("teams", value.map(\.rawValue).joined(separator: ","))) }
            if let value = change.role { fields.append(("role", value.rawValue)) }
            return #"{"k":"profile","f":{"# + fields.map { JSONText.quoted($0.0) + ":" + JSONText.quoted($0.1) }.joined(separator: ",") + "}}"
        }
    }

    static func call(keys: WorkspaceKeys, entryID: String, eventsCap: Int, command: IntakeCommand,
                     sessionTTLMilliseconds: Int, replay: ReplayLimits) -> WorkspaceFunctionCall {
        WorkspaceFunctionCall(function, keys: keys, entryID: entryID, eventsCap: eventsCap,
                              arguments: [command.agent?.rawValue ?? "", eventJSON(for: command, sessionTTLMilliseconds: sessionTTLMilliseconds),
                                          replay.windowMilliseconds, replay.maxEvents])
    }
}

/// JSON string literals, for the few JSON texts the worker writes by hand.
enum JSONText {
    /// `text` as a JSON string literal, quotes included (the log's escaper: JSON's rules).
    static func quoted(_ text: String) -> String { "\"" + Escaping.escaped(text) + "\"" }
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
