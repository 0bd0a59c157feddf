import ChildProcess
import Foundation
import Redis
import Switchboard
import Testing
import TestSupport

/// Intake shards end to end (docs/protocol.md §1): the recorded count, workers reading every
/// shard, producers finding their stream, and entries written to the wrong one.
@Suite("Intake shards, end to end")
struct IntakeShardEndToEndTests {
    /// Workspaces spread over every one of four shards.
    static func workspaces(_ harness: PresenceHarness) -> [String] {
        var found: [Int: String] = [:]
        var index = 0
        while found.count < 4 {
            let workspace = "\(harness.workspace)-\(index)"
            found[Int(IntakeShardRule.crc32(workspace) % 4)] = found[Int(IntakeShardRule.crc32(workspace) % 4)] ?? workspace
            index += 1
        }
        return found.keys.sorted().map { found[$0]! }
    }

    private func run(_ harness: PresenceHarness, _ arguments: [String]) throws -> (output: String, status: Int32) {
        try ChildProcess.run(BuiltProducts.switchboard, arguments + ["--redis", harness.redisURL, "--prefix", harness.prefix])
    }

    @Test func workersRecordTheCountApplyEveryShardAndRefuseAnotherCount() throws {
        let harness = try PresenceHarness(workers: 2, shards: 4)
        for (index, workspace) in Self.workspaces(harness).enumerated() {
            let outcome = try harness.apply([("op", "agent.login"), ("workspace", workspace), ("agent", "a\(index)"), ("session", "s")])
            #expect(outcome["outcome"] as? String == "applied", "\(workspace): \(outcome)")
        }
        #expect(try harness.connection.send(RedisCommand("HGET", "\(harness.prefix):config", "intake_shards")).string == "4")
        #expect(try harness.awaitDrained())

        let other = try harness.startWorker(named: "two", arguments: ["--intake-shards", "2"])
        let status = other.waitForExit(within: .seconds(30))
        #expect(status == 1, "a worker started with another count exits 1: \(other.log)")
        #expect(other.log.contains("has 4 shards") && other.log.contains("--intake-shards 4") && other.log.contains("docs/protocol.md"),
                "the refusal says what to do: \(other.log)")
        #expect(try harness.connection.send(RedisCommand("HGET", "\(harness.prefix):config", "intake_shards")).string == "4")
        let firstTwoRun = harness.workers.prefix(2).allSatisfy { $0.isRunning }
        #expect(firstTwoRun)
    }

    @Test func anEntryOnTheWrongShardIsDeadLetteredNamingTheRightKey() throws {
        let harness = try PresenceHarness(workers: 1, shards: 4)
        try harness.awaitRecordedShardCount()
        let right = harness.intake()
        for wrong in harness.intakeStreams where wrong != right {
            let id = try harness.connection.send(RedisCommand("XADD", wrong, "*", "op", "agent.login", "workspace", harness.workspace,
                                                              "agent", "lost", "session", "s", "reply", "1")).string ?? ""
            let reply = try harness.connection.send(RedisCommand("BLPOP", IntakeShardRule.replyKey(stream: wrong, id: id), "15"), timeout: .seconds(17))
            let text = reply.array?.last?.string ?? ""
            #expect(text.contains("\"outcome\":\"rejected\"") && text.contains("belongs on the intake stream \(right), not on \(wrong)"),
                    "\(wrong): \(text)")
        }
        let dead = try harness.deadLetters()
        #expect(dead.count == 4 && dead.allSatisfy { $0["error"]?.contains("switchboard intake-key --workspace \(harness.workspace)") == true }, "\(dead)")
        #expect(try harness.agent("lost").isEmpty, "applied nowhere")
        // The right stream works.
        #expect(try harness.apply([("op", "agent.login"), ("agent", "found"), ("session", "s")])["outcome"] as? String == "applied")
    }

    @Test func producersFindTheirStream() throws {
        let harness = try PresenceHarness(workers: 1, shards: 4)
        try harness.awaitRecordedShardCount()
        // The CLI reads the recorded count.
        let key = try run(harness, ["intake-key", "--workspace", harness.workspace])
        #expect(key.status == 0 && key.output == harness.intake() + "\n", "\(key.output)")
        let login = try run(harness, ["agent", "login", "42", "--session", "tab1", "--wait", "--workspace", harness.workspace])
        #expect(login.status == 0 && login.output.contains("\"outcome\":\"applied\""), "\(login.output)")

        // inspect covers every shard: the streams and the config among the keys, the worker
        // known as a consumer of the group.
        let keys = try run(harness, ["inspect", "keys", "--workspace", harness.workspace])
        for key in harness.intakeStreams + ["\(harness.prefix):config"] { #expect(keys.output.contains(key + " "), "\(key) in \(keys.output)") }
        let workers = try run(harness, ["inspect", "workers", "--json"])
        #expect(workers.status == 0 && workers.output.contains("\"w0\"") && workers.output.contains("\"pending\" : 0"), "\(workers.output)")

        // Without Redis, from a given count; and one shard is the single stream.
        let offline = try ChildProcess.run(BuiltProducts.switchboard, ["intake-key", "--workspace", "123456789", "--intake-shards", "4"])
        #expect(offline.status == 0 && offline.output == "sb:intake:2\n", "crc32('123456789') = 0xCBF43926, mod 4 = 2: \(offline.output)")
        let single = try ChildProcess.run(BuiltProducts.switchboard, ["intake-key", "--workspace", "acme", "--intake-shards", "1"])
        #expect(single.output == "sb:intake\n")
        let unrecorded = try ChildProcess.run(BuiltProducts.switchboard, ["intake-key", "--workspace", "acme", "--redis", harness.redisURL,
                                                                          "--prefix", harness.prefix + "none"])
        #expect(unrecorded.status == 0 && unrecorded.output == harness.prefix + "none:intake\n", "no worker yet: one stream")
        let help = try ChildProcess.run(BuiltProducts.switchboard, ["intake-key", "--help"])
        #expect(help.status == 0 && help.output.contains("crc32") && help.output.contains("--intake-shards"), "\(help.output)")
        let bad = try ChildProcess.run(BuiltProducts.switchboard, ["intake-key", "--workspace", "acme", "--intake-shards", "0"])
        #expect(bad.status == 64 && bad.output.contains("intake-shards"), "\(bad.output)")
    }

    /// Sessions are expired only up to the oldest entry still waiting in the intake, whatever
    /// its shard. A login from 200 s ago is applied while the heartbeats that followed it wait,
    /// pending with a worker that died, for --claim-idle (2 s): the sweeps of those 2 s must
    /// leave the session alone, since the heartbeats that kept it alive are still to come.
    @Test(arguments: [1, 4])
    func theSweepWaitsForEntriesStillInAnyShard(shards: Int) throws {
        let harness = try PresenceHarness(workers: 0, shards: shards)
        let stream = harness.intake()
        try harness.connection.send(RedisCommand("XGROUP", "CREATE", stream, "switchboard", "0", "MKSTREAM"))
        let start = Int64(Date().timeIntervalSince1970 * 1000) - 200_000
        var last = ""
        for beat in 0...10 {
            var command = RedisCommand("XADD", stream, "\(start + Int64(beat) * 20_000)-0", "op", beat == 0 ? "agent.login" : "agent.heartbeat",
                                       "workspace", harness.workspace, "agent", "b1", "session", "s")
            if beat == 10 { command.append("reply"); command.append("1") }
            last = try harness.connection.send(command).string ?? ""
        }
        // The login is the restarted worker's own (taken back at once); the heartbeats a dead one's.
        try harness.connection.send(RedisCommand("XREADGROUP", "GROUP", "switchboard", "late", "COUNT", 1, "STREAMS", stream, ">"))
        try harness.connection.send(RedisCommand("XREADGROUP", "GROUP", "switchboard", "dead", "STREAMS", stream, ">"))
        try harness.startWorker(named: "late", arguments: ["--claim-idle", "2s"])
        let reply = try harness.connection.send(RedisCommand("BLPOP", harness.replyKey(last), "30"), timeout: .seconds(32))
        #expect(reply.array?.last?.string?.contains("applied") == true, "\(harness.workers.map(\.log))")
        #expect(try harness.events().allSatisfy { $0["reason"] != "expired" }, "no expiry while later heartbeats waited")
        #expect(try harness.sessions("b1") == ["s"])
        #expect(harness.workers[0].log.contains("took back own pending entries") && harness.workers[0].log.contains("claimed entries left pending"))
    }

    /// A deployment that split its intake keeps schedules written under one stream: a session
    /// whose sweep member sits in the un-numbered `sb:sweep` (written before the split) still
    /// expires, and the member moves to its shard's key. The safety sweep is kept out of it.
    @Test func aSweepScheduledBeforeTheSplitStillExpiresItsSession() throws {
        let harness = try PresenceHarness(workers: 0, shards: 4)
        try harness.startWorker(named: "w", arguments: ["--session-ttl", "1s", "--safety-sweep-interval", "1h"])
        _ = try harness.apply([("op", "agent.login"), ("workspace", harness.workspace), ("agent", "a1"), ("session", "s")])
        let shardKey = KeySchema(prefix: harness.prefix).schedules(forWorkspace: harness.workspace, shards: 4).sweep
        let legacyKey = KeySchema(prefix: harness.prefix).sweepSchedule
        // Moved by hand to where a worker with one intake stream wrote it.
        let moved = try harness.connection.pipeline([
            RedisCommand("ZREM", shardKey, harness.workspace), RedisCommand("ZADD", legacyKey, 0, harness.workspace),
        ])
        #expect(moved.first?.int == 1, "the login scheduled its sweep in \(shardKey)")
        #expect(eventually(upTo: 20) { (try? harness.sessions("a1"))?.isEmpty == true }, "\(harness.workers.map(\.log))")
        #expect(try harness.events().contains { $0["reason"] == "expired" })
    }

    /// Convergence end to end: random presence entries for four workspaces (one per shard
    /// with four shards) applied by three workers in small batches that interleave end where
    /// one worker applying the same entries (same ids, so same times) in order ends. On a
    /// single Redis and on the shared cluster.
    @Test(arguments: Topology.allCases, [1, 4])
    func threeWorkersOverTheShardsEndWhereOneInOrderEnds(topology: Topology, shards: Int) throws {
        let parallel = try PresenceHarness(workers: 3, workerArguments: ["--batch-size", "7", "--session-ttl", "3600s"], shards: shards, topology: topology)
        let workspaces = Self.workspaces(parallel)
        var rng = SplitMix64(state: 0x5AAD_2026)
        let statuses = ["online", "busy", "away", "dnd", "offline"]
        var written: [(stream: String, id: String, fields: [String])] = []
        for _ in 0..<8 {
            var chunk: [(stream: String, fields: [String])] = []
            for _ in 0..<100 {
                let workspace = workspaces[Int.random(in: 0..<workspaces.count, using: &rng)]
                let agent = "a\(Int.random(in: 0..<3, using: &rng))", session = "s\(Int.random(in: 1...2, using: &rng))"
                var fields = ["workspace", workspace, "agent", agent]
                switch Int.random(in: 0..<20, using: &rng) {
                case 0..<4: fields += ["op", "agent.login", "session", session]
                case 4..<7: fields += ["op", "agent.heartbeat", "session", session]
                case 7..<10: fields += ["op", "agent.logout", "session", session]
                case 10..<17:
                    fields += ["op", "agent.status", "status", statuses[Int.random(in: 0..<statuses.count, using: &rng)]]
                    if Bool.random(using: &rng) { fields += ["message", "m\(Int.random(in: 0..<3, using: &rng))"] }
                default: fields += ["op", "agent.profile", "preferred_status", statuses[Int.random(in: 0..<4, using: &rng)]]
                }
                chunk.append((parallel.intake(for: workspace), fields))
            }
            let ids = try parallel.connection.pipeline(chunk.map { RedisCommand("XADD", arguments: [$0.stream, "*"] + $0.fields) })
            for (entry, id) in zip(chunk, ids) { written.append((entry.stream, try #require(try id.orThrow().string), entry.fields)) }
        }

        // The same entries, same ids, each in its stream, for one worker under another prefix.
        let inOrder = try PresenceHarness(workers: 0, shards: shards, topology: topology)
        let renamed = { (stream: String) in inOrder.prefix + stream.dropFirst(parallel.prefix.count) }
        for reply in try inOrder.connection.pipeline(written.map { RedisCommand("XADD", arguments: [renamed($0.stream), $0.id] + $0.fields) }) {
            _ = try reply.orThrow()
        }
        try inOrder.startWorker(named: "alone", arguments: ["--session-ttl", "3600s"])
        for harness in [parallel, inOrder] { #expect(try harness.awaitDrained(), "\(harness.prefix) applied every entry") }

        let fields = ["status", "message", "since", "status_actor", "status_reason", "routable", "login_at", "preferred_status"]
        func state(_ harness: PresenceHarness, _ workspace: String, _ agent: String) throws -> [String: String] {
            let base = "\(harness.prefix):{\(workspace)}:agent:\(agent)"
            var state = (try harness.connection.send(RedisCommand("HGETALL", base)).stringPairs ?? [:]).filter { fields.contains($0.key) }
            for (session, expiry) in try harness.connection.send(RedisCommand("HGETALL", base + ":sessions")).stringPairs ?? [:] {
                state["session " + session] = expiry
            }
            return state
        }
        var differences: [String] = []
        var compared = 0
        for workspace in workspaces {
            for agent in ["a0", "a1", "a2"] {
                let (got, expected) = (try state(parallel, workspace, agent), try state(inOrder, workspace, agent))
                if got != expected { differences.append("\(workspace)/\(agent): \(got) vs in order \(expected)") }
                if expected["status"] != nil { compared += 1 }
            }
        }
        #expect(compared == 12, "every agent of every workspace has a state to compare")
        #expect(differences.isEmpty, "\(differences.count) agents differ: \(differences.prefix(3))")
        #expect(try parallel.deadLetters().isEmpty && inOrder.deadLetters().isEmpty)
    }
}
