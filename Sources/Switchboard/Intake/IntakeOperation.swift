// IntakeOperation: the supported `op` values and which fields each one takes.
// The table here is the single source for parsing, for "unknown field" sentences and for
// the list of supported ops shown when an op is not recognised.

/// A supported intake `op` and its field rules.
enum IntakeOperation: String, CaseIterable {
    case login = "agent.login"
    case heartbeat = "agent.heartbeat"
    case logout = "agent.logout"
    case status = "agent.status"
    case profile = "agent.profile"
    case conversationNew = "conversation.new"
    case conversationClose = "conversation.close"
    case conversationAssign = "conversation.assign"
    case conversationTransfer = "conversation.transfer"
    case reassign = "agent.reassign"
    case settings = "workspace.settings"

    /// Fields every entry may carry whatever its op.
    static let commonFields = ["op", "workspace", "reply"]

    /// Fields that must be present.
    var requiredFields: [String] {
        switch self {
        case .login, .heartbeat, .logout: return ["agent", "session"]
        case .status: return ["agent", "status"]
        case .profile: return ["agent"]
        case .conversationNew, .conversationClose: return ["conversation"]
        case .conversationAssign: return ["conversation", "agent", "actor"]
        case .conversationTransfer: return ["conversation", "team"]
        case .reassign: return ["agent", "actor"]
        case .settings: return []
        }
    }

    /// Fields that may be present besides the required and common ones.
    var optionalFields: [String] {
        switch self {
        case .login, .heartbeat, .logout: return []
        case .status: return ["message", "actor"]
        case .profile: return Self.profileFields
        case .conversationNew: return ["team", "priority"]
        case .conversationClose: return []
        case .conversationAssign: return ["over_capacity"]
        case .conversationTransfer: return ["actor"]
        case .reassign: return ["to", "over_capacity"]
        case .settings: return Self.settingsFields
        }
    }

    /// The fields of `agent.profile` of which at least one is needed.
    static let profileFields = ["preferred_status", "accept_chats_after_login", "capacity", "teams", "role"]

    /// The fields of `workspace.settings` of which at least one is needed.
    static let settingsFields = ["routing", "busy_fallback", "default_capacity", "ai_chat", "widget_mode", "widget_manual",
                                 "widget_hours", "widget_timezone", "widget_exceptions", "offline_when_team_away"]

    /// "agent.login, agent.heartbeat, …" for the unknown-op sentence.
    static var supportedList: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// "agent and status (optional: message, actor, reply)" for the unknown-field sentence.
    var fieldsDescription: String {
        let optional = optionalFields + ["reply"]
        guard !requiredFields.isEmpty else { return "any of " + optional.joined(separator: ", ") }
        return IntakeDisplay.list(requiredFields) + " (optional: " + optional.joined(separator: ", ") + ")"
    }
}
