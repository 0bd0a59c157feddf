// `switchboard agent …`: write agent intake entries as any producer would, optionally
// waiting for the outcome.
import ArgumentParsing
import Switchboard

enum AgentCommand {
    private static let shared = IntakeSubmission.options
    private static let wait = IntakeSubmission.wait
    private static let agent = Positional(name: "agent", help: "The agent's id.")
    private static let session = Option(name: "session", short: "s", valueName: "ID", help: "The session (one per browser tab or device).")
    private static let profileOptions = ["preferred-status", "accept-chats-after-login", "capacity", "teams", "role"]

    static let spec = CommandSpec(
        name: "agent",
        abstract: "Log agents in and out, send heartbeats, change statuses and profiles, reassign conversations.",
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
                try IntakeSubmission.submit(arguments, op: "agent.status",
                    [("agent", arguments.positional("agent") ?? ""), ("status", arguments.positional("status") ?? "")]
                        + IntakeSubmission.fields(arguments, options: ["message", "actor"]))
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
                try IntakeSubmission.submit(arguments, op: "agent.profile",
                    [("agent", arguments.positional("agent") ?? "")] + IntakeSubmission.fields(arguments, options: profileOptions))
            },
            CommandSpec(
                name: "reassign", abstract: "Move all of an agent's open conversations back to their queues, or to another agent.",
                discussion: "Needs a supervisor, admin or owner as --actor. Without --to each conversation returns to its\nteam's queue at its original place.",
                options: shared + [
                    Option(name: "actor", valueName: "ID", help: "The supervisor, admin or owner who reassigns (required)."),
                    Option(name: "to", valueName: "AGENT", help: "The agent who takes the conversations (default: back to the queues)."),
                ],
                flags: [wait, IntakeSubmission.overCapacity], arguments: [agent]
            ) { arguments in
                try IntakeSubmission.submit(arguments, op: "agent.reassign",
                    [("agent", arguments.positional("agent") ?? ""), ("actor", try arguments.require("actor"))]
                        + IntakeSubmission.fields(arguments, options: ["to"]) + IntakeSubmission.overCapacityField(arguments))
            },
        ]
    )

    private static func sessionCommand(_ name: String, _ abstract: String) -> CommandSpec {
        CommandSpec(name: name, abstract: abstract, options: shared + [session], flags: [wait], arguments: [agent]) { arguments in
            try IntakeSubmission.submit(arguments, op: "agent.\(name)",
                [("agent", arguments.positional("agent") ?? ""), ("session", try arguments.require("session"))])
        }
    }
}
