// `switchboard agent …`: write agent intake entries as any producer would, optionally
// waiting for the outcome.
import ArgumentParsing
import Redis
import Switchboard

enum AgentCommand {
    private static let shared: [Option] = RedisOptions.options + [CommonOptions.workspace, CommonOptions.prefix,
        Option(name: "timeout", valueName: "DURATION", help: "With --wait: how long to wait for a worker.", defaultValue: "5s")]
    private static let wait = Flag(name: "wait", help: "Wait until a worker has applied the entry and print the outcome.")
    private static let agent = Positional(name: "agent", help: "The agent's id.")
    private static let session = Option(name: "session", short: "s", valueName: "ID", help: "The session (one per browser tab or device).")

    static let spec = CommandSpec(
        name: "agent",
        abstract: "Log agents in and out, send heartbeats, change statuses and profiles.",
        subcommands: [
            sessionCommand("login", "Open a session (the first one of a login applies the preferred status)."),
            sessionCommand("heartbeat", "Keep a session alive (re-creates it if unknown)."),
            sessionCommand("logout", "Close a session (the last one takes the agent offline)."),
            CommandSpec(
                name: "status", abstract: "Set an agent's status: online, busy, away, dnd or offline.",
                options: shared + [
                    Option(name: "message", short: "m", valueName: "TEXT", help: "A status message (at most 280 characters)."),
                    Option(name: "actor", valueName: "ID", help: "Who makes the change, when not the agent (a supervisor override)."),
                ],
                flags: [wait], arguments: [agent, Positional(name: "status", help: "online, busy, away, dnd or offline.")]
            ) { arguments in
                try submit(arguments) { workspace, agent in
                    var fields = [("op", "agent.status"), ("workspace", workspace), ("agent", agent), ("status", arguments.positional("status") ?? "")]
                    if let message = arguments.value("message") { fields.append(("message", message)) }
                    if let actor = arguments.value("actor") { fields.append(("actor", actor)) }
                    return fields
                }
            },
            CommandSpec(
                name: "profile", abstract: "Change an agent's profile settings.",
                options: shared + [
                    Option(name: "preferred-status", valueName: "STATUS", help: "Status applied by the first session of a login."),
                    Option(name: "accept-chats-after-login", valueName: "BOOL", help: "true or false: enter the routing pool at login."),
                    Option(name: "capacity", valueName: "N", help: "How many conversations the agent takes at once."),
                    Option(name: "teams", valueName: "LIST", help: "Comma-separated team ids."),
                    Option(name: "role", valueName: "ROLE", help: "agent, supervisor, admin or owner."),
                ],
                flags: [wait], arguments: [agent]
            ) { arguments in
                try submit(arguments) { workspace, agent in
                    var fields = [("op", "agent.profile"), ("workspace", workspace), ("agent", agent)]
                    for name in ["preferred-status", "accept-chats-after-login", "capacity", "teams", "role"] {
                        if let value = arguments.value(name) { fields.append((name.replacingOccurrences(of: "-", with: "_"), value)) }
                    }
                    return fields
                }
            },
        ]
    )

    private static func sessionCommand(_ name: String, _ abstract: String) -> CommandSpec {
        CommandSpec(name: name, abstract: abstract, options: shared + [session], flags: [wait], arguments: [agent]) { arguments in
            try submit(arguments) { workspace, agent in
                [("op", "agent.\(name)"), ("workspace", workspace), ("agent", agent),
                 ("session", try arguments.require("session"))]
            }
        }
    }

    /// Validates the fields exactly as a worker will, writes the entry, and with --wait
    /// prints the worker's outcome.
    private static func submit(_ arguments: ParsedArguments, fields build: (String, String) throws -> [(String, String)]) throws -> Int32 {
        let workspace = try CommonOptions.workspace(arguments)
        var fields = try build(workspace.rawValue, arguments.positional("agent") ?? "")
        let waiting = arguments.flag("wait")
        if waiting { fields.append(("reply", "1")) }
        let entry: IntakeEntry
        switch IntakeParser.parse(fields.map { (Array($0.0.utf8), Array($0.1.utf8)) }) {
        case .success(let parsed): entry = parsed
        case .failure(let rejection): throw ValidationError(rejection.message)
        }
        let connection = RedisConnection(configuration: try RedisOptions.configuration(from: arguments, clientName: "switchboard-cli"))
        let client = IntakeClient(connection: connection, keys: CommonOptions.keys(arguments))
        let id = try client.submit(entry)
        guard waiting else {
            print(id)
            return 0
        }
        guard let outcome = try client.outcome(of: id, timeout: try arguments.duration("timeout") ?? .seconds(5)) else {
            printError("entry \(id) was written but no worker applied it within the timeout: is a worker running (switchboard worker)?")
            return 1
        }
        print(outcome)
        return outcome.contains("\"outcome\":\"rejected\"") ? 1 : 0
    }
}
