// The intake shard rule: IEEE CRC-32 as zlib computes it, modulo the shard count.

import ChildProcess
import Switchboard
import Testing
import TestSupport

@Suite("Intake shards: CRC-32 and the key rule")
struct IntakeShardTests {
    @Test func crc32MatchesKnownVectors() {
        #expect(CRC32.checksum("") == 0)
        #expect(CRC32.checksum("123456789") == 0xCBF4_3926)
        #expect(CRC32.checksum("The quick brown fox jumps over the lazy dog") == 0x414F_A339)
        #expect(CRC32.checksum("a") == 0xE8B7_BE43)
    }

    @Test func crc32MatchesPythonZlib() throws {
        let workspaces = ["acme", "globex", "initech", "w-0", "w-17", "umbrella_corp", "été", "x"]
        let script = "import sys, zlib\nfor ws in sys.argv[1:]: print(zlib.crc32(ws.encode()))"
        let (output, status) = try ChildProcess.run("python3", ["-c", script] + workspaces)
        #expect(status == 0)
        let expected = output.split(separator: "\n").compactMap { UInt32($0) }
        #expect(expected == workspaces.map { CRC32.checksum($0) })
    }

    @Test func oneShardKeepsTheSingleIntakeStream() {
        let keys = KeySchema()
        #expect(keys.intake(shard: 0, of: 1) == "sb:intake")
        #expect(keys.intakeShards(1) == ["sb:intake"])
        #expect(keys.intake(forWorkspace: "acme", shards: 1) == "sb:intake")
    }

    @Test func workspacesGoToCrc32ModuloTheShardCount() {
        let keys = KeySchema(prefix: "t")
        #expect(keys.intakeShards(4) == ["t:intake:0", "t:intake:1", "t:intake:2", "t:intake:3"])
        for workspace in ["acme", "globex", "123456789"] {
            let shard = Int(CRC32.checksum(workspace) % 4)
            #expect(KeySchema.intakeShard(of: workspace, count: 4) == shard)
            #expect(keys.intake(forWorkspace: workspace, shards: 4) == "t:intake:\(shard)")
        }
        // 0xCBF43926 mod 4 = 2: the documented vector lands on a fixed shard.
        #expect(KeySchema.intakeShard(of: "123456789", count: 4) == 2)
    }

    @Test func workersReadEveryShardAndTheOldSingleStream() {
        let keys = KeySchema()
        #expect(keys.intakeStreamsRead(shards: 1) == ["sb:intake"])
        #expect(keys.intakeStreamsRead(shards: 3) == ["sb:intake:0", "sb:intake:1", "sb:intake:2", "sb:intake"])
        #expect(keys.config == "sb:config")
    }

    @Test func repliesOfAShardsEntriesHaveTheShardInTheirKey() {
        let keys = KeySchema()
        #expect(keys.reply(entryID: "1-0", stream: "sb:intake") == "sb:reply:1-0")
        #expect(keys.reply(entryID: "1-0", stream: "sb:intake:3") == "sb:reply:3:1-0", "ids are unique per stream only")
        #expect(IntakeShardRule.replyKey(stream: "sb:intake:3", id: "1-0") == "sb:reply:3:1-0")
        #expect(IntakeShardRule.replyKey(stream: "sb:intake", id: "1-0") == "sb:reply:1-0")
    }

    @Test func oneShardKeepsTheSingleGlobalKeys() {
        let keys = KeySchema()
        let only = keys.schedules(shards: 1)
        #expect(only.map { [$0.sweep, $0.workspaces, $0.widgets] } == [["sb:sweep", "sb:workspaces", "sb:widget-schedule"]])
        #expect(keys.schedules(forWorkspace: "acme", shards: 1) == keys.schedules(shard: 0, of: 1))
        #expect(keys.deadLetters(stream: "sb:intake") == "sb:dead")
        #expect(keys.deadLetterStreams(shards: 1) == ["sb:dead"])
    }

    /// Keys written per entry are spread as the intake is: a workspace's schedules are those
    /// of its intake shard, an entry's dead letter goes with its stream.
    @Test func keysWrittenPerEntrySpreadLikeTheIntake() {
        let keys = KeySchema(prefix: "t")
        let third = keys.schedules(shard: 2, of: 4)
        #expect([third.sweep, third.workspaces, third.widgets] == ["t:sweep:2", "t:workspaces:2", "t:widget-schedule:2"])
        #expect(keys.schedules(shards: 3).map(\.sweep) == ["t:sweep:0", "t:sweep:1", "t:sweep:2"])
        for workspace in ["acme", "globex", "123456789"] {
            let shard = KeySchema.intakeShard(of: workspace, count: 4)
            #expect(keys.schedules(forWorkspace: workspace, shards: 4).widgets == "t:widget-schedule:\(shard)")
        }
        #expect(keys.deadLetters(stream: "t:intake:3") == "t:dead:3")
        #expect(keys.deadLetters(stream: "t:intake") == "t:dead", "an entry a producer left on the old single stream")
        #expect(keys.deadLetterStreams(shards: 2) == ["t:dead:0", "t:dead:1", "t:dead"])
    }

    @Test func theTestsOwnRuleAgreesWithTheWorkers() {
        for workspace in ["acme", "globex", "été", "w-17"] {
            #expect(IntakeShardRule.crc32(workspace) == CRC32.checksum(workspace))
            #expect(IntakeShardRule.key(prefix: "sb", workspace: workspace, shards: 7) == KeySchema().intake(forWorkspace: workspace, shards: 7))
        }
    }
}
