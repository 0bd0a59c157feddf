// `switchboard conversation …`: write routing intake entries for conversations as any
// producer would, optionally waiting for the outcome.
import ArgumentParsing

enum ConversationCommand {
    private static let shared = IntakeSubmission.options
    private static let wait = IntakeSubmission.wait
    private static let conversation = Positional(name: "conversation", help: "The conversation's id.")

    static let spec = CommandSpec(
        name: "conversation",
        abstract: "Open, close, assign and transfer conversations.",
        subcommands: [
            CommandSpec(
                name: "new", abstract: "Queue a new conversation; routing gives it to an agent with room as soon as there is one.",
                options: shared + [
                    Option(name: "team", short: "t", valueName: "TEAM", help: "The team whose queue it joins (default: the general queue)."),
                    Option(name: "priority", short: "p", valueName: "N", help: "-1000 to 1000; higher is served first (default 0)."),
                ],
                flags: [wait], arguments: [conversation]
            ) { arguments in
                try IntakeSubmission.submit(arguments, op: "conversation.new",
                    fields(arguments) + IntakeSubmission.fields(arguments, options: ["team", "priority"]))
            },
            CommandSpec(
                name: "close", abstract: "Close a conversation, freeing its agent's room.",
                options: shared, flags: [wait], arguments: [conversation]
            ) { arguments in
                try IntakeSubmission.submit(arguments, op: "conversation.close", fields(arguments))
            },
            CommandSpec(
                name: "assign", abstract: "Give a conversation to an agent (a supervisor, admin or owner decides).",
                options: shared + [Option(name: "actor", valueName: "ID", help: "The supervisor, admin or owner who assigns (required).")],
                flags: [wait, IntakeSubmission.overCapacity],
                arguments: [conversation, Positional(name: "agent", help: "The agent who takes the conversation.")]
            ) { arguments in
                try IntakeSubmission.submit(arguments, op: "conversation.assign",
                    fields(arguments) + [("agent", arguments.positional("agent") ?? ""), ("actor", try arguments.require("actor"))]
                        + IntakeSubmission.overCapacityField(arguments))
            },
            CommandSpec(
                name: "transfer", abstract: "Move a conversation to another team's queue (its agent, if any, lets it go).",
                options: shared + [Option(name: "actor", valueName: "ID", help: "Who transfers it, for the record.")],
                flags: [wait], arguments: [conversation, Positional(name: "team", help: "The team that takes the conversation.")]
            ) { arguments in
                try IntakeSubmission.submit(arguments, op: "conversation.transfer",
                    fields(arguments) + [("team", arguments.positional("team") ?? "")] + IntakeSubmission.fields(arguments, options: ["actor"]))
            },
        ]
    )

    private static func fields(_ arguments: ParsedArguments) -> [(String, String)] {
        [("conversation", arguments.positional("conversation") ?? "")]
    }
}
