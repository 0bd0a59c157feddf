// agent.login, agent.heartbeat, agent.logout, agent.status, agent.profile: one script that
// turns the entry into an agent event and applies it in stream order (AgentStateMachine).
import Foundation
import Redis

/// The script that applies every `agent.*` entry.
public enum AgentEventScript {
    static let script = WorkspaceScriptCall.script("agent_event", AgentStateMachine.source + #"""
    local agent, window, max_log = ARGV[4], tonumber(ARGV[6]), tonumber(ARGV[7])
    local event = cjson.decode(ARGV[5])
    -- A redelivered open still reports the expiry schedule: the worker that applied it may
    -- have died before scheduling the sweep.
    local function stale_outcome()
      if event.k == 'open' then return outcome('stale', {earliest = earliest_expiry()}) end
      return outcome('stale')
    end
    if is_stale(agent, ENTRY) then return stale_outcome() end
    if event.k == 'status' then
      event.a = event.a or agent
      event.r = 'manual'
      if event.a ~= agent then
        local role = redis.call('HGET', agent_key(event.a), 'role') or 'agent'
        if role ~= 'supervisor' and role ~= 'admin' and role ~= 'owner' then
          local why = string.format("Actor '%s' has role '%s' and may not change the status of agent '%s': only a supervisor, admin or owner may override a status.", event.a, role, agent)
          emit('rejected', {op = 'agent.status', agent_id = agent, status = event.st, actor = event.a, error = why},
            {'type', 'op', 'agent_id', 'status', 'actor', 'error', 'timestamp', 'version', 'entry'})
          return outcome('rejected', {error = why})
        end
        event.r = 'override'
      end
    end
    if apply_event(agent, ENTRY, event, window, max_log) == 'stale' then return stale_outcome() end
    if event.k == 'open' then return outcome('applied', {earliest = earliest_expiry()}) end
    return outcome('applied')
    """#)

    /// A direct `EVALSHA` of this script with entry id `*` (ordered as written now), as
    /// arguments for `redis-benchmark`: what one in-order agent entry costs Redis.
    public static func directCallArguments(keys: WorkspaceKeys, agent: String, eventJSON: String) -> [String] {
        ["EVALSHA", script.sha1, "1", keys.meta, keys.workspace.rawValue, "*", "100000", agent, eventJSON, "60000", "64"]
    }

    /// The script's source, for loading before direct calls.
    public static var source: String { script.source }

    /// The event JSON the state machine steps on, for one `agent.*` command.
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
                     sessionTTLMilliseconds: Int, replay: ReplayLimits) -> WorkspaceScriptCall {
        let json = (try? JSONSerialization.data(withJSONObject: event(for: command, sessionTTLMilliseconds: sessionTTLMilliseconds)))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return WorkspaceScriptCall(script, keys: keys, entryID: entryID, eventsCap: eventsCap,
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
