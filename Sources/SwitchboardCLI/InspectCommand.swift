// `switchboard inspect …`: read the current state of agents, queues and conversations straight from Redis.
import ArgumentParsing
import Foundation
import Redis
import Switchboard

enum InspectCommand {
    private static let shared = RedisOptions.options + [CommonOptions.workspace, CommonOptions.prefix]

    static let spec = CommandSpec(
        name: "inspect",
        abstract: "Show the state of a workspace, its agents, queues, conversations, keys, and of the workers and dead letters, read straight from Redis.",
        subcommands: [
            CommandSpec(name: "agent", abstract: "One agent: status, message, since, sessions, load, and whether routing may give them a conversation now.",
                        options: shared, flags: [CommonOptions.json], arguments: [Positional(name: "agent", help: "The agent's id.")]) { arguments in
                let workspace = try CommonOptions.workspace(arguments)
                let agent = try CommonOptions.identifier(arguments.positional("agent"), field: "agent")
                let snapshot = try reader(arguments).snapshot(of: workspace, onlyAgent: agent)
                guard let found = snapshot.agents.first else {
                    printError("workspace '\(workspace)' has no agent '\(agent)'.")
                    return 1
                }
                print(arguments.flag("json") ? try Render.json(found) : table(snapshot.agents, settings: snapshot.settings))
                return 0
            },
            CommandSpec(name: "agents", abstract: "Every agent of a workspace, with whether routing may give each a conversation now.",
                        options: shared, flags: [CommonOptions.json]) { arguments in
                let snapshot = try reader(arguments).snapshot(of: try CommonOptions.workspace(arguments))
                print(arguments.flag("json") ? try Render.json(snapshot.agents) : table(snapshot.agents, settings: snapshot.settings))
                return 0
            },
            CommandSpec(name: "queue", abstract: "The conversations waiting in a queue, next to be routed first, and how many wait.",
                        options: shared + [
                            Option(name: "team", short: "t", valueName: "TEAM", help: "The team's queue (default: the general queue)."),
                            Option(name: "limit", valueName: "N", help: "Show at most this many conversations.", defaultValue: "100"),
                        ],
                        flags: [CommonOptions.json]) { arguments in
                let workspace = try CommonOptions.workspace(arguments)
                let team = try arguments.value("team").map { try CommonOptions.identifier($0, field: "team") }
                let queue = try routingReader(arguments).queue(team: team, limit: try arguments.integer("limit", in: 1...100_000) ?? 100, in: workspace)
                print(arguments.flag("json") ? try Render.json(queue) : table(queue))
                return 0
            },
            CommandSpec(name: "conversation", abstract: "One conversation: state, team, priority, agent and times.",
                        options: shared, flags: [CommonOptions.json],
                        arguments: [Positional(name: "conversation", help: "The conversation's id.")]) { arguments in
                let workspace = try CommonOptions.workspace(arguments)
                let id = try CommonOptions.identifier(arguments.positional("conversation"), field: "conversation")
                guard let conversation = try routingReader(arguments).conversation(id, in: workspace) else {
                    printError("workspace '\(workspace)' has no conversation '\(id)' (closed ones are forgotten after a day).")
                    return 1
                }
                print(arguments.flag("json") ? try Render.json(conversation) : table(conversation))
                return 0
            },
        ] + operationsCommands(shared: shared)
    )

    static func reader(_ arguments: ParsedArguments) throws -> WorkspaceSnapshotReader {
        WorkspaceSnapshotReader(connection: try connection(arguments), keys: CommonOptions.keys(arguments))
    }

    static func routingReader(_ arguments: ParsedArguments) throws -> RoutingReader {
        RoutingReader(connection: try connection(arguments), keys: CommonOptions.keys(arguments))
    }

    private static func connection(_ arguments: ParsedArguments) throws -> RedisConnection {
        try RedisOptions.connection(from: arguments, clientName: "switchboard-inspect")
    }

    private static func table(_ agents: [AgentSnapshot], settings: WorkspaceSettings) -> String {
        let now = Render.now()
        let rows = agents.map { agent -> [String] in
            [agent.agent, "\(Terminal.dot(for: agent.status)) \(agent.status)", agent.message ?? "", Render.ago(agent.since, now: now),
             String(agent.sessions.count), "\(agent.load)/\(agent.capacity ?? settings.defaultCapacity)", eligibility(agent),
             agent.teams.joined(separator: ","), agent.role, agent.reason ?? ""]
        }
        return Render.table([["AGENT", "STATUS", "MESSAGE", "SINCE", "SESSIONS", "LOAD", "ELIGIBLE", "TEAMS", "ROLE", "REASON"]] + rows)
    }

    /// `yes`, `yes (busy fallback)`, or `no (why)`: routing's verdict, as in the JSON's `routing`.
    static func eligibility(_ agent: AgentSnapshot) -> String {
        switch agent.routing {
        case .pool: "yes"
        case .busyFallback: "yes (busy fallback)"
        case .status: agent.status == "busy" ? "no (busy, busy_fallback off)" : "no (\(agent.status))"
        case .noSession: "no (no session)"
        case .notInPool: "no (not in pool)"
        case .full: "no (full)"
        }
    }

    private static func table(_ queue: QueueSnapshot) -> String {
        let now = Render.now()
        let rows = queue.conversations.map { [String($0.position), $0.conversation, String($0.priority), Render.ago($0.createdAt, now: now)] }
        let name = queue.team.map { "team '\($0)' queue" } ?? "general queue"
        let shown = queue.count > rows.count ? "\(rows.count) shown of " : ""
        let summary = "\(shown)\(queue.count) waiting in the \(name)"
        return rows.isEmpty ? summary : Render.table([["POSITION", "CONVERSATION", "PRIORITY", "WAITING SINCE"]] + rows) + "\n" + summary
    }

    private static func table(_ conversation: ConversationSnapshot) -> String {
        Render.table([
            ["conversation", conversation.conversation],
            ["state", conversation.state],
            ["team", conversation.team ?? "– (general queue)"],
            ["priority", String(conversation.priority)],
            ["agent", conversation.agent ?? "–"],
            ["created", Render.time(conversation.createdAt)],
            ["assigned", Render.time(conversation.assignedAt)],
            ["closed", Render.time(conversation.closedAt)],
        ])
    }
}
