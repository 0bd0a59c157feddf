import Foundation
import Redis
import Testing
import TestSupport

/// Presence end to end: real workers (two per test) and a real Redis, driven only through
/// the intake stream, observed through broadcasts, the events log and the keys. Each test
/// runs on a single Redis and on the shared cluster (its workspace on each primary in turn).
@Suite("Presence, end to end")
struct PresenceTests {
    private func statuses(_ recorder: EventRecorder<String>) -> [[String: Any]] { recorder.all.map(PresenceHarness.decode) }

    @Test(arguments: Topology.withTLS)
    func eachStatusIsBroadcastWithTheContractPayload(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        let (subscriber, broadcasts) = try harness.subscribe()
        defer { subscriber.stop() }
        try harness.apply([("op", "agent.login"), ("agent", "42"), ("session", "tab1")])
        var previous = "online"
        for status in ["busy", "away", "dnd", "offline", "online"] {
            let outcome = try harness.apply([("op", "agent.status"), ("agent", "42"), ("status", status), ("message", "now \(status)")])
            #expect(outcome["outcome"] as? String == "applied")
            #expect(try harness.agent("42")["status"] == status)
            _ = previous
            previous = status
        }
        #expect(broadcasts.wait { $0.count == 6 })
        let messages = statuses(broadcasts)
        let away = try #require(messages.first { $0["status"] as? String == "away" })
        #expect(away["type"] as? String == "status")
        #expect(away["workspace"] as? String == harness.workspace)
        #expect(away["agent_id"] as? String == "42")
        #expect(away["previous"] as? String == "busy")
        #expect(away["message"] as? String == "now away")
        #expect(away["actor"] as? String == "42")
        #expect(away["reason"] as? String == "manual")
        let timestamp = try #require(away["timestamp"] as? String)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
        let versions = messages.compactMap { ($0["version"] as? NSNumber)?.intValue }
        #expect(versions == Array(versions[0]..<(versions[0] + 6)), "one version per outcome, no gaps")
        #expect(messages.first?["reason"] as? String == "login")
        let events = try harness.events().filter { $0["type"] == "status" }
        #expect(events.map { $0["status"] } == ["online", "busy", "away", "dnd", "offline", "online"])
        #expect(events.map { $0["version"].flatMap { Int($0) } } == versions.map { Optional($0) })
    }

    @Test(arguments: Topology.withTLS)
    func preferredLoginStatusIsAppliedByTheFirstSession(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.profile"), ("agent", "7"), ("preferred_status", "busy")])
        try harness.apply([("op", "agent.login"), ("agent", "7"), ("session", "s1")])
        let agent = try harness.agent("7")
        #expect(agent["status"] == "busy")
        #expect(agent["status_reason"] == "login")
    }

    @Test(arguments: Topology.withTLS)
    func aSecondSessionKeepsTheStatusTheAgentChose(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.login"), ("agent", "a1"), ("session", "laptop")])
        try harness.apply([("op", "agent.status"), ("agent", "a1"), ("status", "dnd")])
        try harness.apply([("op", "agent.login"), ("agent", "a1"), ("session", "phone")])
        try harness.apply([("op", "agent.heartbeat"), ("agent", "a1"), ("session", "tablet")])
        #expect(try harness.agent("a1")["status"] == "dnd")
        #expect(try harness.sessions("a1") == ["laptop", "phone", "tablet"])
    }

    @Test(arguments: Topology.withTLS)
    func acceptChatsAfterLoginOffKeepsTheAgentOutOfThePoolUntilTheyGoOnline(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.profile"), ("agent", "b2"), ("accept_chats_after_login", "false")])
        try harness.apply([("op", "agent.login"), ("agent", "b2"), ("session", "s")])
        var agent = try harness.agent("b2")
        #expect(agent["status"] == "online" && agent["routable"] == "0")
        try harness.apply([("op", "agent.status"), ("agent", "b2"), ("status", "away")])
        try harness.apply([("op", "agent.status"), ("agent", "b2"), ("status", "online")])
        agent = try harness.agent("b2")
        #expect(agent["routable"] == "1", "switching to Online themselves enters the pool")
    }

    @Test(arguments: Topology.withTLS)
    func changingAcceptChatsAfterLoginCountsFromTheNextLogin(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.login"), ("agent", "c3"), ("session", "s1")])
        #expect(try harness.agent("c3")["routable"] == "1")
        try harness.apply([("op", "agent.profile"), ("agent", "c3"), ("accept_chats_after_login", "false")])
        #expect(try harness.agent("c3")["routable"] == "1", "the current login is unaffected")
        try harness.apply([("op", "agent.logout"), ("agent", "c3"), ("session", "s1")])
        try harness.apply([("op", "agent.login"), ("agent", "c3"), ("session", "s2")])
        #expect(try harness.agent("c3")["routable"] == "0")
    }

    @Test(arguments: Topology.withTLS)
    func logoutOfOneOfTwoSessionsKeepsTheAgentOnline(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.login"), ("agent", "d4"), ("session", "s1")])
        try harness.apply([("op", "agent.login"), ("agent", "d4"), ("session", "s2")])
        try harness.apply([("op", "agent.logout"), ("agent", "d4"), ("session", "s1")])
        #expect(try harness.agent("d4")["status"] == "online")
        try harness.apply([("op", "agent.logout"), ("agent", "d4"), ("session", "s2")])
        let agent = try harness.agent("d4")
        #expect(agent["status"] == "offline" && agent["status_reason"] == "logout" && agent["routable"] == "0")
    }

    @Test(arguments: Topology.withTLS)
    func sessionsExpireWithOneBroadcastWhileThreeWorkersSweep(topology: Topology) throws {
        let harness = try PresenceHarness(workers: 3, workerArguments: ["--session-ttl", "1s"], topology: topology)
        let (subscriber, broadcasts) = try harness.subscribe()
        defer { subscriber.stop() }
        for agent in ["e1", "e2", "e3"] {
            try harness.apply([("op", "agent.login"), ("agent", agent), ("session", "s")])
        }
        #expect(broadcasts.wait(upTo: 20) { texts in
            texts.map(PresenceHarness.decode).filter { $0["reason"] as? String == "expired" }.count == 3
        })
        // A later outcome proves the workers have moved on; no second expiry may precede it.
        try harness.apply([("op", "agent.status"), ("agent", "marker"), ("status", "offline")])
        let expired = try harness.events().filter { $0["reason"] == "expired" }
        #expect(expired.count == 3)
        #expect(Set(expired.compactMap { $0["agent_id"] }) == ["e1", "e2", "e3"])
        #expect(try harness.sessions("e1").isEmpty)
        #expect(try harness.agent("e1")["routable"] == "0")
    }

    @Test(arguments: Topology.withTLS)
    func heartbeatsKeepASessionAliveAndRecreateAnUnknownOne(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.heartbeat"), ("agent", "f5"), ("session", "s")])
        let agent = try harness.agent("f5")
        #expect(agent["status"] == "online", "a heartbeat for an unknown session logs it in")
        #expect(try harness.sessions("f5") == ["s"])
        let score = try harness.connection.send(RedisCommand("ZSCORE", harness.key("sessions"), "f5/s")).int ?? 0
        try harness.apply([("op", "agent.heartbeat"), ("agent", "f5"), ("session", "s")])
        let later = try harness.connection.send(RedisCommand("ZSCORE", harness.key("sessions"), "f5/s")).int ?? 0
        #expect(later >= score)
    }

    @Test(arguments: Topology.withTLS)
    func supervisorOverrideIsAllowedAndAnAgentsIsRefused(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.profile"), ("agent", "sup"), ("role", "supervisor")])
        try harness.apply([("op", "agent.login"), ("agent", "g6"), ("session", "s")])
        let allowed = try harness.apply([("op", "agent.status"), ("agent", "g6"), ("status", "away"), ("actor", "sup")])
        #expect(allowed["outcome"] as? String == "applied")
        let agent = try harness.agent("g6")
        #expect(agent["status"] == "away" && agent["status_reason"] == "override" && agent["status_actor"] == "sup")

        let refused = try harness.apply([("op", "agent.status"), ("agent", "g6"), ("status", "online"), ("actor", "peer")])
        #expect(refused["outcome"] as? String == "rejected")
        #expect((refused["error"] as? String)?.contains("may not change the status") == true)
        #expect(try harness.agent("g6")["status"] == "away")
        let dead = try harness.deadLetters()
        #expect(dead.contains { $0["actor"] == "peer" && $0["error"]?.contains("supervisor") == true })
        #expect(try harness.events().contains { $0["type"] == "rejected" && $0["actor"] == "peer" })
    }

    @Test(arguments: Topology.withTLS)
    func badInputIsDeadLetteredWhileValidEntriesAroundItAreApplied(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        let bad: [[(String, String)]] = [
            [("op", "agent.dance"), ("agent", "h7")],
            [("op", "agent.status"), ("agent", "h7")],
            [("op", "agent.status"), ("agent", "a}b"), ("status", "online")],
            [("op", "agent.status"), ("agent", "a:b"), ("status", "online")],
            [("op", "agent.status"), ("agent", "a b"), ("status", "online")],
            [("op", "agent.status"), ("agent", "h7"), ("status", "sleeping")],
            [("op", "agent.status"), ("agent", "h7"), ("status", "away"), ("message", String(repeating: "x", count: 281))],
            [("op", "agent.login"), ("workspace", "{evil}"), ("agent", "h7"), ("session", "s")],
        ]
        try harness.apply([("op", "agent.login"), ("agent", "h7"), ("session", "s")])
        for fields in bad { try harness.submit(fields) }
        try harness.apply([("op", "agent.status"), ("agent", "h7"), ("status", "busy")])
        #expect(try harness.agent("h7")["status"] == "busy")
        // Another worker may still be writing the bad entries' dead letters when this reply
        // comes: they are all written once the intake is drained (before each acknowledgement).
        #expect(try harness.awaitDrained())
        let dead = try harness.deadLetters()
        #expect(dead.count == bad.count)
        for letter in dead {
            let error = try #require(letter["error"])
            #expect(error.hasSuffix(".") && error.count > 20, "a sentence a person understands: \(error)")
            #expect(letter["worker"] != nil && letter["entry"] != nil && letter["op"] != nil)
        }
        #expect(harness.workers.allSatisfy { $0.isRunning })
    }

    @Test(arguments: Topology.withTLS)
    func entriesWrittenBeforeAnyWorkerRunsAreApplied(topology: Topology) throws {
        let harness = try PresenceHarness(workers: 0, topology: topology)
        let id = try harness.submit([("op", "agent.login"), ("agent", "i8"), ("session", "s")], reply: true)
        try harness.startWorker(named: "late")
        let reply = try harness.connection.send(RedisCommand("BLPOP", "\(harness.prefix):reply:\(id)", "15"), timeout: .seconds(17))
        #expect(reply.array?.last?.string?.contains("applied") == true)
        #expect(try harness.agent("i8")["status"] == "online")
        // The reply is written just before the acknowledgement; a later entry's reply comes
        // after the first one's acknowledgement and trimming.
        try harness.apply([("op", "agent.heartbeat"), ("agent", "i8"), ("session", "s")])
        let left = try harness.connection.send(RedisCommand("XLEN", "\(harness.prefix):intake")).int ?? -1
        #expect(left <= 1, "acknowledged entries are trimmed (at most the last one is still being acknowledged)")
    }

    @Test(arguments: Topology.withTLS)
    func workersStopCleanlyOnSigterm(topology: Topology) throws {
        let harness = try PresenceHarness(workers: 1, topology: topology)
        try harness.apply([("op", "agent.login"), ("agent", "j9"), ("session", "s")])
        #expect(harness.workers[0].stop() == 0)
        #expect(harness.workers[0].log.contains("worker stopped"))
    }
}

@Suite("Presence survives a lost sweep schedule")
struct SweepSafetyTests {
    @Test(arguments: Topology.withTLS)
    func sessionsExpireEvenIfTheirScheduleEntryWasLost(topology: Topology) throws {
        let harness = try PresenceHarness(workers: 2, workerArguments: ["--session-ttl", "1s", "--safety-sweep-interval", "500ms"], topology: topology)
        let (subscriber, broadcasts) = try harness.subscribe()
        defer { subscriber.stop() }
        try harness.apply([("op", "agent.login"), ("agent", "k1"), ("session", "s")])
        // As if the worker that applied the login died before scheduling the sweep.
        try harness.connection.send(RedisCommand("ZREM", "\(harness.prefix):sweep", harness.workspace))
        #expect(broadcasts.wait(upTo: 20) { texts in
            texts.map(PresenceHarness.decode).contains { $0["reason"] as? String == "expired" }
        })
        #expect(try harness.agent("k1")["status"] == "offline")
    }
}

@Suite("Presence with a backlog and a troubled Redis")
struct PresenceBacklogTests {
    /// Writes entries with ids in the past, as if they had waited in the stream.
    private func backlog(_ harness: PresenceHarness, _ entries: [(offset: Int64, fields: [(String, String)])], start: Int64) throws -> String {
        var last = ""
        for (offset, fields) in entries {
            var command = RedisCommand("XADD", harness.intake(), "\(start + offset)-0", "workspace", harness.workspace)
            for (name, value) in fields { command.append(name); command.append(value) }
            if offset == entries.last?.offset { command.append("reply"); command.append("1") }
            last = try harness.connection.send(command).string ?? ""
        }
        return last
    }

    private func awaitReply(_ harness: PresenceHarness, _ id: String) throws -> String? {
        try harness.connection.send(RedisCommand("BLPOP", harness.replyKey(id), "20"), timeout: .seconds(22)).array?.last?.string
    }

    @Test(arguments: Topology.withTLS)
    func aBacklogOfHeartbeatsKeepsTheAgentAsTheyLeftIt(topology: Topology) throws {
        let harness = try PresenceHarness(workers: 0, topology: topology)
        let start = Int64(Date().timeIntervalSince1970 * 1000) - 300_000
        var entries: [(offset: Int64, fields: [(String, String)])] = [
            (0, [("op", "agent.login"), ("agent", "l1"), ("session", "s")]),
            (1, [("op", "agent.status"), ("agent", "l1"), ("status", "away"), ("message", "Lunch")]),
        ]
        for beat in 1...15 { entries.append((Int64(beat) * 20_000, [("op", "agent.heartbeat"), ("agent", "l1"), ("session", "s")])) }
        let last = try backlog(harness, entries, start: start)
        try harness.startWorker(named: "late")
        #expect(try awaitReply(harness, last) != nil)
        let agent = try harness.agent("l1")
        #expect(agent["status"] == "away" && agent["message"] == "Lunch")
        #expect(try harness.events().allSatisfy { $0["reason"] != "expired" })
    }

    /// With one intake stream and with four shards, on each topology.
    @Test(arguments: Topology.allCases, [1, 4])
    func aBacklogDrainedByTwoWorkersAtOnceIsAppliedInOrder(topology: Topology, shards: Int) throws {
        let harness = try PresenceHarness(workers: 0, shards: shards, topology: topology)
        let start = Int64(Date().timeIntervalSince1970 * 1000) - 800_000
        var entries: [(offset: Int64, fields: [(String, String)])] = []
        for index in 0..<150 {
            let fields: [(String, String)] = index == 99
                ? [("op", "agent.profile"), ("agent", "m1"), ("role", "supervisor")]
                : [("op", "agent.status"), ("agent", "m1"), ("status", index % 2 == 0 ? "busy" : "away")]
            entries.append((Int64(index) * 5_000, fields))
        }
        let last = try backlog(harness, entries, start: start)
        try harness.startWorker(named: "a", arguments: ["--batch-size", "50"])
        try harness.startWorker(named: "b", arguments: ["--batch-size", "50"])
        #expect(try awaitReply(harness, last) != nil)
        try harness.apply([("op", "agent.status"), ("agent", "marker"), ("status", "offline")])  // both batches done
        let agent = try harness.agent("m1")
        #expect(agent["role"] == "supervisor")
        #expect(agent["status"] == "away", "entry 149 is the last: away")
    }

    @Test func aBrokenSweepDoesNotStopTheIntake() throws {
        let harness = try PresenceHarness(workers: 1)
        try harness.connection.send(RedisCommand("SET", "\(harness.prefix):sweep", "not a sorted set"))
        let outcome = try harness.apply([("op", "agent.login"), ("agent", "n1"), ("session", "s")])
        #expect(outcome["outcome"] as? String == "applied")
    }

    @Test func anEntryRedisCannotApplyNowStaysPendingInsteadOfBeingDeadLettered() throws {
        let server = try RedisServerProcess()
        let admin = RedisConnection(configuration: server.configuration())
        let prefix = "oom"
        try admin.send(RedisCommand("XGROUP", "CREATE", "\(prefix):intake", "switchboard", "0", "MKSTREAM"))
        let id = try admin.send(RedisCommand("XADD", "\(prefix):intake", "*", "op", "agent.login", "workspace", "w",
                                             "agent", "o1", "session", "s", "reply", "1")).string ?? ""
        try admin.send(RedisCommand("CONFIG", "SET", "maxmemory", "1"))
        let worker = try WorkerProcess(redisURL: server.url, prefix: prefix, name: "oom")
        defer { worker.stop() }
        // Once the worker has tried (and been refused), let Redis take writes again.
        var tried = false
        for _ in 0..<500 where !tried {
            tried = worker.log.contains("OOM")
            if !tried { usleep(10_000) }
        }
        #expect(tried, "the worker met the out-of-memory error: \(worker.log)")
        try admin.send(RedisCommand("CONFIG", "SET", "maxmemory", "0"))
        let reply = try admin.send(RedisCommand("BLPOP", "\(prefix):reply:\(id)", "20"), timeout: .seconds(22))
        #expect(reply.array?.last?.string?.contains("\"outcome\":\"applied\"") == true)
        #expect(try admin.send(RedisCommand("XLEN", "\(prefix):dead")).int == 0)
    }
}
