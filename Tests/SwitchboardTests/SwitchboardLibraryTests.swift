import Foundation
import Redis
import Testing
import TestSupport
@testable import Switchboard

/// The function library: made of exactly the .lua files, each rule once, and agreeing with
/// the Swift side (key names, setting defaults, read-only snapshot).
@Suite("Switchboard function library")
struct SwitchboardLibraryTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Switchboard/Lua")

    static func text(_ path: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
    }

    static let functionNames = ["agent_event", "agent_reassign", "conversation_assign", "conversation_close", "conversation_new",
                                "conversation_transfer", "sessions_expire", "settings_update", "sweep_claim", "widget_claim",
                                "widget_reschedule", "widget_schedule", "workspace_snapshot"]

    @Test func itHoldsEveryLuaFileOnceInTheListedOrder() throws {
        let onDisk = try FileManager.default.subpathsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".lua") }
        #expect(Set(SwitchboardLibrary.files.map(\.path)) == Set(onDisk), "every .lua file is listed in Lua/library.txt")
        #expect(SwitchboardLibrary.files.count == onDisk.count)
        #expect(Set(SwitchboardLibrary.embedded.keys) == Set(onDisk.map { URL(fileURLWithPath: $0).lastPathComponent }),
                "SwitchboardLibrary.embedded names every .lua file (SwiftPM names them by file name: keep those unique)")
        let source = SwitchboardLibrary.library.source
        for file in SwitchboardLibrary.files {
            #expect(file.text == (try Self.text(file.path)), "\(file.path) is embedded as it is on disk")
            // The file's first line sits where location(ofLine:) says.
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines[file.firstLine - 1] == file.text.split(separator: "\n", omittingEmptySubsequences: false)[0])
            #expect(SwitchboardLibrary.location(ofLine: file.firstLine + 2) == "\(file.path):3")
        }
        #expect(SwitchboardLibrary.library.name.hasPrefix("switchboard_"))
        #expect(SwitchboardLibrary.locating("ERR boom script: x, on @user_function:\(SwitchboardLibrary.files[1].firstLine).")
                == "ERR boom script: x, on @user_function:\(SwitchboardLibrary.files[1].firstLine) (\(SwitchboardLibrary.files[1].path):1).")
    }

    /// Each function is registered once, under the library's version, read-only only the snapshot.
    @Test func itRegistersEveryFunctionUnderItsVersion() throws {
        let connection = try TestRedis.connection()
        try connection.load(SwitchboardLibrary.library)
        let listed = try connection.send(RedisCommand("FUNCTION", "LIST", "LIBRARYNAME", SwitchboardLibrary.library.name))
        let library = try #require(listed.array?.first?.array)
        let functions = try #require(library.last?.array).compactMap(\.array)
        var flags: [String: [String]] = [:]
        for function in functions {
            let pairs = stride(from: 0, to: function.count - 1, by: 2).map { (function[$0].string ?? "", function[$0 + 1]) }
            let name = try #require(pairs.first { $0.0 == "name" }?.1.string)
            flags[name] = pairs.first { $0.0 == "flags" }?.1.array?.compactMap(\.string) ?? []
        }
        let prefix = SwitchboardLibrary.library.name + "_"
        #expect(Set(flags.keys) == Set(Self.functionNames.map { prefix + $0 }))
        #expect(flags[prefix + "workspace_snapshot"] == ["no-writes"])
        #expect(flags.filter { $0.value.contains("no-writes") }.count == 1)
        #expect(WorkspaceSnapshotScript.function.readOnly && WorkspaceSnapshotScript.command(keys: KeySchema().workspace(Identifier("w")!), agent: nil).name == "FCALL_RO")
    }

    /// An error raised inside a function names the .lua file and line it comes from.
    @Test func aFunctionErrorIsLocatedInItsLuaFile() throws {
        let connection = try TestRedis.connection()
        let keys = KeySchema(prefix: TestRedis.uniquePrefix() + "sb").workspace(Identifier("acme")!)
        // A priority that is no number: the arithmetic on it fails inside conversation_new.
        let command = ConversationNewScript.function.command(keys: keys.functionKeys, arguments: [keys.workspace.rawValue, "1-1", 100, "c-1", "", "high"])
        try connection.load(SwitchboardLibrary.library)
        let reply = try connection.sendReturningErrors(command)
        let error = try #require(reply.serverError, "\(reply)")
        let located = SwitchboardLibrary.locating(error.message)
        let file = try Self.text("functions/conversation_new.lua").split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(file.firstIndex { $0.contains("-priority *") }) + 1
        #expect(located.contains("(functions/conversation_new.lua:\(line))"), "\(located)")
    }

    /// The snapshot judges eligibility with routing's own functions and reaches no write:
    /// its file and the includes it uses hold no write command (Redis refuses one anyway).
    @Test func theSnapshotUsesRoutingsEligibilityAndNoWritePath() throws {
        let snapshot = try Self.text("functions/workspace_snapshot.lua")
        #expect(snapshot.contains("begin_read(KEYS, ARGV)") && !snapshot.contains("begin(KEYS, ARGV)"))
        #expect(snapshot.contains("routing_eligibility(routing_view(agent))"))
        #expect(try Self.text("includes/routing.lua").contains("routing_place(a)"), "routing places agents with the same rule")
        for file in ["functions/workspace_snapshot.lua", "includes/eligibility.lua", "includes/keys.lua"] {
            let text = try Self.text(file)
            for write in ["'TIME'", "HINCRBY", "HSET", "XADD", "PUBLISH", "ZADD", "ZREM", "SADD", "DEL"] {
                #expect(!text.contains(write), "\(file) must not reach \(write)")
            }
        }
    }

    /// Each rule is written once: the role check, the moves of a conversation's state.
    @Test func eachRuleIsWrittenOnce() throws {
        let all = try SwitchboardLibrary.files.map { ($0.path, try Self.text($0.path)) }
        func files(containing needle: String) -> [String] { all.filter { $0.1.contains(needle) }.map(\.0) }
        #expect(files(containing: "'supervisor'").isEmpty && files(containing: "supervisor = true") == ["includes/roles.lua"])
        let stateWrites = all.filter { file in
            file.1.split(separator: "\n").contains { $0.contains("'HSET'") && $0.contains("'state'") && !$0.contains("key.widget()") }
        }
        #expect(stateWrites.map(\.0) == ["includes/conversation_state.lua"], "only move_conversation writes a conversation's `state`")
        #expect(files(containing: "tonumber(a.capacity)") == ["includes/eligibility.lua"], "capacity_of is the one capacity rule")
        #expect(files(containing: "':' ..") == ["includes/keys.lua"], "team_suffix is the one rule for a team's queue and pool suffix")
    }

    @Test func settingDefaultsAgreeWithSwift() throws {
        let eligibility = try Self.text("includes/eligibility.lua")
        #expect(eligibility.contains("local SETTINGS_DEFAULTS = {routing = '\(WorkspaceSettingsDefaults.routing.rawValue)', default_capacity = \(WorkspaceSettingsDefaults.defaultCapacity)}"))
    }

    /// keys.lua names every key as KeySchema does, run in Redis's own Lua.
    @Test func luaKeyNamesAgreeWithKeySchema() throws {
        let keys = KeySchema(prefix: "sb").workspace(Identifier("acme")!)
        let agent = Identifier("42")!, team = Identifier("sales")!, conversation = Identifier("c-1")!
        let script = "local P = ARGV[1]\n" + (try Self.text("includes/keys.lua")) + """
        return {key.meta(), key.agents(), key.sessions(), key.events(), key.status(), key.assignments(), key.feed(), key.settings(),
          key.widget(), key.available(), key.teams(), key.queue(''), key.queue(team_suffix('sales')), key.pool(''),
          key.pool(':sales'), key.busy(''), key.busy(':sales'), key.conversation('c-1'), key.agent('42'),
          key.agent_sessions('42'), key.agent_conversations('42'), key.agent_log('42')}
        """
        let reply = try TestRedis.connection().send(RedisCommand("EVAL", script, 0, keys.base))
        let expected = [keys.meta, keys.agents, keys.sessions, keys.events, keys.statusChannel, keys.assignmentsChannel, keys.feedChannel, keys.settings,
                        keys.widget, keys.available, keys.teams, keys.queue(team: nil), keys.queue(team: team), keys.pool(team: nil),
                        keys.pool(team: team), keys.busyPool(team: nil), keys.busyPool(team: team), keys.conversation(conversation),
                        keys.agent(agent), keys.agentSessions(agent), keys.agentConversations(agent), keys.agentLog(agent)]
        #expect(reply.array?.compactMap(\.string) == expected)
    }
}
