// The Switchboard function library: the .lua files under Sources/Switchboard/Lua, compiled
// into the binary (SwiftPM `embedInCode`) and joined, in the order of Lua/library.txt, into
// one Redis Functions library named after its version.
import Redis

/// The one Lua library every worker and the CLI load (`FUNCTION LOAD`) and call (`FCALL`).
///
/// Its name is `switchboard_<first 12 hex of the SHA-1 of the joined files>`: workers of two
/// releases run side by side, each calling its own functions, `<library>_<function>`.
public enum SwitchboardLibrary {
    /// The library.
    public static let library = RedisFunctionLibrary(prefix: "switchboard", code: files.map(\.text).joined())

    /// The joined files, in library order, each with the line of the library text it starts on.
    static let files: [(path: String, text: String, firstLine: Int)] = {
        let order = String(decoding: PackageResources.library_txt, as: UTF8.self).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        var line = RedisFunctionLibrary.headerLines + 1
        return order.map { path in
            // SwiftPM names embedded files by their file name alone; Lua/library.txt lists paths.
            guard let bytes = embedded[String(path.split(separator: "/").last ?? "")] else {
                fatalError("Lua/library.txt lists \(path), which SwitchboardLibrary.embedded does not hold: add it there.")
            }
            var text = String(decoding: bytes, as: UTF8.self)
            if !text.hasSuffix("\n") { text += "\n" }
            defer { line += text.count { $0 == "\n" } }
            return (path, text, line)
        }
    }()

    /// Every embedded .lua file by file name (a test checks that it matches the folder).
    static let embedded: [String: [UInt8]] = [
        "context.lua": PackageResources.context_lua,
        "keys.lua": PackageResources.keys_lua,
        "events.lua": PackageResources.events_lua,
        "eligibility.lua": PackageResources.eligibility_lua,
        "roles.lua": PackageResources.roles_lua,
        "conversation_state.lua": PackageResources.conversation_state_lua,
        "routing.lua": PackageResources.routing_lua,
        "agent_state.lua": PackageResources.agent_state_lua,
        "agent_event.lua": PackageResources.agent_event_lua,
        "sessions_expire.lua": PackageResources.sessions_expire_lua,
        "sweep_claim.lua": PackageResources.sweep_claim_lua,
        "conversation_new.lua": PackageResources.conversation_new_lua,
        "conversation_close.lua": PackageResources.conversation_close_lua,
        "conversation_assign.lua": PackageResources.conversation_assign_lua,
        "conversation_transfer.lua": PackageResources.conversation_transfer_lua,
        "agent_reassign.lua": PackageResources.agent_reassign_lua,
        "settings_update.lua": PackageResources.settings_update_lua,
        "widget_claim.lua": PackageResources.widget_claim_lua,
        "widget_reschedule.lua": PackageResources.widget_reschedule_lua,
        "widget_schedule.lua": PackageResources.widget_schedule_lua,
        "workspace_snapshot.lua": PackageResources.workspace_snapshot_lua,
    ]

    /// `functions/agent_event.lua:12` for line 12 of that file: where line `line` of the
    /// library text (as Redis numbers it in errors) comes from; nil for a header line.
    public static func location(ofLine line: Int) -> String? {
        guard let file = files.last(where: { $0.firstLine <= line }) else { return nil }
        return "\(file.path):\(line - file.firstLine + 1)"
    }

    /// A Redis error raised inside a function, with each library line it names (`user_function:N`)
    /// followed by the .lua file and line, e.g. `… on @user_function:412 (includes/routing.lua:60).`
    public static func locating(_ message: String) -> String {
        var result = ""
        var rest = Substring(message)
        while let match = rest.firstMatch(of: /user_function:(\d+)/) {
            result += rest[..<match.range.upperBound]
            if let line = Int(match.1), let place = location(ofLine: line) { result += " (\(place))" }
            rest = rest[match.range.upperBound...]
        }
        return result + rest
    }
}
