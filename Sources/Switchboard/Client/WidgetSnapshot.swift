// What a reader sees of the chat widget (docs/protocol.md §7): its stored state and the
// settings that decide it.

/// The widget as stored (`sb:{ws}:widget`) and configured (`sb:{ws}:settings`).
public struct WidgetSnapshot: Sendable, Codable, Equatable {
    public var state: String
    public var reason: String
    public var explanation: String
    public var since: Int64?
    public var mode: String
    public var offlineWhenTeamAway: Bool
    public var hours: String?
    public var timezone: String?
    public var exceptions: String?
    public var scheduleOpen: Bool?
    /// The next business-hours boundary (ms since 1970).
    public var nextChange: Int64?
    public var availableAgents: Int

    static let explanations = [
        "manual_online": "set online by hand (manual mode)",
        "manual_offline": "set offline by hand (manual mode)",
        "within_hours": "within business hours",
        "outside_hours": "outside business hours",
        "team_away": "no agent is available (Online, in the pool, with a session) and the widget goes offline when the team is away",
        "default": "never configured: online",
    ]

    /// Builds the snapshot from the `widget` hash, the `settings` hash and the size of the
    /// `available` set.
    public init(widget: [String: String], settings: [String: String], availableAgents: Int) {
        let reason = widget["reason"] ?? "default"
        state = widget["state"] ?? "online"
        self.reason = reason
        explanation = Self.explanations[reason] ?? reason
        since = widget["since"].flatMap { Int64($0) }
        mode = settings["widget_mode"] ?? "manual"
        offlineWhenTeamAway = settings["offline_when_team_away"] == "true"
        hours = settings["widget_hours"]
        timezone = settings["widget_timezone"]
        exceptions = settings["widget_exceptions"]
        scheduleOpen = widget["schedule_open"].map { $0 == "1" }
        nextChange = widget["schedule_next"].flatMap { Int64($0) }
        self.availableAgents = availableAgents
    }
}
