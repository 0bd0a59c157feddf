import ChildProcess
import Foundation
import Redis
import Testing
import TestSupport

/// A worker that dies leaves its entries pending; the others claim them. An entry nobody
/// can finish is set aside. Redis restarting without its data costs nothing but a reconnect.
@Suite("Crash recovery and Redis outages")
struct RecoveryTests {
    /// Reads entries as a consumer that then "dies": they stay pending under its name.
    static func strand(_ harness: PresenceHarness, as consumer: String, count: Int) throws {
        try harness.connection.send(RedisCommand("XGROUP", "CREATE", "\(harness.prefix):intake", "switchboard", "0", "MKSTREAM"))
        _ = try harness.connection.send(RedisCommand("XREADGROUP", "GROUP", "switchboard", consumer, "COUNT", count,
                                                     "STREAMS", "\(harness.prefix):intake", ">"))
    }

    static func pending(_ harness: PresenceHarness) throws -> Int {
        try harness.connection.send(RedisCommand("XPENDING", "\(harness.prefix):intake", "switchboard")).array?.first?.int ?? -1
    }

    /// The pending count once it reaches 0, or after 10 s: a reply is written when its entry is
    /// applied, and the acknowledgement follows a moment later.
    static func pendingOnceSettled(_ harness: PresenceHarness) throws -> Int {
        let deadline = ContinuousClock.now + .seconds(10)
        var count = try pending(harness)
        while count != 0, ContinuousClock.now < deadline {
            usleep(20_000)
            count = try pending(harness)
        }
        return count
    }

    @Test func entriesADeadWorkerLeftPendingAreClaimedAndAppliedOnce() throws {
        let harness = try PresenceHarness(workers: 0)
        var ids: [String] = []
        for index in 0..<5 { ids.append(try harness.submit([("op", "agent.login"), ("agent", "r\(index)"), ("session", "s")], reply: true)) }
        try Self.strand(harness, as: "crashed", count: 5)
        try harness.startWorker(named: "survivor", arguments: ["--claim-idle", "300ms"])
        for id in ids {
            let reply = try harness.connection.send(RedisCommand("BLPOP", "\(harness.prefix):reply:\(id)", "20"), timeout: .seconds(22))
            #expect(reply.array?.last?.string?.contains("\"outcome\":\"applied\"") == true, "entry \(id)")
        }
        #expect(try Self.pendingOnceSettled(harness) == 0, "entries still pending 10 s after their replies")
        #expect(try harness.events().filter { $0["type"] == "status" }.count == 5, "each login applied once")
        #expect(harness.workers[0].log.contains("claimed entries left pending by another worker"))
    }

    @Test func anEntryDeliveredTooOftenIsSetAsideAndTheOthersGoOn() throws {
        let harness = try PresenceHarness(workers: 0)
        let poison = try harness.submit([("op", "agent.login"), ("agent", "p1"), ("session", "s")])
        let fine = try harness.submit([("op", "agent.login"), ("agent", "p2"), ("session", "s")], reply: true)
        try Self.strand(harness, as: "crashed", count: 2)
        // As if five workers in turn had died on it.
        try harness.connection.send(RedisCommand("XCLAIM", "\(harness.prefix):intake", "switchboard", "crashed", "0", poison, "RETRYCOUNT", "5"))
        try harness.startWorker(named: "survivor", arguments: ["--claim-idle", "300ms", "--max-deliveries", "5"])
        let reply = try harness.connection.send(RedisCommand("BLPOP", "\(harness.prefix):reply:\(fine)", "20"), timeout: .seconds(22))
        #expect(reply.array?.last?.string?.contains("\"outcome\":\"applied\"") == true)
        let dead = try harness.deadLetters()
        #expect(dead.count == 1)
        #expect(dead.first?["entry"] == poison)
        #expect(dead.first?["error"]?.contains("delivered 5 times") == true, "\(dead)")
        #expect(dead.first?["agent"] == "p1", "the original fields are kept")
        #expect(try harness.agent("p1")["status"] == nil, "the set-aside entry was not applied")
        #expect(try Self.pendingOnceSettled(harness) == 0, "entries still pending 10 s after the reply")
    }

    /// Regression: retrying entries after a refusal counted a delivery each time, so a long
    /// outage set valid entries aside as "delivered too often". The refusal here is an ACL
    /// that lacks TIME, the first command every script runs: every try fails inside the
    /// script before it writes anything.
    @Test func retriesDuringAnOutageDoNotCountAsDeliveries() throws {
        let server = try RedisServerProcess()
        let admin = RedisConnection(configuration: server.configuration())
        try admin.send(RedisCommand("ACL", "SETUSER", "limited", "on", ">pw", "~*", "&*", "+@all", "-time"))
        try admin.send(RedisCommand("XGROUP", "CREATE", "acl2:intake", "switchboard", "0", "MKSTREAM"))
        let id = try admin.send(RedisCommand("XADD", "acl2:intake", "*", "op", "agent.login", "workspace", "w", "agent", "o2",
                                             "session", "s", "reply", "1")).string ?? ""
        _ = try admin.send(RedisCommand("XREADGROUP", "GROUP", "switchboard", "same", "STREAMS", "acl2:intake", ">"))
        try admin.send(RedisCommand("XCLAIM", "acl2:intake", "switchboard", "same", "0", id, "RETRYCOUNT", "3"))
        try admin.send(RedisCommand("CONFIG", "RESETSTAT"))
        let url = "unix://limited:pw@" + server.socketPath
        let worker = try WorkerProcess(redisURL: url, prefix: "acl2", name: "same", extraArguments: ["--max-deliveries", "5"])
        defer { worker.stop() }
        // Wait until it has tried several times (each retry re-claims with JUSTID).
        let deadline = ContinuousClock.now + .seconds(15)
        func claims() throws -> Int {
            let stats = try admin.info("commandstats")["cmdstat_xclaim"] ?? ""
            return Int(stats.split(separator: ",").first?.split(separator: "=").last ?? "") ?? 0
        }
        while try claims() < 6, ContinuousClock.now < deadline { usleep(20_000) }
        #expect(try claims() >= 6, "worker log: \(worker.log)")
        let pending = try admin.send(RedisCommand("XPENDING", "acl2:intake", "switchboard", "-", "+", 10)).array?.first?.array
        #expect(pending?[3].int == 4, "one delivery counted for the restart, none for the retries: \(String(describing: pending))")
        #expect(try admin.send(RedisCommand("XLEN", "acl2:dead")).int == 0, "a refused permission is not the entry's fault")
        try admin.send(RedisCommand("ACL", "SETUSER", "limited", "+time"))
        let reply = try admin.send(RedisCommand("BLPOP", "acl2:reply:\(id)", "20"), timeout: .seconds(22))
        #expect(reply.array?.last?.string?.contains("\"outcome\":\"applied\"") == true, "worker log: \(worker.log)")
        #expect(try admin.send(RedisCommand("XLEN", "acl2:dead")).int == 0)
    }

    @Test func aRestartedWorkerTakesBackItsOwnPendingEntriesFirst() throws {
        let harness = try PresenceHarness(workers: 0)
        let id = try harness.submit([("op", "agent.login"), ("agent", "o1"), ("session", "s")], reply: true)
        try Self.strand(harness, as: "w-same", count: 1)
        // A long claim idle time: only taking back its own entries can apply it quickly.
        try harness.startWorker(named: "w-same", arguments: ["--claim-idle", "1h"])
        let reply = try harness.connection.send(RedisCommand("BLPOP", "\(harness.prefix):reply:\(id)", "20"), timeout: .seconds(22))
        #expect(reply.array?.last?.string?.contains("\"outcome\":\"applied\"") == true)
        #expect(harness.workers[0].log.contains("took back own pending entries"))
    }

    @Test func aWorkerCarriesOnWhenRedisRestartsWithoutItsData() throws {
        let server = try RedisServerProcess()
        let admin = RedisConnection(configuration: server.configuration())
        let worker = try WorkerProcess(redisURL: server.url, prefix: "rr", name: "rr1")
        defer { worker.stop() }
        func applied(_ agent: String) throws -> Bool {
            let id = try admin.send(RedisCommand("XADD", "rr:intake", "*", "op", "agent.login", "workspace", "w", "agent", agent,
                                                 "session", "s", "reply", "1")).string ?? ""
            let reply = try admin.send(RedisCommand("BLPOP", "rr:reply:\(id)", "20"), timeout: .seconds(22))
            return reply.array?.last?.string?.contains("\"outcome\":\"applied\"") == true
        }
        #expect(try applied("before"))
        // No persistence: the group and the scripts are gone after the restart.
        try server.restart()
        #expect(try applied("after"), "worker log: \(worker.log)")
        #expect(worker.isRunning)
        #expect(worker.log.contains("consumer group missing; creating it") || worker.log.contains("redis working again"))
    }

    @Test func aWorkerStartedBeforeRedisWaitsWithoutSpinningAndLogsOnce() throws {
        let server = try RedisServerProcess()
        server.stop()
        let worker = try WorkerProcess(redisURL: server.url, prefix: "late", name: "early-bird")
        defer { worker.stop() }
        try #require(eventually(upTo: 10) { worker.log.contains("redis failed") }, "no failure logged within 10 s: \(worker.log)")

        // Then something at the socket that hangs up at once, so every attempt can be counted.
        let refusing = try RefusingSocket(path: server.socketPath)
        defer { refusing.stop() }
        try #require(refusing.attempts.wait(upTo: 30, until: { $0.count >= 2 }), "the worker stopped retrying: \(worker.log)")
        // It does not spin: its attempts come one backoff step apart (hundreds of ms by now),
        // so when the test wakes for an attempt the next one has not come yet. A busy loop
        // makes hundreds in the time a thread takes to wake. Counted, not timed.
        for attempt in 3...5 {
            try #require(refusing.attempts.wait(upTo: 30, until: { $0.count >= attempt }), "the worker stopped retrying: \(worker.log)")
            let seen = refusing.attempts.all.count
            #expect(seen == attempt, "\(seen) connection attempts where the worker's backoff allows \(attempt): it spins")
        }
        // One line per kind of failure, not one per retry: the missing socket once, and no
        // line repeating the one before it (a hang-up reads "broken pipe" or "reset by peer").
        let failures = worker.log.split(separator: "\n").filter { $0.contains("redis failed") }.map { $0.drop { $0 != " " } }
        #expect(failures.filter { $0.contains("No such file or directory") }.count == 1, "\(worker.log)")
        #expect(zip(failures, failures.dropFirst()).allSatisfy { $0 != $1 }, "a retry logged the same failure again: \(worker.log)")
        refusing.stop()
        #expect(worker.isRunning)

        try server.start()
        let admin = RedisConnection(configuration: server.configuration())
        let id = try admin.send(RedisCommand("XADD", "late:intake", "*", "op", "agent.login", "workspace", "w", "agent", "a",
                                             "session", "s", "reply", "1")).string ?? ""
        let reply = try admin.send(RedisCommand("BLPOP", "late:reply:\(id)", "20"), timeout: .seconds(22))
        #expect(reply.array?.last?.string?.contains("\"outcome\":\"applied\"") == true, "worker log: \(worker.log)")
        // Logged once the batch that sent the reply has returned: awaited, not raced.
        #expect(try eventually(upTo: 10) { worker.log.contains("redis working again") }, "\(worker.log)")
    }

    @Test func workersShowTheirHeartbeatAndLeaveWhenStopped() throws {
        let harness = try PresenceHarness(workers: 2, workerArguments: ["--heartbeat-interval", "200ms"])
        try harness.apply([("op", "agent.login"), ("agent", "h1"), ("session", "s")])
        func workers() throws -> [[String: Any]] {
            let (output, status) = try ChildProcess.run(BuiltProducts.switchboard,
                                                        ["inspect", "workers", "--json", "--redis", harness.redisURL, "--prefix", harness.prefix])
            #expect(status == 0, "\(output)")
            return (try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]) ?? []
        }
        let deadline = ContinuousClock.now + .seconds(10)
        var alive: [String] = []
        while alive.count < 2, ContinuousClock.now < deadline {
            alive = try workers().filter { $0["state"] as? String == "alive" }.compactMap { $0["name"] as? String }.sorted()
            if alive.count < 2 { usleep(50_000) }
        }
        #expect(alive == ["w0", "w1"])
        #expect(harness.workers[1].stop() == 0)
        let after = try workers()
        // A clean stop removes the heartbeat at once: the worker is listed as gone (while the
        // group remembers it as a consumer) or not at all.
        #expect(after.first { $0["name"] as? String == "w1" }?["state"] as? String != "alive")
        #expect(after.first { $0["name"] as? String == "w0" }?["state"] as? String == "alive")
    }
}
