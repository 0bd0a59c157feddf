// The load of `switchboard demo`: a workspace of agents and a trickle of conversations and
// status changes, written to the intake stream exactly as a chat back end would (XADD only;
// state is read back from Redis, never written directly).
import Foundation
import Redis
import Switchboard

/// SplitMix64: small, fast and seedable, so a run's choices can be replayed with `--seed`.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// A mistake of the demo itself (an entry the workers would refuse).
struct DemoError: Error, CustomStringConvertible {
    let description: String
}

/// One intake entry the demo wrote.
struct DemoAction {
    /// The stream entry id Redis assigned.
    var entry: String
    var op: String
    /// The op's fields (without `op` and `workspace`).
    var fields: [(name: String, value: String)]

    /// `agent.status agent=ana status=away message="Lunch"`
    var summary: String {
        ([op] + fields.map { field in
            let quoted = field.value.isEmpty || field.value.contains(" ") ? "\"\(field.value)\"" : field.value
            return "\(field.name)=\(quoted)"
        }).joined(separator: " ")
    }
}

/// The demo's agents and the choices of what to send next.
struct DemoLoad {
    struct Agent {
        let id: String
        let capacity: Int
        let teams: [String]
        let role: String
        var loggedIn = false
        /// The status the demo last sent for the agent (the worker may have changed it since, e.g. expiry).
        var status = "offline"
        /// When logged out: the number of actions sent after which the agent logs in again.
        var returnsAfter: Int?
    }

    static let teams = ["sales", "support", "billing"]
    static let names = ["ana", "ben", "chloe", "dev", "emma", "farid", "grace", "hiro",
                        "ines", "jonas", "kofi", "lena", "mateo", "nora", "omar", "priya"]
    /// One session per agent: a restarted demo refreshes it instead of opening a second one.
    static let session = "web-1"
    static let messages = [
        "busy": ["On a call", "Writing a reply", ""],
        "away": ["Lunch", "Back in 10 minutes", "Coffee break"],
        "dnd": ["In a meeting", "Training", "Focus time"],
    ]

    let workspace: Identifier
    let client: IntakeClient
    private(set) var agents: [Agent]
    private(set) var sent = 0
    private var random: SeededGenerator
    /// Makes conversation ids unique per run: an id reused within a day of its close is
    /// `stale` (protocol.md), and the demo's Redis keeps its data between runs.
    private let runTag = String(Int(Date().timeIntervalSince1970), radix: 36)
    private var conversations = 0

    init(workspace: Identifier, client: IntakeClient, agentCount: Int, seed: UInt64) {
        self.workspace = workspace
        self.client = client
        random = SeededGenerator(seed: seed)
        var agents: [Agent] = []
        for index in 0..<agentCount {
            let id = index < Self.names.count ? Self.names[index] : "agent-\(index + 1)"
            // Every team gets members; every other agent serves a second team.
            var teams = [Self.teams[index % Self.teams.count]]
            if index % 2 == 1 { teams.append(Self.teams[(index + 1) % Self.teams.count]) }
            agents.append(Agent(id: id, capacity: 1 + index % 3, teams: teams, role: index == 0 ? "supervisor" : "agent"))
        }
        self.agents = agents
    }

    /// Workspace settings, each agent's profile, then a login for each: what a chat back end
    /// sends when a team starts its day. The last entry asks for a reply, so the caller can
    /// tell whether a worker is applying entries.
    mutating func seed() throws -> [DemoAction] {
        var actions = [try write("workspace.settings", [("routing", "least_loaded"), ("busy_fallback", "true"), ("default_capacity", "2")])]
        for agent in agents {
            actions.append(try write("agent.profile", [("agent", agent.id), ("capacity", String(agent.capacity)),
                                                       ("teams", agent.teams.joined(separator: ",")), ("role", agent.role),
                                                       ("preferred_status", "online"), ("accept_chats_after_login", "true")]))
        }
        for index in agents.indices {
            actions.append(try write("agent.login", [("agent", agents[index].id), ("session", Self.session)],
                                     reply: index == agents.count - 1))
            agents[index].loggedIn = true
            agents[index].status = "online"
        }
        return actions
    }

    /// One heartbeat per logged-in session, so no session expires while the demo runs.
    mutating func heartbeats() throws -> Int {
        let live = agents.filter(\.loggedIn)
        for agent in live { _ = try write("agent.heartbeat", [("agent", agent.id), ("session", Self.session)], counted: false) }
        return live.count
    }

    /// Sends the next action: mostly new conversations, closes of assigned ones and status
    /// changes; now and then a logout (and a login later) or a supervisor's override.
    mutating func step(on connection: RedisConnection, keys: WorkspaceKeys) throws -> DemoAction {
        if let index = agents.indices.first(where: { !agents[$0].loggedIn && (agents[$0].returnsAfter ?? .max) <= sent }) {
            agents[index].loggedIn = true
            agents[index].returnsAfter = nil
            agents[index].status = "online"
            return try write("agent.login", [("agent", agents[index].id), ("session", Self.session)])
        }
        let (loads, queues) = try state(on: connection, keys: keys)
        let waiting = queues.values.reduce(0, +)
        let open = loads.values.reduce(0, +)
        let loggedIn = agents.indices.filter { agents[$0].loggedIn }
        // Fewer new conversations while many wait, so the queues stay short enough to read.
        var choices: [(String, Double)] = [("new", waiting > agents.count ? 0.15 : 0.42), ("status", 0.24)]
        // Closes grow with the load: chats pile up a little when agents are full, then drain.
        let capacity = loggedIn.map { agents[$0].capacity }.reduce(0, +)
        if open > 0 { choices.append(("close", 0.5 * min(1, Double(open) / Double(max(1, capacity))))) }
        if waiting > 0 { choices.append(("abandon", 0.02 * Double(min(waiting, 5)))) }
        if loggedIn.count > 2 { choices += [("logout", 0.025), ("override", 0.015)] }
        switch pick(choices) {
        case "close":
            if let action = try close(loads: loads, on: connection, keys: keys) { return action }
            return try newConversation()
        case "abandon":
            if let action = try abandon(queues: queues, on: connection, keys: keys) { return action }
            return try newConversation()
        case "status": return try statusChange(among: loggedIn)
        case "logout":
            let index = loggedIn.randomElement(using: &random)!
            agents[index].loggedIn = false
            agents[index].status = "offline"
            agents[index].returnsAfter = sent + Int.random(in: 8...25, using: &random)
            return try write("agent.logout", [("agent", agents[index].id), ("session", Self.session)])
        case "override": return try override(among: loggedIn)
        default: return try newConversation()
        }
    }

    private mutating func newConversation() throws -> DemoAction {
        conversations += 1
        var fields = [("conversation", "c-\(runTag)-\(conversations)")]
        if Double.random(in: 0..<1, using: &random) < 0.55 { fields.append(("team", Self.teams.randomElement(using: &random)!)) }
        let roll = Double.random(in: 0..<1, using: &random)
        if roll < 0.1 { fields.append(("priority", "10")) } else if roll < 0.3 { fields.append(("priority", "5")) }
        return try write("conversation.new", fields)
    }

    /// Closes one conversation of an agent who has some, picked in proportion to their load.
    private mutating func close(loads: [String: Int], on connection: RedisConnection, keys: WorkspaceKeys) throws -> DemoAction? {
        let holders = loads.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        var ticket = Int.random(in: 0..<max(1, holders.map(\.value).reduce(0, +)), using: &random)
        guard let holder = holders.first(where: { ticket -= $0.value; return ticket < 0 }),
              let agent = Identifier(holder.key),
              let conversation = try connection.send(RedisCommand("SRANDMEMBER", keys.agentConversations(agent))).string
        else { return nil }
        return try write("conversation.close", [("conversation", conversation)])
    }

    /// Brings back an agent who is not Online, or takes one away for a while: the view keeps
    /// most agents green with a few of every other colour.
    private mutating func statusChange(among loggedIn: [Int]) throws -> DemoAction {
        let away = loggedIn.filter { agents[$0].status != "online" }
        let present = loggedIn.filter { agents[$0].status == "online" }
        let index: Int
        let status: String
        // Balances near a third of the agents not Online.
        let comeBack = Double(away.count) / (Double(away.count) + max(1, Double(agents.count) / 3))
        if let back = away.randomElement(using: &random), present.isEmpty || Double.random(in: 0..<1, using: &random) < comeBack {
            index = back
            status = "online"
        } else if let leaving = present.randomElement(using: &random) {
            index = leaving
            status = pick([("busy", 0.4), ("away", 0.35), ("dnd", 0.25)])
        } else {
            return try newConversation()
        }
        agents[index].status = status
        var fields = [("agent", agents[index].id), ("status", status)]
        if let message = Self.messages[status]?.randomElement(using: &random), !message.isEmpty { fields.append(("message", message)) }
        return try write("agent.status", fields)
    }

    /// The supervisor pauses an agent: an override, which only a supervisor may send.
    private mutating func override(among loggedIn: [Int]) throws -> DemoAction {
        guard let supervisor = agents.first(where: { $0.role == "supervisor" }),
              let index = loggedIn.filter({ agents[$0].id != supervisor.id }).randomElement(using: &random)
        else { return try newConversation() }
        agents[index].status = "dnd"
        return try write("agent.status", [("agent", agents[index].id), ("status", "dnd"), ("message", "Paused by \(supervisor.id)"),
                                          ("actor", supervisor.id)])
    }

    /// Each demo agent's open conversations and the queues' depths, read from Redis; the
    /// agents' statuses are taken from there too, since the workers (an expiry, a status
    /// left by an earlier run whose session still lives) may have changed them.
    private mutating func state(on connection: RedisConnection, keys: WorkspaceKeys) throws -> (loads: [String: Int], queues: [Identifier?: Int]) {
        let queues = [nil] + Self.teams.map(Identifier.init)
        let replies = try connection.pipeline(agents.map { RedisCommand("HMGET", keys.agent(Identifier($0.id)!), "load", "status") }
                                                  + queues.map { RedisCommand("ZCARD", keys.queue(team: $0)) })
        var loads: [String: Int] = [:]
        for index in agents.indices {
            let values = try replies[index].orThrow().array ?? []
            loads[agents[index].id] = values.first?.string.flatMap { Int($0) } ?? 0
            if agents[index].loggedIn, values.count > 1, let status = values[1].string { agents[index].status = status }
        }
        var depths: [Identifier?: Int] = [:]
        for (queue, reply) in zip(queues, replies.dropFirst(agents.count)) { depths[queue] = try reply.orThrow().int ?? 0 }
        return (loads, depths)
    }

    /// A customer waiting in a queue gives up: their conversation is closed before any agent took it.
    private mutating func abandon(queues: [Identifier?: Int], on connection: RedisConnection, keys: WorkspaceKeys) throws -> DemoAction? {
        let waiting = queues.filter { $0.value > 0 }.map(\.key).sorted { ($0?.rawValue ?? "") < ($1?.rawValue ?? "") }
        guard let queue = waiting.randomElement(using: &random),
              let conversation = try connection.send(RedisCommand("ZRANDMEMBER", keys.queue(team: queue))).string
        else { return nil }
        return try write("conversation.close", [("conversation", conversation)])
    }

    private mutating func pick(_ choices: [(String, Double)]) -> String {
        var roll = Double.random(in: 0..<choices.map(\.1).reduce(0, +), using: &random)
        for (choice, weight) in choices {
            roll -= weight
            if roll < 0 { return choice }
        }
        return choices.last!.0
    }

    /// Validates the entry with the workers' own parser, then appends it to the intake stream.
    private mutating func write(_ op: String, _ fields: [(String, String)], reply: Bool = false, counted: Bool = true) throws -> DemoAction {
        let all = [("op", op), ("workspace", workspace.rawValue)] + fields + (reply ? [("reply", "1")] : [])
        switch IntakeParser.parse(all.map { (name: $0.0, value: $0.1) }) {
        case .success(let entry):
            let id = try client.submit(entry)
            if counted { sent += 1 }
            return DemoAction(entry: id, op: op, fields: fields.map { (name: $0.0, value: $0.1) })
        case .failure(let rejection):
            throw DemoError(description: "the demo built an invalid \(op) entry: \(rejection.message)")
        }
    }
}
