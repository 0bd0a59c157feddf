import Foundation
import Redis
import Testing
import TestSupport

/// Redis losing the function library under load costs nothing: `FUNCTION FLUSH` while two
/// workers drain thousands of entries, and a Redis restart without persistence between two
/// batches. Each on a private redis-server (a flush or restart of the shared one would hit
/// other suites' workers), over one intake stream and over four shards.
@Suite("Losing the function library under load")
struct FunctionLossTests {
    @Test(.timeLimit(.minutes(3)), arguments: [1, 4])
    func functionFlushWhileWorkersDrainLosesNoEntry(shards: Int) throws {
        let deployment = try Deployment(name: "flush", shards: shards)
        let workload = Workload(tag: "f", workspaces: deployment.workspaces, agents: 6, rounds: 24)
        try deployment.admin.send(RedisCommand("CONFIG", "RESETSTAT"))
        // Chunks of 240 entries. The library is flushed as soon as a chunk is written, then
        // again each time the workers have taken more entries, until the chunk is drained:
        // calls miss at the start of batches and in their middle, and now and then a re-send
        // misses again (a flush between a worker's load and its re-send).
        var flushes = 0, chunks = 0, chunksFlushedWhileWaiting = 0
        for start in stride(from: 0, to: workload.entries.count, by: 240) {
            try deployment.write(Array(workload.entries[start..<min(start + 240, workload.entries.count)]))
            chunks += 1
            var waiting = try deployment.flushFunctions()
            flushes += 1
            if waiting > 0 { chunksFlushedWhileWaiting += 1 }
            while waiting > 0 {
                let deadline = ContinuousClock.now + .seconds(30)
                while try deployment.waiting() >= waiting {
                    try #require(ContinuousClock.now < deadline, "the workers took nothing for 30 s: \(deployment.logs)")
                    usleep(500)
                }
                waiting = try deployment.flushFunctions()
                flushes += 1
            }
        }
        #expect(try deployment.awaitDrained(), "every entry applied and acknowledged: \(deployment.logs)")
        try deployment.expectNothingLost(workload)
        // No worker applies 240 entries between the XADDs and the next command: every chunk
        // was flushed while it waited, and applied with the library loaded again.
        #expect(chunksFlushedWhileWaiting == chunks)
        let loads = try deployment.admin.info("commandstats")["cmdstat_function|load"] ?? ""
        #expect((Int(loads.dropFirst("calls=".count).prefix { $0.isNumber }) ?? 0) >= chunks,
                "\(flushes) flushes over \(chunks) chunks; the workers loaded the library: \(loads)")
    }

    @Test(.timeLimit(.minutes(3)), arguments: [1, 4])
    func aRedisRestartWithoutPersistenceLosesNoLaterEntry(shards: Int) throws {
        let deployment = try Deployment(name: "restart", shards: shards)
        let before = Workload(tag: "b", workspaces: deployment.workspaces, agents: 4, rounds: 4)
        try deployment.write(before.entries)
        #expect(try deployment.awaitDrained(), "\(deployment.logs)")
        try deployment.expectNothingLost(before)

        // No persistence: the intake streams, their consumer group, the recorded shard count
        // and the library are gone. The second batch is written while the workers reconnect.
        try deployment.server.restart()
        #expect(try deployment.admin.send(["DBSIZE"]).int == 0 && FunctionsCommandTests.libraries(deployment.admin).isEmpty)
        let after = Workload(tag: "a", workspaces: deployment.workspaces, agents: 4, rounds: 6)
        try deployment.write(after.entries)
        #expect(try deployment.awaitDrained(), "\(deployment.logs)")
        try deployment.expectNothingLost(after)
        let running = deployment.workers.allSatisfy { $0.isRunning }
        #expect(running, "\(deployment.logs)")
        #expect(try deployment.admin.send(RedisCommand("HGET", "\(deployment.prefix):config", "intake_shards")).string == String(shards))
        #expect(try FunctionsCommandTests.libraries(deployment.admin).count == 1, "the library is loaded again")
    }
}

/// Two workers over a private redis-server, and a producer writing to the streams the
/// documented shard rule names.
private final class Deployment {
    let server: RedisServerProcess
    let admin: RedisConnection
    let prefix = "fl"
    let shards: Int
    let workers: [WorkerProcess]
    /// Four workspaces, one per shard when there are four.
    let workspaces: [String]

    /// Workers named `<name><shards>-<n>` (their log files are named after them).
    init(name: String, shards: Int) throws {
        self.shards = shards
        // Started, and restarted, with --save "" --appendonly no: a restart keeps no data.
        server = try RedisServerProcess()
        admin = RedisConnection(configuration: server.configuration(name: "sb-test-function-loss"))
        var found: [UInt32: String] = [:]
        var index = 0
        while found.count < 4 {
            let workspace = "ws\(index)", shard = IntakeShardRule.crc32(workspace) % 4
            found[shard] = found[shard] ?? workspace
            index += 1
        }
        workspaces = found.keys.sorted().map { found[$0]! }
        // A long session TTL: no session of the test expires, whatever the machine's speed.
        let (url, prefix) = (server.url, prefix)
        workers = try (0..<2).map {
            try WorkerProcess(redisURL: url, prefix: prefix, name: "\(name)\(shards)-\($0)",
                              extraArguments: ["--intake-shards", String(shards), "--session-ttl", "3600s"])
        }
    }

    deinit { for worker in workers { worker.stop() } }

    var streams: [String] { IntakeShardRule.streamsRead(prefix: prefix, shards: shards) }

    var logs: String { workers.map { "\($0.name):\n\($0.log.suffix(3000))" }.joined(separator: "\n---\n") }

    func write(_ entries: [Workload.Entry]) throws {
        let commands = entries.map { RedisCommand("XADD", arguments: [IntakeShardRule.key(prefix: prefix, workspace: $0.workspace, shards: shards), "*",
                                                                      "workspace", $0.workspace] + $0.fields) }
        for reply in try admin.pipeline(commands) { _ = try reply.orThrow() }
    }

    /// `FUNCTION FLUSH`; returns how many entries were still in the intake right after it.
    func flushFunctions() throws -> Int {
        let replies = try admin.pipeline([RedisCommand("FUNCTION", "FLUSH")] + streams.map { RedisCommand("XLEN", $0) })
        return try replies.dropFirst().reduce(0) { $0 + (try $1.orThrow().int ?? 0) }
    }

    /// Entries still in the intake: acknowledged ones are deleted from it.
    func waiting() throws -> Int {
        try admin.pipeline(streams.map { RedisCommand("XLEN", $0) }).reduce(0) { $0 + (try $1.orThrow().int ?? 0) }
    }

    func awaitDrained() throws -> Bool {
        try eventually(upTo: 90) {
            let replies = try admin.pipeline(streams.flatMap { [RedisCommand("XLEN", $0), RedisCommand("XPENDING", $0, "switchboard")] })
            return replies.allSatisfy { $0.serverError == nil && ($0.int ?? $0.array?.first?.int ?? 0) == 0 }
        }
    }

    func hash(_ workspace: String, _ suffix: String) throws -> [String: String] {
        try admin.send(RedisCommand("HGETALL", "\(prefix):{\(workspace)}:\(suffix)")).stringPairs ?? [:]
    }

    /// No dead letter, and every agent and conversation as the workload's last entries left it.
    func expectNothingLost(_ workload: Workload) throws {
        let streams = ["\(prefix):dead"] + (shards == 1 ? [] : (0..<shards).map { "\(prefix):dead:\($0)" })
        let dead = try streams.flatMap { (try admin.send(RedisCommand("XRANGE", $0, "-", "+")).array ?? []).compactMap { $0.array?.last?.stringPairs } }
        #expect(dead.isEmpty, "\(dead.count) dead letters, e.g. \(dead.prefix(2))")
        var differences: [String] = []
        for (workspace, agents) in workload.expectedAgents {
            for (agent, expected) in agents {
                let stored = try hash(workspace, "agent:\(agent)")
                let sessions = Set(try hash(workspace, "agent:\(agent):sessions").keys)
                let got = Workload.AgentState(status: stored["status"] ?? "none", message: expected.status == "offline" ? nil : stored["message"],
                                              sessions: sessions)
                if got != expected { differences.append("\(workspace)/\(agent): \(got), expected \(expected)") }
            }
        }
        for (workspace, conversations) in workload.expectedConversations {
            for (conversation, closed) in conversations {
                let state = try hash(workspace, "conversation:\(conversation)")["state"]
                let fine = closed ? state == "closed" : (state == "queued" || state == "assigned")
                if !fine { differences.append("\(workspace)/\(conversation): state \(state ?? "none"), expected \(closed ? "closed" : "open")") }
            }
        }
        #expect(differences.isEmpty, "\(differences.count) differ, e.g. \(differences.prefix(4))")
    }
}

/// Logins, statuses, heartbeats, logouts and conversations opened and closed in several
/// workspaces, with an end state that a lost entry of the last round, or any lost
/// conversation entry, changes: each agent ends on the status and message of its last
/// round (or logged out), every conversation exists, and those closed are closed. An earlier
/// round's status entry lost would not show there; the dead letters catch how a missing
/// function loses one (a valid entry set aside).
private struct Workload {
    struct Entry {
        let workspace: String
        let fields: [String]
    }

    struct AgentState: Equatable, CustomStringConvertible {
        let status: String
        let message: String?
        let sessions: Set<String>
        var description: String { "\(status) '\(message ?? "")' sessions \(sessions.sorted())" }
    }

    private(set) var entries: [Entry] = []
    private(set) var expectedAgents: [String: [String: AgentState]] = [:]
    /// Conversation id → whether it was closed.
    private(set) var expectedConversations: [String: [String: Bool]] = [:]

    init(tag: String, workspaces: [String], agents: Int, rounds: Int) {
        let statuses = ["online", "busy", "away", "dnd"]
        for round in 0..<rounds {
            for agentIndex in 0..<agents {
                for workspace in workspaces {
                    let agent = "\(tag)\(agentIndex)", session = "s"
                    let status = statuses[(round + agentIndex) % statuses.count], message = "r\(round)"
                    let conversation = "\(tag)c\(round)-\(agentIndex)"
                    var steps = [["op", "agent.login", "agent", agent, "session", session],
                                 ["op", "agent.status", "agent", agent, "status", status, "message", message],
                                 ["op", "agent.heartbeat", "agent", agent, "session", session],
                                 ["op", "conversation.new", "conversation", conversation]]
                    expectedConversations[workspace, default: [:]][conversation] = false
                    if round > 0, agentIndex.isMultiple(of: 2) {
                        let previous = "\(tag)c\(round - 1)-\(agentIndex)"
                        steps.append(["op", "conversation.close", "conversation", previous])
                        expectedConversations[workspace, default: [:]][previous] = true
                    }
                    var expected = AgentState(status: status, message: message, sessions: [session])
                    if round == rounds - 1, agentIndex.isMultiple(of: 3) {
                        steps.append(["op", "agent.logout", "agent", agent, "session", session])
                        expected = AgentState(status: "offline", message: nil, sessions: [])
                    }
                    expectedAgents[workspace, default: [:]][agent] = expected
                    entries += steps.map { Entry(workspace: workspace, fields: $0) }
                }
            }
        }
    }
}
