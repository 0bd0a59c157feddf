// The routing rules checked on what the workers wrote: a workspace's events stream replayed
// in order, as a client following it would (scripts/chaos.py replays it the same way).
import Foundation
import Redis

/// One workspace's events replayed in stream order, collecting every break of the routing
/// rules: a conversation assigned twice or after it was closed, an agent over capacity or
/// not Online at the moment of an assignment, and a version out of sequence (an event written
/// twice, or one lost). Meant for runs without transfers and reassignments.
public struct RoutingReplay {
    /// Each conversation's agent, from its (only) assignment.
    public private(set) var holder: [String: String] = [:]
    /// Each agent's open conversations at the end.
    public private(set) var open: [String: Set<String>] = [:]
    /// Every conversation that was closed.
    public private(set) var closed = Set<String>()
    /// Every break of the rules, in the order met.
    public private(set) var violations: [String] = []

    /// Replays `events` (oldest first) for agents of the given capacities.
    public init(events: [[String: String]], capacity: [String: Int]) {
        var status: [String: String] = [:]
        var lastVersion: Int?
        for event in events {
            if let version = event["version"].flatMap({ Int($0) }) {
                if let last = lastVersion, version != last + 1 { violations.append("version \(version) follows \(last)") }
                lastVersion = version
            }
            switch event["type"] {
            case "status":
                status[event["agent_id"]!] = event["status"]
            case "assigned":
                let conversation = event["conversation_id"]!, agent = event["agent_id"]!
                if holder[conversation] != nil { violations.append("\(conversation) assigned twice") }
                if closed.contains(conversation) { violations.append("\(conversation) assigned after closing") }
                if status[agent] != "online" || event["agent_status"] != "online" {
                    violations.append("\(conversation) went to \(agent) while \(status[agent] ?? "unknown")")
                }
                holder[conversation] = agent
                open[agent, default: []].insert(conversation)
                if open[agent]!.count > capacity[agent] ?? 0 { violations.append("\(agent) over capacity: \(open[agent]!.count) > \(capacity[agent] ?? 0)") }
            case "closed":
                let conversation = event["conversation_id"]!
                closed.insert(conversation)
                if let agent = holder[conversation] { open[agent]?.remove(conversation) }
            default:
                break
            }
        }
    }

    /// Where the stored state of the harness's workspace (or of `workspace`) disagrees with
    /// the replay: every conversation in `conversations` must be exactly one of queued (in the
    /// queue, never assigned), assigned to the agent the replay gave it, or closed (nothing
    /// lost); every agent's `load` and `:conversations` set must match its open conversations.
    public func disagreements(in harness: PresenceHarness, workspace: String? = nil, conversations: [String], agents: [String]) throws -> [String] {
        var found: [String] = []
        let key = { (suffix: String) in harness.workspaceKey(suffix, of: workspace ?? harness.workspace) }
        let stored = try harness.connection.pipeline(conversations.flatMap { id in
            [RedisCommand("HMGET", key("conversation:\(id)"), "state", "agent"), RedisCommand("ZSCORE", key("queue"), id)]
        })
        for (index, id) in conversations.enumerated() {
            let fields = try stored[2 * index].orThrow().array ?? []
            let state = fields.first?.string, agent = fields.count > 1 ? fields[1].string : nil
            let inQueue = try stored[2 * index + 1].orThrow().isNull == false
            switch state {
            case "queued" where inQueue && holder[id] == nil && !closed.contains(id): break
            case "assigned" where !inQueue && !closed.contains(id) && holder[id] == agent: break
            case "closed" where !inQueue && closed.contains(id): break
            default: found.append("\(id): stored \(state ?? "nothing") (agent \(agent ?? "none"), queued \(inQueue)), replayed holder \(holder[id] ?? "none"), closed \(closed.contains(id))")
            }
        }
        for agent in agents {
            let load = try harness.connection.send(RedisCommand("HGET", key("agent:\(agent)"), "load")).string.flatMap { Int($0) } ?? 0
            let members = try harness.connection.send(RedisCommand("SCARD", key("agent:\(agent):conversations"))).int ?? 0
            if load != members || load != (open[agent]?.count ?? 0) { found.append("\(agent): load \(load), \(members) in its set, \(open[agent]?.count ?? 0) replayed") }
        }
        return found
    }
}
