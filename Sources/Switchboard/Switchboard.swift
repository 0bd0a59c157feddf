// The Switchboard domain: statuses, commands, key schema, the Lua function library, routing.

/// Facts about this build of Switchboard.
public enum SwitchboardInfo {
    /// The version printed by `switchboard --version`.
    public static let version = "0.1.0"
}
