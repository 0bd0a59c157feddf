import Foundation
import Redis
import Testing
import TestSupport

/// docs/keys.md names every field the workers store: each hash written by a real workload
/// holds no field the page does not document.
@Suite("docs/keys.md names every stored field")
struct KeysDocumentationTests {
    private static var page: String {
        get throws { try String(contentsOf: DocumentedACL.repositoryRoot.appendingPathComponent("docs/keys.md"), encoding: .utf8) }
    }

    /// The backticked words of the first column of the table under `### Fields of \`<key>\``.
    private static func fieldTable(of key: String) throws -> Set<String> {
        let lines = try page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let heading = try #require(lines.firstIndex(of: "### Fields of `\(key)`"), "keys.md has no table of the fields of \(key)")
        let rows = lines[(heading + 1)...].drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
        return Set(rows.flatMap { row in backticked(row.split(separator: "|").first.map(String.init) ?? "") })
    }

    /// The backticked words of the contents column of the key's row in the key tables.
    private static func contentsCell(of key: String) throws -> Set<String> {
        let row = try #require(try page.split(separator: "\n").first { $0.hasPrefix("| `\(key)` |") }, "keys.md has no row for \(key)")
        let cells = row.split(separator: "|").map(String.init)
        return Set(backticked(cells.count > 2 ? cells[2] : ""))
    }

    private static func backticked(_ text: String) -> [String] {
        text.matches(of: /`([^`]+)`/).map { String($0.1) }
    }

    @Test func everyStoredFieldIsDocumented() throws {
        let harness = try PresenceHarness(workers: 1)
        func applied(_ fields: [(String, String)]) throws {
            let outcome = try harness.apply(fields)
            #expect(outcome["outcome"] as? String == "applied", "\(fields) → \(outcome)")
        }
        try applied([("op", "agent.profile"), ("agent", "sup"), ("role", "supervisor")])
        try applied([("op", "workspace.settings"), ("routing", "least_loaded"), ("busy_fallback", "true"), ("default_capacity", "2"),
                     ("ai_chat", "true"), ("widget_mode", "hours"), ("widget_hours", "mon-sun 00:00-12:00"),
                     ("widget_timezone", "Europe/Berlin"), ("widget_exceptions", "2026-12-25 closed"), ("offline_when_team_away", "true")])
        try applied([("op", "workspace.settings"), ("widget_manual", "offline")])
        try applied([("op", "agent.profile"), ("agent", "a"), ("capacity", "3"), ("teams", "sales"), ("preferred_status", "online"),
                     ("accept_chats_after_login", "true")])
        try applied([("op", "agent.login"), ("agent", "a"), ("session", "s1")])
        try applied([("op", "agent.status"), ("agent", "a"), ("status", "online"), ("message", "Here")])
        try applied([("op", "conversation.new"), ("conversation", "c1"), ("team", "sales"), ("priority", "2")])
        try applied([("op", "conversation.new"), ("conversation", "c2")])
        try applied([("op", "conversation.transfer"), ("conversation", "c2"), ("team", "sales"), ("actor", "a")])
        try applied([("op", "agent.reassign"), ("agent", "a"), ("actor", "sup")])
        try applied([("op", "conversation.close"), ("conversation", "c1")])
        try applied([("op", "conversation.close"), ("conversation", "never-opened")])
        try applied([("op", "agent.logout"), ("agent", "a"), ("session", "s1")])
        #expect(try eventually { try harness.connection.send(RedisCommand("HEXISTS", harness.key("widget"), "schedule_open")).int == 1 },
                "a worker computes the business hours")

        func stored(_ key: String) throws -> Set<String> {
            Set((try harness.connection.send(RedisCommand("HKEYS", key)).array ?? []).compactMap(\.string))
        }
        func check(_ key: String, against documented: Set<String>) throws {
            let fields = try stored(key)
            #expect(!fields.isEmpty, "the workload writes \(key)")
            let missing = fields.subtracting(documented).filter { !($0.hasPrefix("v.") && documented.contains(String($0.dropFirst(2)))) }
            #expect(missing.isEmpty, "\(key) holds fields docs/keys.md does not name: \(missing.sorted())")
        }
        let agent = try Self.fieldTable(of: "sb:{acme}:agent:<id>")
        for id in ["sup", "a"] { try check(harness.key("agent:\(id)"), against: agent) }
        #expect(try stored(harness.key("agent:a")).contains("reassign_entry"))
        let conversation = try Self.fieldTable(of: "sb:{acme}:conversation:<id>")
        for id in ["c1", "c2", "never-opened"] { try check(harness.key("conversation:\(id)"), against: conversation) }
        try check(harness.key("settings"), against: try Self.fieldTable(of: "sb:{acme}:settings"))
        try check(harness.key("widget"), against: try Self.fieldTable(of: "sb:{acme}:widget"))
        try check(harness.key("meta"), against: try Self.contentsCell(of: "sb:{acme}:meta"))
        try check("\(harness.prefix):worker:w0", against: try Self.contentsCell(of: "sb:worker:<name>"))
        try check("\(harness.prefix):config", against: try Self.contentsCell(of: "sb:config"))
    }
}
