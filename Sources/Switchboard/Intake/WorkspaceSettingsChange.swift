// WorkspaceSettingsChange: the routing and widget settings a `workspace.settings` entry may change.

/// How conversations are spread over eligible agents.
public enum RoutingMode: String, Sendable, CaseIterable {
    /// The eligible agent assigned longest ago goes next.
    case roundRobin = "round_robin"
    /// The eligible agent with the fewest open conversations; ties to the one assigned longest ago.
    case leastLoaded = "least_loaded"
}

/// How the chat widget decides whether the store is open.
public enum WidgetMode: String, Sendable, CaseIterable {
    /// `widget_manual` says online or offline.
    case manual
    /// The business hours (`widget_hours`, `widget_timezone`, `widget_exceptions`) say.
    case hours
}

/// The widget's state, as set by hand in manual mode and as broadcast.
public enum WidgetState: String, Sendable, CaseIterable {
    case online, offline
}

/// What a workspace gets for a setting it never set (the Lua uses the same: `SETTINGS_DEFAULTS`
/// in Lua/includes/eligibility.lua, kept equal by a test).
public enum WorkspaceSettingsDefaults {
    public static let routing = RoutingMode.roundRobin
    public static let busyFallback = false
    public static let defaultCapacity = 3
    public static let aiChat = false
    /// The setting names, as intake fields and hash fields.
    public static let names = ["routing", "busy_fallback", "default_capacity", "ai_chat"]
}

/// The settings a `workspace.settings` entry changes; `nil` leaves a setting as it is.
public struct WorkspaceSettingsChange: Sendable, Equatable {
    public var routing: RoutingMode?
    /// Busy agents take conversations when no Online agent of the team has room.
    public var busyFallback: Bool?
    /// Capacity of agents whose profile sets none.
    public var defaultCapacity: Int?
    /// A new conversation that finds no agent also emits a `waiting` event (it stays queued).
    public var aiChat: Bool?
    /// Manual or business hours.
    public var widgetMode: WidgetMode?
    /// The widget's state in manual mode.
    public var widgetManual: WidgetState?
    /// Weekly opening hours, a time zone and dated exceptions (see ``WidgetSchedule``), as typed.
    public var widgetHours: String?
    public var widgetTimezone: String?
    public var widgetExceptions: String?
    /// The widget goes offline while no agent is available (Online, in the pool, with a session).
    public var offlineWhenTeamAway: Bool?

    public init(routing: RoutingMode? = nil, busyFallback: Bool? = nil, defaultCapacity: Int? = nil, aiChat: Bool? = nil) {
        self.routing = routing
        self.busyFallback = busyFallback
        self.defaultCapacity = defaultCapacity
        self.aiChat = aiChat
    }

    /// Whether the entry changes nothing.
    public var isEmpty: Bool { fields.isEmpty }

    /// The settings as hash fields, as stored in `sb:{ws}:settings`.
    public var fields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        if let routing { fields.append(("routing", routing.rawValue)) }
        if let busyFallback { fields.append(("busy_fallback", String(busyFallback))) }
        if let defaultCapacity { fields.append(("default_capacity", String(defaultCapacity))) }
        if let aiChat { fields.append(("ai_chat", String(aiChat))) }
        if let widgetMode { fields.append(("widget_mode", widgetMode.rawValue)) }
        if let widgetManual { fields.append(("widget_manual", widgetManual.rawValue)) }
        if let widgetHours { fields.append(("widget_hours", widgetHours)) }
        if let widgetTimezone { fields.append(("widget_timezone", widgetTimezone)) }
        if let widgetExceptions { fields.append(("widget_exceptions", widgetExceptions)) }
        if let offlineWhenTeamAway { fields.append(("offline_when_team_away", String(offlineWhenTeamAway))) }
        return fields
    }
}
