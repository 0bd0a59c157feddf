// A switchboard-like command tree shared by the tests, plus helpers to parse without I/O.

import ArgumentParsing

enum Fixtures {
    static let redis = Option(
        name: "redis", short: "r", valueName: "URL",
        help: "Redis server URL.", environment: "REDIS_URL", defaultValue: "redis://127.0.0.1:6379"
    )
    static let workspace = Option(
        name: "workspace", short: "w", valueName: "name",
        help: "Workspace identifier.", environment: "SWITCHBOARD_WORKSPACE"
    )

    static let root = CommandSpec(
        name: "switchboard",
        abstract: "Presence and routing for live chat.",
        subcommands: [
            CommandSpec(name: "ping", abstract: "Check that Redis answers.", options: [redis]) { _ in 0 },
            CommandSpec(
                name: "worker",
                abstract: "Run a stateless worker.",
                discussion: "Workers share nothing.\nStart as many as you like.",
                options: [
                    redis,
                    Option(name: "redis-password", valueName: "password", help: "Redis AUTH password.", environment: "REDIS_PASSWORD"),
                    Option(name: "session-ttl", valueName: "seconds", help: "Session lifetime.", environment: "SESSION_TTL", defaultValue: "60"),
                    Option(name: "poll-interval", valueName: "duration", help: "Polling interval.", defaultValue: "5s"),
                    Option(name: "tag", short: "t", help: "Tag for this worker.", isRepeatable: true),
                    Option(name: "client-secret", help: "OAuth client secret.", defaultValue: "s3cr3t-default"),
                ],
                flags: [
                    Flag(name: "verbose", short: "v", help: "Log more.", environment: "SWITCHBOARD_VERBOSE"),
                    Flag(name: "dry-run", short: "n", help: "Do not write."),
                ]
            ) { _ in 0 },
            CommandSpec(
                name: "agent",
                abstract: "Manage agents.",
                subcommands: [
                    CommandSpec(
                        name: "status",
                        abstract: "Set an agent's status.",
                        options: [workspace, Option(name: "message", short: "m", valueName: "text", help: "Status message.")],
                        flags: [Flag(name: "wait", help: "Wait for confirmation.")],
                        arguments: [Positional(name: "agent", help: "Agent id."), Positional(name: "status", help: "New status.")]
                    ) { _ in 0 },
                    CommandSpec(
                        name: "list",
                        abstract: "List agents.",
                        options: [workspace],
                        arguments: [Positional(name: "prefix", help: "Only ids with this prefix.", isOptional: true)]
                    ) { _ in 0 },
                    CommandSpec(
                        name: "tag",
                        abstract: "Tag an agent.",
                        arguments: [Positional(name: "agent"), Positional(name: "labels", help: "Labels to add.", isVariadic: true)]
                    ) { _ in 0 },
                ]
            ),
            CommandSpec(
                name: "inspect",
                abstract: "Inspect live state.",
                subcommands: [
                    CommandSpec(
                        name: "agents",
                        abstract: "Show agents in a workspace.",
                        options: [workspace],
                        flags: [Flag(name: "json", short: "j", help: "Print JSON.")]
                    ) { _ in 0 },
                ]
            ),
        ]
    )

    /// Parses `switchboard <words...>`.
    static func parse(_ words: String..., environment: [String: String] = [:]) -> ParseOutcome {
        CommandLineTool.parse(root, arguments: ["/usr/local/bin/switchboard"] + words, environment: environment, version: "1.2.3")
    }

    /// Parses `switchboard <words...>` and returns the arguments, or nil if parsing did not succeed.
    static func arguments(_ words: String..., environment: [String: String] = [:]) -> ParsedArguments? {
        let outcome = CommandLineTool.parse(root, arguments: ["switchboard"] + words, environment: environment, version: "1.2.3")
        return outcome.arguments
    }
}
