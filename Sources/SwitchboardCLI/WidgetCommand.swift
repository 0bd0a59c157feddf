// `switchboard widget`: the chat widget's online/offline state: show it and why, or change
// its settings with a `workspace.settings` intake entry.
import ArgumentParsing
import Foundation
import Redis
import Switchboard

enum WidgetCommand {
    private static let settings = ["mode", "manual", "hours", "timezone", "exceptions", "offline-when-team-away"]

    static let spec = CommandSpec(
        name: "widget",
        abstract: "Show the chat widget's state (and why, and when it next changes), or change its settings.",
        discussion: """
        With no setting option, prints the widget's state. Business hours, e.g.:
          switchboard widget --mode hours --timezone Europe/Berlin \\
            --hours 'mon-fri 09:00-17:00; sat 10:00-14:00' --exceptions '2026-12-25 closed; 2026-12-24 09:00-12:00'
        Days mon..sun (ranges mon-fri, lists mon,wed), times HH:MM-HH:MM (24:00 allowed, an end
        before the start runs past midnight). Exceptions replace a date's weekly hours.
        """,
        options: IntakeSubmission.options + [
            Option(name: "mode", valueName: "MODE", help: "manual (the --manual state) or hours (business hours)."),
            Option(name: "manual", valueName: "STATE", help: "online or offline: the widget's state in manual mode."),
            Option(name: "hours", valueName: "HOURS", help: "Weekly opening hours, e.g. 'mon-fri 09:00-17:00; sat 10:00-14:00'."),
            Option(name: "timezone", valueName: "ZONE", help: "IANA time zone of the hours, e.g. Europe/Berlin (default UTC)."),
            Option(name: "exceptions", valueName: "DATES", help: "Dated overrides, e.g. '2026-12-25 closed; 2026-12-24 09:00-12:00'."),
            Option(name: "offline-when-team-away", valueName: "BOOL", help: "true or false: offline while no agent is available."),
        ],
        flags: [IntakeSubmission.wait, CommonOptions.json]
    ) { arguments in
        let changes = IntakeSubmission.fields(arguments, options: settings).map { name, value in
            (name == "offline_when_team_away" ? name : "widget_" + name, value)
        }
        if !changes.isEmpty { return try IntakeSubmission.submit(arguments, op: "workspace.settings", changes) }
        let widget = try InspectCommand.operationsReader(arguments).widget(of: try CommonOptions.workspace(arguments))
        print(arguments.flag("json") ? try Render.json(widget) : table(widget))
        return 0
    }

    static func table(_ widget: WidgetSnapshot) -> String {
        let dot = Terminal.dot(for: widget.state == "online" ? "online" : "offline")
        var rows = [["widget", "\(dot) \(widget.state)" + (widget.since.map { " since \(Render.time($0))" } ?? "")],
                    ["why", widget.explanation],
                    ["mode", widget.mode + (widget.offlineWhenTeamAway ? ", offline when the team is away" : "")]]
        if widget.mode == "hours" {
            rows.append(["hours", "\(widget.hours ?? "–") (\(widget.timezone ?? "UTC"))"])
            if let exceptions = widget.exceptions, !exceptions.isEmpty { rows.append(["exceptions", exceptions]) }
            rows.append(["next change", widget.nextChange.map { Render.time($0) } ?? (widget.scheduleOpen == nil ? "being computed" : "none ahead")])
        }
        rows.append(["available agents", String(widget.availableAgents)])
        return Render.table(rows)
    }
}

extension OperationsReader {
    func widget(of workspace: Identifier) throws -> WidgetSnapshot {
        let ws = keys.workspace(workspace)
        let replies = try connection.pipeline([
            RedisCommand("HGETALL", ws.widget), RedisCommand("HGETALL", ws.settings), RedisCommand("SCARD", ws.available),
        ])
        return WidgetSnapshot(widget: replies[0].stringPairs ?? [:], settings: replies[1].stringPairs ?? [:], availableAgents: replies[2].int ?? 0)
    }
}
