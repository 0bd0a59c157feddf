import ChildProcess
import Foundation
import Testing

/// scripts/lint-lua.sh, which scripts/test.sh runs before `swift test`: it passes on the
/// library and fails, naming the .lua file and line, on a planted syntax error or a
/// misspelt name (a global, which Redis refuses only when the line runs), and on code that
/// compiles but that Redis refuses when it loads the library (its top level runs then).
@Suite("Lua lint")
struct LuaLintTests {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private static let lint = repository.appendingPathComponent("scripts/lint-lua.sh").path
    private static let lua = repository.appendingPathComponent("Sources/Switchboard/Lua")

    @Test func theLibraryPasses() throws {
        let run = try ChildProcess.run("bash", [Self.lint])
        #expect(run.status == 0, "\(run.output)")
    }

    /// A copy of the Lua folder with `line` of `file` replaced; the lint's output and status.
    private func lintCopy(replacing line: Int, of file: String, with text: String) throws -> (output: String, status: Int32) {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("sb-lua-lint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: Self.lua, to: copy)
        let url = copy.appendingPathComponent(file)
        var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[line - 1] = text
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let run = try ChildProcess.run("bash", [Self.lint, copy.path])
        return (run.output, run.status)
    }

    @Test func aSyntaxErrorFailsWithItsFileAndLine() throws {
        let run = try lintCopy(replacing: 6, of: "functions/conversation_close.lua", with: "  local broken = = 1")
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("functions/conversation_close.lua:6:"), "\(run.output)")
    }

    @Test func aMisspeltNameInTheJoinedLibraryFailsWithItsFileAndLine() throws {
        let run = try lintCopy(replacing: 6, of: "functions/conversation_close.lua", with: "  local c = redis.call('HMGET', ckey, relase)")
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("functions/conversation_close.lua:6:") && run.output.contains("relase"), "\(run.output)")
    }

    @Test func codeRedisRefusesAtLoadFailsWithItsFileAndLine() throws {
        // Compiles, and luacheck knows `unpack` as Lua 5.1's; but a library's top level runs
        // at FUNCTION LOAD, where Redis offers no `unpack`.
        let run = try lintCopy(replacing: 1, of: "functions/conversation_close.lua", with: "local UNPACKED = {unpack({'a'})}; assert(UNPACKED)")
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("functions/conversation_close.lua:1:") && run.output.contains("Redis refused to load"), "\(run.output)")
    }
}
