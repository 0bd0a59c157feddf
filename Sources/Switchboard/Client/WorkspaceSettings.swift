// A workspace's routing settings as a reader sees them.

/// A workspace's routing settings, with the routing scripts' defaults for those never set.
public struct WorkspaceSettings: Sendable, Codable, Equatable {
    public var routing: String
    public var busyFallback: Bool
    public var defaultCapacity: Int
    public var aiChat: Bool
    /// The settings never set (their values are the defaults), by intake field name.
    public var defaults: [String]

    /// Reads the `settings` hash as the routing scripts do.
    public init(fields: [String: String]) {
        routing = fields["routing"] ?? WorkspaceSettingsDefaults.routing.rawValue
        busyFallback = fields["busy_fallback"].map { $0 == "true" } ?? WorkspaceSettingsDefaults.busyFallback
        defaultCapacity = fields["default_capacity"].flatMap { Int($0) } ?? WorkspaceSettingsDefaults.defaultCapacity
        aiChat = fields["ai_chat"].map { $0 == "true" } ?? WorkspaceSettingsDefaults.aiChat
        defaults = WorkspaceSettingsDefaults.names.filter { fields[$0] == nil }
    }
}
