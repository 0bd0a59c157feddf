// One entry of a workspace's events stream, as the live feed sends it: a JSON object.

/// An entry of `sb:{<ws>}:events` (docs/protocol.md §6.3) with its stream id and version.
public struct WorkspaceEvent: Sendable, Equatable {
    /// The entry's stream id (`1795453983752-0`), to read on after it.
    public let streamID: String
    /// The workspace version the event took (consecutive within the stream).
    public let version: Int
    /// The event's `type`: `status`, `assigned`, … (`""` if the entry has none).
    public let type: String
    /// The entry as one JSON object, its fields in stream order with `workspace` after
    /// `type`; ``numberFields`` as JSON numbers, ``booleanFields`` holding exactly `true` or
    /// `false` as JSON booleans, everything else as strings.
    public let json: [UInt8]

    /// Fields whose values are whole numbers.
    static let numberFields: Set<String> = ["version", "priority", "capacity", "default_capacity"]
    /// Fields whose values are `true` or `false`.
    static let booleanFields: Set<String> = ["busy_fallback", "ai_chat", "accept_chats_after_login", "offline_when_team_away", "over_capacity"]

    /// The event of a stream entry of `workspace`: `fields` as XRANGE returns them (name,
    /// value, name, value, …); `nil` without a whole-number `version`.
    init?(streamID: String, fields: [String], workspace: String) {
        var pairs: [(name: String, value: String)] = []
        pairs.reserveCapacity(fields.count / 2 + 1)
        var index = 0
        while index + 1 < fields.count {
            pairs.append((fields[index], fields[index + 1]))
            index += 2
        }
        guard let version = pairs.first(where: { $0.name == "version" }).flatMap({ Int($0.value) }) else { return nil }
        self.streamID = streamID
        self.version = version
        type = pairs.first { $0.name == "type" }?.value ?? ""
        if let typeIndex = pairs.firstIndex(where: { $0.name == "type" }) {
            pairs.insert(("workspace", workspace), at: typeIndex + 1)
        } else {
            pairs.insert(("workspace", workspace), at: 0)
        }
        let members = pairs.map { JSONText.quoted($0.name) + ":" + Self.jsonValue(of: $0.name, $0.value) }
        json = Array(("{" + members.joined(separator: ",") + "}").utf8)
    }

    private static func jsonValue(of name: String, _ value: String) -> String {
        if numberFields.contains(name), let number = Int(value) { return String(number) }
        if booleanFields.contains(name), value == "true" || value == "false" { return value }
        return JSONText.quoted(value)
    }
}
