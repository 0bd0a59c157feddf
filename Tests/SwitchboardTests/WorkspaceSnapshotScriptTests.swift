import Redis
import Testing
@testable import Switchboard

/// The snapshot script judges eligibility with routing's own Lua, and nothing in it writes.
@Suite("Workspace snapshot script")
struct WorkspaceSnapshotScriptTests {
    @Test func itIncludesRoutingsEligibilityTextAndNoWritePath() {
        let script = WorkspaceSnapshotScript.script
        #expect(script.readOnly && script.command(keys: ["k"], arguments: []).name == "EVALSHA_RO")
        #expect(script.source.hasPrefix(LuaPrelude.workspace + RoutingLua.eligibility))
        #expect(RoutingLua.source.hasPrefix(RoutingLua.eligibility), "routing places agents with the same text")
        #expect(LuaPrelude.source.hasPrefix(LuaPrelude.workspace))
        // The entry clock, the direct-call counter and the events stream live only in the
        // prelude of scripts that apply entries.
        for write in ["'TIME'", "HINCRBY", "HSET", "XADD", "PUBLISH", "ZADD", "ZREM", "SADD", "DEL"] {
            #expect(!script.source.contains(write), "the snapshot script must not reach \(write)")
        }
    }
}
