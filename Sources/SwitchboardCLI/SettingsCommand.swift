// `switchboard settings`: change a workspace's routing settings with a `workspace.settings`
// intake entry, or print them when no setting is given.
import ArgumentParsing
import Switchboard

enum SettingsCommand {
    private static let settings = ["routing", "busy-fallback", "default-capacity", "ai-chat"]

    static let spec = CommandSpec(
        name: "settings",
        abstract: "Show a workspace's routing settings, or change them.",
        discussion: "With no setting option, prints the current settings (never-set ones show their default).",
        options: IntakeSubmission.options + [
            Option(name: "routing", valueName: "MODE", help: "round_robin or least_loaded: how conversations are spread over agents."),
            Option(name: "busy-fallback", valueName: "BOOL", help: "true or false: Busy agents take conversations when no Online agent has room."),
            Option(name: "default-capacity", valueName: "N", help: "Capacity of agents whose profile sets none."),
            Option(name: "ai-chat", valueName: "BOOL", help: "true or false: a new conversation that finds no agent also emits a 'waiting' event (a cue for your own bot); it stays queued."),
        ],
        flags: [IntakeSubmission.wait, CommonOptions.json]
    ) { arguments in
        let changes = IntakeSubmission.fields(arguments, options: settings)
        if !changes.isEmpty { return try IntakeSubmission.submit(arguments, op: "workspace.settings", changes) }
        let current = try InspectCommand.routingReader(arguments).settings(in: try CommonOptions.workspace(arguments))
        print(arguments.flag("json") ? try Render.json(current) : table(current))
        return 0
    }

    private static func table(_ settings: WorkspaceSettings) -> String {
        let row = { (name: String, value: String) in [name, value + (settings.defaults.contains(name) ? " (default)" : "")] }
        return Render.table([
            row("routing", settings.routing),
            row("busy_fallback", String(settings.busyFallback)),
            row("default_capacity", String(settings.defaultCapacity)),
            row("ai_chat", String(settings.aiChat)),
        ])
    }
}
