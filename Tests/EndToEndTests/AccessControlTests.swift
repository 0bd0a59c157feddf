import Foundation
import Redis
import Testing
import TestSupport

/// Redis access control end to end: the ACL rules of docs/operations.md (read from the page)
/// on a private Redis, a real worker and the real `switchboard` commands under them, and
/// checks that a password shows up nowhere it should not.
@Suite("Redis access control (docs/operations.md)", .serialized)
struct AccessControlTests {
    static let workspace = "acme"
    static let secret = "s3cr3t-Zebra-42"

    /// Words that Redis uses when an ACL refuses something, outside and inside scripts.
    static let refusals = ["NOPERM", "no permissions", "can't run this command"]

    // MARK: - Helpers

    /// An intake producer on a connection of its own (the client user in these tests).
    struct Producer {
        let connection: RedisConnection

        @discardableResult
        func submit(_ fields: [(String, String)], reply: Bool) throws -> String {
            var command = RedisCommand("XADD", "sb:intake", "*", "workspace", AccessControlTests.workspace)
            for (name, value) in fields + (reply ? [("reply", "1")] : []) { command.append(name); command.append(value) }
            return try #require(try connection.send(command).string)
        }

        /// Writes an entry with `reply 1` and waits for the worker's outcome.
        @discardableResult
        func apply(_ fields: [(String, String)], worker: SwitchboardProcess, timeout: Int = 15) throws -> [String: Any] {
            let id = try submit(fields, reply: true)
            let reply = try connection.send(RedisCommand("BLPOP", "sb:reply:\(id)", timeout), timeout: .seconds(timeout + 2))
            guard let text = reply.array?.last?.string,
                  let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw TestSupportError("no outcome for \(fields) within \(timeout)s; worker log:\n\(worker.log)")
            }
            return object
        }
    }

    private func events(_ outcome: [String: Any]) -> [[String: Any]] { outcome["events"] as? [[String: Any]] ?? [] }

    private func agent(_ id: String, on redis: AccessControlServer) throws -> [String: String] {
        try redis.admin.send(RedisCommand("HGETALL", "sb:{\(Self.workspace)}:agent:\(id)")).stringPairs ?? [:]
    }

    /// Starts a worker as the documented worker user, the password in a file.
    private func startWorker(_ redis: AccessControlServer, passwordFile: String, name: String, extra: [String] = []) throws -> SwitchboardProcess {
        try SwitchboardProcess(["worker", "--redis", redis.url(user: "switchboard-worker"), "--redis-password-file", passwordFile,
                                "--name", name, "--log-level", "debug"] + extra)
    }

    /// Every refusal an ACL made on this server for `user`.
    private func refusals(of user: String, on redis: AccessControlServer) throws -> [[String: String]] {
        try redis.aclLog().filter { $0["username"] == user }
    }

    private func mentionsRefusal(_ text: String) -> Bool { Self.refusals.contains { text.contains($0) } }

    // MARK: - The worker user

    /// Every op, the dead letters and the session sweep, by a worker under the documented rule:
    /// nothing is refused (no NOPERM in its log or in a dead letter, nothing in ACL LOG).
    @Test func workerUnderTheDocumentedRuleRunsEveryFlow() throws {
        let redis = try AccessControlServer()
        let workerUser = try redis.createUser(fromRule: "worker", password: "worker-pw-1")
        let operatorUser = try redis.createUser(fromRule: "operator", password: "operator-pw-1")
        let clientUser = try redis.createUser(fromRule: "client", password: "client-pw-1")
        #expect(workerUser == "switchboard-worker" && operatorUser == "switchboard-operator" && clientUser == "switchboard-client")
        let workerPassword = try redis.passwordFile("worker-password", containing: "worker-pw-1")

        // The operator watches the status channel; the client writes the entries.
        let broadcasts = EventRecorder<String>()
        let ready = EventRecorder<Bool>()
        let watcher = RedisSubscriber(configuration: redis.configuration(user: operatorUser, password: "operator-pw-1", name: "acl-watch"),
                                      channels: ["sb:{\(Self.workspace)}:status"]) { event in
            switch event {
            case .ready: ready.record(true)
            case .message(let message): broadcasts.record(message.text)
            default: break
            }
        }
        watcher.start()
        defer { watcher.stop() }
        #expect(ready.wait { !$0.isEmpty }, "the operator user may subscribe to sb:{ws}:status")
        let client = Producer(connection: RedisConnection(configuration: redis.configuration(user: clientUser, password: "client-pw-1")))

        // Worker A, `--redis unix://switchboard-worker:@… --redis-password-file …`.
        let first = try startWorker(redis, passwordFile: workerPassword, name: "acl-a", extra: ["--safety-sweep-interval", "200ms"])
        func apply(_ fields: [(String, String)], by worker: SwitchboardProcess) throws -> [String: Any] {
            try client.apply(fields, worker: worker)
        }
        @discardableResult
        func applied(_ fields: [(String, String)], by worker: SwitchboardProcess) throws -> [String: Any] {
            let outcome = try apply(fields, by: worker)
            #expect(outcome["outcome"] as? String == "applied", "\(fields) → \(outcome)\nworker log:\n\(worker.log)")
            return outcome
        }

        try applied([("op", "agent.profile"), ("agent", "sup-1"), ("role", "supervisor")], by: first)
        try applied([("op", "agent.profile"), ("agent", "42"), ("capacity", "2")], by: first)
        try applied([("op", "agent.login"), ("agent", "42"), ("session", "tab1")], by: first)
        try applied([("op", "agent.heartbeat"), ("agent", "42"), ("session", "tab1")], by: first)
        try applied([("op", "agent.status"), ("agent", "42"), ("status", "away"), ("message", "Lunch")], by: first)
        // A refusal decided inside Redis (agent 7 is no supervisor): dead-lettered, and a `rejected` event.
        let override = try apply([("op", "agent.status"), ("agent", "42"), ("status", "dnd"), ("actor", "7")], by: first)
        #expect(override["outcome"] as? String == "rejected")
        try applied([("op", "agent.status"), ("agent", "42"), ("status", "online")], by: first)
        #expect(try agent("42", on: redis)["status"] == "online")
        try applied([("op", "workspace.settings"), ("routing", "least_loaded"), ("busy_fallback", "true")], by: first)
        // Business hours: a worker claims the workspace from sb:widget-schedule and stores its schedule.
        try applied([("op", "workspace.settings"), ("widget_mode", "hours"), ("widget_hours", "mon-sun 00:00-12:00")], by: first)
        let widget = "sb:{\(Self.workspace)}:widget"
        #expect(try eventually { try redis.admin.send(RedisCommand("HEXISTS", widget, "schedule_open")).int == 1 },
                "the worker computes the business hours; worker log:\n\(first.log)")

        // Routing: a new conversation goes to agent 42.
        let routed = try applied([("op", "conversation.new"), ("conversation", "c-1"), ("priority", "5")], by: first)
        let assigned = events(routed).first { $0["type"] as? String == "assigned" }
        #expect(assigned?["agent_id"] as? String == "42", "c-1 is routed to agent 42: \(routed)")
        try applied([("op", "conversation.new"), ("conversation", "c-2"), ("team", "sales")], by: first)
        try applied([("op", "conversation.assign"), ("conversation", "c-2"), ("agent", "42"), ("actor", "sup-1")], by: first)
        try applied([("op", "conversation.transfer"), ("conversation", "c-2"), ("team", "billing"), ("actor", "42")], by: first)
        try applied([("op", "agent.reassign"), ("agent", "42"), ("actor", "sup-1")], by: first)
        let closed = try applied([("op", "conversation.close"), ("conversation", "c-1")], by: first)
        #expect(events(closed).contains { $0["type"] as? String == "closed" })
        #expect(try redis.admin.send(RedisCommand("HGET", "sb:{\(Self.workspace)}:conversation:c-1", "state")).string == "closed")

        // Input refused while parsing: dead-lettered.
        let malformed = try apply([("op", "agent.status"), ("agent", "42"), ("status", "sleeping")], by: first)
        #expect(malformed["outcome"] as? String == "rejected")
        try applied([("op", "agent.logout"), ("agent", "42"), ("session", "tab1")], by: first)
        #expect(first.stop() == 0)

        // Recovery: entries left pending by a consumer that is gone, and by worker B's own name
        // (as after a crash), are claimed and taken back by B.
        let orphan = try client.submit([("op", "agent.profile"), ("agent", "44"), ("capacity", "1")], reply: true)
        _ = try redis.admin.send(RedisCommand("XREADGROUP", "GROUP", "switchboard", "ghost", "COUNT", 1, "STREAMS", "sb:intake", ">"))
        let own = try client.submit([("op", "agent.profile"), ("agent", "45"), ("capacity", "1")], reply: true)
        _ = try redis.admin.send(RedisCommand("XREADGROUP", "GROUP", "switchboard", "acl-b", "COUNT", 1, "STREAMS", "sb:intake", ">"))

        // Worker B, REDIS_URL and REDIS_PASSWORD_FILE, short sessions: a session expires.
        let second = try SwitchboardProcess(["worker", "--name", "acl-b", "--session-ttl", "1s", "--safety-sweep-interval", "200ms",
                                             "--claim-idle", "100ms", "--log-level", "debug"],
                                            environment: ["REDIS_URL": redis.url(user: workerUser), "REDIS_PASSWORD_FILE": workerPassword])
        defer { second.stop() }
        for id in [own, orphan] {
            let reply = try client.connection.send(RedisCommand("BLPOP", "sb:reply:\(id)", 15), timeout: .seconds(17))
            #expect(reply.array?.last?.string?.contains("\"outcome\":\"applied\"") == true, "pending entry \(id): \(reply)\n\(second.log)")
        }
        #expect(second.log.contains("took back own pending entries") && second.log.contains("claimed entries left pending by another worker"),
                "\(second.log)")
        try applied([("op", "agent.login"), ("agent", "43"), ("session", "phone")], by: second)
        let deadline = ContinuousClock.now + .seconds(20)
        var expired = false
        while ContinuousClock.now < deadline {
            if try agent("43", on: redis)["status_reason"] == "expired" { expired = true; break }
            usleep(50_000)
        }
        #expect(expired, "agent 43's session (TTL 1s) expires; worker log:\n\(second.log)")
        #expect(try agent("43", on: redis)["status"] == "offline")

        // The operator saw every status change.
        #expect(broadcasts.wait { $0.map(PresenceHarness.decode).contains { $0["agent_id"] as? String == "43" && $0["reason"] as? String == "expired" } })
        let seen = broadcasts.all.map(PresenceHarness.decode).filter { $0["agent_id"] as? String == "42" }.compactMap { $0["status"] as? String }
        #expect(seen == ["online", "away", "online", "offline"], "broadcasts of agent 42: \(seen)")

        // Nothing was refused: not in the logs, not in a dead letter, not in ACL LOG.
        let logs = first.log + second.log
        #expect(logs.contains("worker started"))
        #expect(!mentionsRefusal(logs), "a command the worker needs is missing from the rule:\n\(logs)")
        let dead = (try redis.admin.send(RedisCommand("XRANGE", "sb:dead", "-", "+")).array ?? []).compactMap { $0.array?.last?.stringPairs }
        #expect(dead.count == 2, "the refused override and the malformed entry: \(dead)")
        let deadErrors = dead.map { $0["error"] ?? "" }
        let refusedInside = deadErrors.filter { mentionsRefusal($0) || $0.contains("inside Redis") }
        #expect(refusedInside.isEmpty, "dead letters of failures inside Redis: \(refusedInside)")
        let aclLog = try redis.aclLog()
        #expect(try refusals(of: workerUser, on: redis).isEmpty, "ACL LOG: \(aclLog)")
        #expect(try refusals(of: clientUser, on: redis).isEmpty, "ACL LOG: \(aclLog)")
    }

    /// The worker rule names every command the worker's code sends (Swift, and the Lua of the
    /// function library's .lua files) and no other, and reaches nothing outside the prefix.
    @Test func workerRuleNamesEveryCommandTheCodeSends() throws {
        let allowed = try DocumentedACL.allowedCommands("worker")
        let root = DocumentedACL.repositoryRoot.appendingPathComponent("Sources")
        // The gateway's reads (the events log) are in Switchboard/Feed.
        let folders = ["Switchboard/Worker", "Switchboard/Presence", "Switchboard/Routing", "Switchboard/Widget", "Switchboard/Keys",
                       "Switchboard/Feed", "Gateway"]
        var files = try folders.flatMap { folder in
            try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
                .filter { $0.hasSuffix(".swift") }.map { root.appendingPathComponent(folder).appendingPathComponent($0) }
        }
        // The connection setup and the function runner, which every worker connection uses,
        // and the topology calls the worker makes (WAIT for --wait-replicas); the gateway's feed
        // subscriptions (SUBSCRIBE, or SSUBSCRIBE on a cluster).
        files += ["Redis/RedisConnection.swift", "Redis/RedisFunction.swift", "Redis/RedisConnection+Topology.swift",
                  "Redis/RedisSubscriber.swift", "Redis/ClusterSubscription.swift"].map { root.appendingPathComponent($0) }
        // The function library the worker loads.
        let lua = root.appendingPathComponent("Switchboard/Lua")
        files += try FileManager.default.subpathsOfDirectory(atPath: lua.path).filter { $0.hasSuffix(".lua") }.map { lua.appendingPathComponent($0) }
        #expect(files.filter { $0.pathExtension == "lua" }.count > 10, "the scan reads the .lua files")

        var used: [String: String] = [:]  // command → first file using it
        // `RedisCommand("XADD", …)`, and the subscribers' `send("SUBSCRIBE", channels)`.
        let swiftCommand = /(?:RedisCommand|send)\("([A-Z_]+)"(?:, "([A-Z]+)")?/
        let luaCommand = /redis\.p?call\(\s*'([A-Za-z]+)'(?:,\s*'([A-Za-z]+)')?/
        let withSubcommands: Set<String> = ["client", "script", "function", "xgroup", "xinfo", "config", "object", "memory", "cluster"]
        func named(_ name: Substring, _ subcommand: Substring?) -> String {
            let name = name.lowercased()
            return withSubcommands.contains(name) ? "\(name)|\(subcommand.map { $0.lowercased() } ?? "")" : name
        }
        for file in files {
            let source = try String(contentsOf: file, encoding: .utf8)
            for match in source.matches(of: swiftCommand) + source.matches(of: luaCommand) {
                let command = named(match.1, match.2)
                used[command] = used[command] ?? file.lastPathComponent
            }
        }
        used["auth"] = nil  // always allowed
        used["psubscribe"] = nil  // the subscriber's patterns: the gateway's feed subscribes to channels only
        #expect(used.count > 30, "the scan found the commands: \(used.keys.sorted())")
        for (command, file) in used.sorted(by: { $0.key < $1.key }) {
            #expect(allowed.contains(command), "\(file) sends \(command.uppercased()), which the worker rule in docs/operations.md does not allow")
        }
        // Least privilege: nothing the code never sends.
        let unused = allowed.subtracting(used.keys)
        #expect(unused.isEmpty, "the worker rule in docs/operations.md allows commands the worker never sends: \(unused.sorted())")

        // Confined to the prefix and to the listed commands.
        let redis = try AccessControlServer()
        let user = try redis.createUser(fromRule: "worker", password: "worker-pw-2")
        func dryRun(_ words: String...) throws -> String {
            try redis.admin.send(RedisCommand("ACL", arguments: ["DRYRUN", user] + words)).string ?? ""
        }
        #expect(try dryRun("HSET", "sb:{acme}:agent:1", "status", "online") == "OK")
        #expect(try dryRun("XREADGROUP", "GROUP", "switchboard", "w", "STREAMS", "sb:intake", ">") == "OK")
        #expect(try dryRun("PUBLISH", "sb:{acme}:status", "{}") == "OK")
        #expect(try dryRun("HSET", "other:agent:1", "status", "online").contains("no permissions"))
        #expect(try dryRun("PUBLISH", "other", "x").contains("no permissions"))
        for words in [["FLUSHALL"], ["KEYS", "*"], ["CONFIG", "GET", "requirepass"], ["ACL", "LIST"], ["EVAL", "return 1", "0"],
                      ["SCRIPT", "FLUSH"], ["DEBUG", "SLEEP", "0"], ["SHUTDOWN"], ["CLIENT", "KILL", "ID", "1"], ["MONITOR"]] {
            #expect(try redis.admin.send(RedisCommand("ACL", arguments: ["DRYRUN", user] + words)).string?.contains("no permissions") == true,
                    "the worker may not run \(words.joined(separator: " "))")
        }
    }

    // MARK: - The operator user

    @Test func operatorReadsAndWatchesButCannotWrite() throws {
        let redis = try AccessControlServer()
        try redis.createUser(fromRule: "worker", password: "worker-pw-3")
        let operatorUser = try redis.createUser(fromRule: "operator", password: "operator-pw-3")
        let clientUser = try redis.createUser(fromRule: "client", password: "client-pw-3")
        let credentials = ["--redis", redis.url(user: operatorUser),
                           "--redis-password-file", try redis.passwordFile("operator-password", containing: "operator-pw-3")]

        // No worker has loaded the library yet, and the operator may not: a clear failure.
        let early = try SwitchboardProcess.run(["inspect", "agents", "--workspace", Self.workspace] + credentials)
        #expect(early.status == 1, "\(early.output)")
        #expect(early.output.contains("is not loaded in Redis: start a worker of this release, which loads it, "
                                      + "or run this command as a user allowed FUNCTION LOAD"), "\(early.output)")
        #expect(try redis.admin.send(RedisCommand("FUNCTION", "LIST")).array?.isEmpty == true, "the operator loaded nothing")

        let worker = try startWorker(redis, passwordFile: try redis.passwordFile("worker-password", containing: "worker-pw-3"), name: "acl-op")
        defer { worker.stop() }
        let client = Producer(connection: RedisConnection(configuration: redis.configuration(user: clientUser, password: "client-pw-3")))
        try client.apply([("op", "agent.login"), ("agent", "42"), ("session", "tab1")], worker: worker)
        try client.apply([("op", "conversation.new"), ("conversation", "c-9"), ("team", "nobody")], worker: worker)

        let agents = try SwitchboardProcess.run(["inspect", "agents", "--workspace", Self.workspace, "--json"] + credentials)
        #expect(agents.status == 0, "\(agents.output)")
        #expect(agents.output.contains("\"42\"") && agents.output.contains("online"), "\(agents.output)")
        let workspace = try SwitchboardProcess.run(["inspect", "workspace", "--workspace", Self.workspace, "--json"] + credentials)
        #expect(workspace.status == 0 && workspace.output.contains("\"version\""), "\(workspace.output)")
        let queue = try SwitchboardProcess.run(["inspect", "queue", "--workspace", Self.workspace, "--team", "nobody"] + credentials)
        #expect(queue.status == 0 && queue.output.contains("c-9"), "\(queue.output)")
        let ping = try SwitchboardProcess.run(["ping"] + credentials)
        #expect(ping.status == 0 && ping.output.contains("PONG from Redis"), "\(ping.output)")
        // An old release's library: the operator lists it but may not prune it; an admin may.
        let old = "switchboard_0123456789ab"
        try redis.admin.send(RedisCommand("FUNCTION", "LOAD", "#!lua name=\(old)\nredis.register_function('\(old)_x', function() return 1 end)"))
        let functions = try SwitchboardProcess.run(["functions"] + credentials)
        #expect(functions.status == 0 && functions.output.contains("(this build)") && functions.output.contains(old), "\(functions.output)")
        let prune = try SwitchboardProcess.run(["functions", "prune"] + credentials)
        #expect(prune.status == 1, "\(prune.output)")
        #expect(prune.output.contains("may not delete function libraries") && prune.output.contains("as an admin"), "\(prune.output)")
        let adminCredentials = ["--redis", redis.url(user: nil),
                                "--redis-password-file", try redis.passwordFile("admin-password", containing: redis.adminPassword)]
        let adminPrune = try SwitchboardProcess.run(["functions", "prune"] + adminCredentials)
        #expect(adminPrune.status == 0 && adminPrune.output.contains("deleted \(old)"), "\(adminPrune.output)")

        // `switchboard watch` as the operator sees a status change.
        let watch = try SwitchboardProcess(["watch", "--workspace", Self.workspace] + credentials)
        #expect(watch.waitForOutput("watching"), "\(watch.log)")
        try client.apply([("op", "agent.status"), ("agent", "42"), ("status", "away"), ("message", "Lunch")], worker: worker)
        #expect(watch.waitForOutput("away"), "\(watch.log)")
        #expect(watch.stop() == 0)

        // A write fails clearly and changes nothing.
        let write = try SwitchboardProcess.run(["agent", "status", "42", "dnd", "--workspace", Self.workspace] + credentials)
        #expect(write.status == 1, "\(write.output)")
        #expect(write.output.contains("NOPERM"), "\(write.output)")
        #expect(try agent("42", on: redis)["status"] == "away")

        let operatorConnection = RedisConnection(configuration: redis.configuration(user: operatorUser, password: "operator-pw-3"))
        for words in [["XINFO", "GROUPS", "sb:intake"], ["XINFO", "CONSUMERS", "sb:intake", "switchboard"],
                      ["XPENDING", "sb:intake", "switchboard"], ["XREVRANGE", "sb:{acme}:events", "+", "-", "COUNT", "5"],
                      ["HGETALL", "sb:{acme}:agent:42"], ["ZRANGE", "sb:{acme}:sessions", "0", "-1", "WITHSCORES"],
                      ["SCAN", "0", "MATCH", "sb:*"], ["INFO", "server"], ["TIME"]] {
            let reply = try operatorConnection.sendReturningErrors(RedisCommand(words[0], arguments: Array(words.dropFirst())))
            #expect(reply.serverError == nil, "the operator may run \(words.joined(separator: " ")): \(reply)")
        }
        for words in [["XADD", "sb:intake", "*", "op", "x"], ["HSET", "sb:{acme}:agent:42", "status", "online"], ["DEL", "sb:intake"],
                      ["PUBLISH", "sb:{acme}:status", "{}"], ["XREADGROUP", "GROUP", "switchboard", "spy", "STREAMS", "sb:intake", ">"],
                      ["XACK", "sb:intake", "switchboard", "0-1"], ["KEYS", "*"], ["GET", "other"], ["FLUSHALL"], ["CONFIG", "GET", "*"],
                      ["EVAL", "return 1", "0"], ["SCRIPT", "FLUSH"]] {
            let reply = try operatorConnection.sendReturningErrors(RedisCommand(words[0], arguments: Array(words.dropFirst())))
            #expect(reply.serverError?.code == "NOPERM", "the operator may not run \(words.joined(separator: " ")): \(reply)")
        }
    }

    /// Whoever may FUNCTION LOAD may replace the code the workers run (Redis does not tie a
    /// library's name to its code): the operator may neither load nor delete a library.
    @Test func operatorCannotLoadOrDeleteTheWorkersLibrary() throws {
        let redis = try AccessControlServer()
        try redis.createUser(fromRule: "worker", password: "worker-pw-6")
        let operatorUser = try redis.createUser(fromRule: "operator", password: "operator-pw-6")
        let worker = try startWorker(redis, passwordFile: try redis.passwordFile("worker-password", containing: "worker-pw-6"), name: "acl-lib")
        defer { worker.stop() }
        try Producer(connection: redis.admin).apply([("op", "agent.login"), ("agent", "42"), ("session", "tab1")], worker: worker)
        let listing = try redis.admin.send(RedisCommand("FUNCTION", "LIST", "WITHCODE")).array ?? []
        let library = try #require(listing.first?.array?.first { $0.string?.hasPrefix("switchboard_") == true }?.string, "\(listing)")

        let operatorConnection = RedisConnection(configuration: redis.configuration(user: operatorUser, password: "operator-pw-6"))
        let impostor = "#!lua name=\(library)\nredis.register_function('\(library)_agent_event', function(keys, args) return redis.call('TIME') end)"
        for words in [["FUNCTION", "LOAD", "REPLACE", impostor], ["FUNCTION", "LOAD", "#!lua name=mine\nredis.register_function('mine', function() return 1 end)"],
                      ["FUNCTION", "DELETE", library], ["FUNCTION", "FLUSH"], ["FUNCTION", "RESTORE", "x"]] {
            let reply = try operatorConnection.sendReturningErrors(RedisCommand(words[0], arguments: Array(words.dropFirst())))
            #expect(reply.serverError?.code == "NOPERM", "the operator may not run FUNCTION \(words[1]): \(reply)")
        }
        #expect(try redis.admin.send(RedisCommand("FUNCTION", "LIST", "WITHCODE")).array ?? [] == listing, "the library is unchanged")
        let allowed = try operatorConnection.sendReturningErrors(RedisCommand("FUNCTION", "LIST", "LIBRARYNAME", "switchboard_*"))
        #expect(allowed.serverError == nil, "the operator may list the libraries: \(allowed)")

        // A user that may load (an admin here) replaces the library: a worker puts its own code
        // back when it reconnects, before it applies anything.
        try redis.admin.send(RedisCommand("FUNCTION", "LOAD", "REPLACE", impostor))
        try redis.admin.send(RedisCommand("CLIENT", "KILL", "USER", "switchboard-worker"))
        let outcome = try Producer(connection: redis.admin).apply([("op", "agent.status"), ("agent", "42"), ("status", "away")], worker: worker)
        #expect(outcome["outcome"] as? String == "applied", "\(outcome)\n\(worker.log)")
        #expect(try redis.admin.send(RedisCommand("FUNCTION", "LIST", "WITHCODE")).array ?? [] == listing, "the worker's code is back")
    }

    // MARK: - The client user

    @Test func clientWritesTheIntakeAndWaitsForRepliesButCannotReadState() throws {
        let redis = try AccessControlServer()
        try redis.createUser(fromRule: "worker", password: "worker-pw-4")
        let clientUser = try redis.createUser(fromRule: "client", password: "client-pw-4")
        let worker = try startWorker(redis, passwordFile: try redis.passwordFile("worker-password", containing: "worker-pw-4"), name: "acl-cl")
        defer { worker.stop() }

        // The `switchboard` CLI as the client: XADD, then BLPOP of the reply.
        let credentials = ["--redis", redis.url(user: clientUser),
                           "--redis-password-file", try redis.passwordFile("client-password", containing: "client-pw-4")]
        let login = try SwitchboardProcess.run(["agent", "login", "42", "--workspace", Self.workspace, "--session", "tab1", "--wait", "--timeout", "15s"] + credentials)
        #expect(login.status == 0 && login.output.contains("\"outcome\":\"applied\""), "\(login.output)\n\(worker.log)")
        #expect(try agent("42", on: redis)["status"] == "online")

        let client = RedisConnection(configuration: redis.configuration(user: clientUser, password: "client-pw-4"))
        let written = try client.sendReturningErrors(RedisCommand("XADD", "sb:intake", "*", "op", "agent.heartbeat", "workspace", Self.workspace,
                                                                  "agent", "42", "session", "tab1"))
        #expect(written.serverError == nil && written.string != nil, "\(written)")
        let waited = try client.sendReturningErrors(RedisCommand("BLPOP", "sb:reply:0-1", "0.05"))
        #expect(waited.serverError == nil, "\(waited)")
        // The shard count the worker recorded, and a shard's stream (as with --intake-shards > 1).
        let shards = try client.sendReturningErrors(RedisCommand("HGET", "sb:config", "intake_shards"))
        #expect(shards.string == "1", "\(shards)")
        let sharded = try client.sendReturningErrors(RedisCommand("XADD", "sb:intake:3", "*", "op", "agent.heartbeat", "workspace", "other"))
        #expect(sharded.serverError == nil, "\(sharded)")

        for words in [["HGETALL", "sb:{acme}:agent:42"], ["HGET", "sb:{acme}:agent:42", "status"], ["XRANGE", "sb:intake", "-", "+"],
                      ["XLEN", "sb:intake"], ["XREADGROUP", "GROUP", "switchboard", "spy", "STREAMS", "sb:intake", ">"],
                      ["XRANGE", "sb:intake:3", "-", "+"], ["HSET", "sb:config", "intake_shards", "2"],
                      ["XADD", "sb:dead", "*", "forged", "1"], ["XADD", "sb:{acme}:events", "*", "forged", "1"],
                      ["PUBLISH", "sb:{acme}:status", "{\"type\":\"status\"}"], ["DEL", "sb:intake"], ["SMEMBERS", "sb:{acme}:agents"],
                      ["KEYS", "*"], ["FLUSHALL"]] {
            let reply = try client.sendReturningErrors(RedisCommand(words[0], arguments: Array(words.dropFirst())))
            #expect(reply.serverError?.code == "NOPERM", "the client may not run \(words.joined(separator: " ")): \(reply)")
        }
        let inspect = try SwitchboardProcess.run(["inspect", "agents", "--workspace", Self.workspace] + credentials)
        #expect(inspect.status == 1 && inspect.output.contains("NOPERM"), "\(inspect.output)")

        // The client may subscribe to the broadcasts.
        let ready = EventRecorder<Bool>()
        let subscriber = RedisSubscriber(configuration: redis.configuration(user: clientUser, password: "client-pw-4"),
                                         channels: ["sb:{\(Self.workspace)}:status", "sb:{\(Self.workspace)}:assignments"]) { event in
            if case .ready = event { ready.record(true) }
        }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(ready.wait { !$0.isEmpty })
    }

    // MARK: - Upgrading the rules

    /// The rules of the release before the function library and intake shards (scripts,
    /// one intake stream); operations.md quotes the parts that changed.
    static let earlierRules = [
        "switchboard-worker on >worker-pw-7 resetkeys resetchannels ~sb:* &sb:* -@all +ping +select +client|setname +evalsha +script|load +xgroup|create +xreadgroup +xack +xdel +xadd +xrange +xpending +xclaim +set +del +exists +pexpire +rpush +sadd +srem +sismember +smembers +sscan +hset +hget +hmget +hgetall +hdel +hexists +hincrby +zadd +zrem +zrange +zrangebyscore +zremrangebyscore +zcard +zscore +scard +publish +time",
        "switchboard-operator on >operator-pw-7 resetkeys resetchannels %R~sb:* &sb:* -@all +@read -@dangerous +info +xinfo +xpending +evalsha_ro +script|load +subscribe +psubscribe +ping +client|setname +time",
        "switchboard-client on >client-pw-7 resetkeys resetchannels %W~sb:intake ~sb:reply:* &sb:* -@all +xadd +blpop +subscribe +ping +client|setname",
    ]

    /// The rolling upgrade of operations.md: under the earlier rules the new release fails
    /// clearly and loses nothing; the documented grants (read from the page) let it run while
    /// keeping what old workers use; the new lines then remove the old grants.
    @Test func upgradeGrantsLetTheNewReleaseRunBesideTheOld() throws {
        let redis = try AccessControlServer()
        for rule in Self.earlierRules { try redis.admin.send(RedisCommand("ACL", arguments: ["SETUSER"] + rule.split(separator: " ").map(String.init))) }
        let client = ["--redis", redis.url(user: "switchboard-client"), "--redis-password-file", try redis.passwordFile("client-password", containing: "client-pw-7")]
        let operatorCredentials = ["--redis", redis.url(user: "switchboard-operator"),
                                   "--redis-password-file", try redis.passwordFile("operator-password", containing: "operator-pw-7")]
        let login = ["agent", "login", "42", "--workspace", Self.workspace, "--session", "tab1", "--wait", "--timeout", "15s"]

        // Before the grants: the new worker waits, naming what is refused; the CLI says what to grant.
        let worker = try startWorker(redis, passwordFile: try redis.passwordFile("worker-password", containing: "worker-pw-7"), name: "acl-up")
        defer { worker.stop() }
        #expect(worker.waitForOutput("NOPERM"), "\(worker.log)")
        #expect(worker.log.contains("redis failed; retrying") && (worker.log.contains("'function|load'") || worker.log.contains("'hsetnx'")), "\(worker.log)")
        let refused = try SwitchboardProcess.run(login + client)
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("may not read the intake shard count")
                && refused.output.contains("ACL SETUSER switchboard-client %R~sb:config +hget"), "\(refused.output)")
        let inspectRefused = try SwitchboardProcess.run(["inspect", "agents", "--workspace", Self.workspace] + operatorCredentials)
        #expect(inspectRefused.status == 1 && inspectRefused.output.contains("fcall_ro"), "\(inspectRefused.output)")

        // Step 1, the grants: the waiting worker goes on by itself, the new CLI works as each user.
        let grants = try DocumentedACL.lines("upgrade")
        #expect(grants.map(\.first) == ["switchboard-worker", "switchboard-operator", "switchboard-client"], "\(grants)")
        for words in grants { try redis.admin.send(RedisCommand("ACL", arguments: ["SETUSER"] + words)) }
        let applied = try SwitchboardProcess.run(login + client)
        #expect(applied.status == 0 && applied.output.contains("\"outcome\":\"applied\""), "\(applied.output)\n\(worker.log)")
        let inspect = try SwitchboardProcess.run(["inspect", "agents", "--workspace", Self.workspace, "--json"] + operatorCredentials)
        #expect(inspect.status == 0 && inspect.output.contains("online"), "\(inspect.output)")
        let functions = try SwitchboardProcess.run(["functions"] + operatorCredentials)
        #expect(functions.status == 0 && functions.output.contains("(this build)"), "\(functions.output)")
        func dryRun(_ user: String, _ words: String...) throws -> String {
            try redis.admin.send(RedisCommand("ACL", arguments: ["DRYRUN", user] + words)).string ?? ""
        }
        // What old workers and the old CLI use is still granted.
        #expect(try dryRun("switchboard-worker", "EVALSHA", String(repeating: "0", count: 40), "1", "sb:{acme}:meta") == "OK")
        #expect(try dryRun("switchboard-operator", "EVALSHA_RO", String(repeating: "0", count: 40), "1", "sb:{acme}:meta") == "OK")
        #expect(try dryRun("switchboard-operator", "FUNCTION", "LOAD", "x").contains("no permissions"), "the grants add no FUNCTION LOAD")

        // Step 3, the new lines: the old grants are gone, the new release still runs.
        for rule in ["worker", "operator", "client"] { try redis.createUser(fromRule: rule, password: "\(rule)-pw-7") }
        #expect(try dryRun("switchboard-worker", "EVALSHA", String(repeating: "0", count: 40), "1", "sb:{acme}:meta").contains("no permissions"))
        #expect(try dryRun("switchboard-operator", "SCRIPT", "LOAD", "return 1").contains("no permissions"))
        let after = try SwitchboardProcess.run(["agent", "heartbeat", "42", "--workspace", Self.workspace, "--session", "tab1", "--wait", "--timeout", "15s"] + client)
        #expect(after.status == 0 && after.output.contains("\"outcome\":\"applied\""), "\(after.output)\n\(worker.log)")
    }

    // MARK: - requirepass and secrets

    @Test func requirepassWorkerReadsThePasswordFromAFile() throws {
        let redis = try AccessControlServer(adminPassword: Self.secret)
        let file = try redis.passwordFile("redis-password", containing: Self.secret)
        let worker = try SwitchboardProcess(["worker", "--redis", redis.url(user: nil), "--redis-password-file", file,
                                             "--name", "acl-rp", "--log-level", "debug"])
        defer { worker.stop() }
        let producer = Producer(connection: redis.admin)
        let outcome = try producer.apply([("op", "agent.login"), ("agent", "42"), ("session", "tab1")], worker: worker)
        #expect(outcome["outcome"] as? String == "applied")
        #expect(try agent("42", on: redis)["status"] == "online")
        // Its own start line, not another's outcome, proves it has exec'd: only then is /proc/<pid>/cmdline its own.
        try #require(worker.waitForOutput("worker started"), "\(worker.log)")
        #expect(worker.commandLine.contains(file) && !worker.commandLine.contains(Self.secret), "\(worker.commandLine)")
        #expect(worker.log.contains("worker started") && !worker.log.contains(Self.secret), "\(worker.log)")
    }

    @Test func thePasswordNeverShowsInLogsHelpErrorsOrTheProcessList() throws {
        let redis = try AccessControlServer()
        let user = try redis.createUser(fromRule: "worker", password: Self.secret)
        let file = try redis.passwordFile("worker-password", containing: Self.secret)
        let urlWithPassword = "unix://\(user):\(Self.secret)@\(redis.server.socketPath)"

        // --help, with the password in the environment both ways.
        for command in [["worker", "--help"], ["ping", "--help"], ["--help"]] {
            let help = try SwitchboardProcess.run(command, environment: ["REDIS_URL": urlWithPassword, "REDIS_PASSWORD_FILE": file])
            #expect(help.status == 0, "\(help.output)")
            if command != ["--help"] { #expect(help.output.contains("REDIS_URL"), "\(command): \(help.output)") }
            #expect(!help.output.contains(Self.secret), "\(command): \(help.output)")
        }

        // A worker given its password through REDIS_URL: not on its command line, not in its log.
        let fromEnvironment = try SwitchboardProcess(["worker", "--name", "acl-env", "--log-level", "debug"], environment: ["REDIS_URL": urlWithPassword])
        defer { fromEnvironment.stop() }
        let producer = Producer(connection: redis.admin)
        #expect(try producer.apply([("op", "agent.login"), ("agent", "42"), ("session", "tab1")], worker: fromEnvironment)["outcome"] as? String == "applied")
        try #require(fromEnvironment.waitForOutput("worker started"), "\(fromEnvironment.log)")
        #expect(!fromEnvironment.commandLine.isEmpty && !fromEnvironment.commandLine.contains(Self.secret), "\(fromEnvironment.commandLine)")
        #expect(fromEnvironment.log.contains("\(user):***@"), "the log shows the URL masked: \(fromEnvironment.log)")

        // A worker given its password through --redis-password-file.
        let fromFile = try startWorker(redis, passwordFile: file, name: "acl-file")
        defer { fromFile.stop() }
        #expect(try producer.apply([("op", "agent.status"), ("agent", "42"), ("status", "away")], worker: fromFile)["outcome"] as? String == "applied")
        // The entry above may have been applied by the other worker: wait for this one's own
        // start line (it has exec'd by then) before reading its command line.
        try #require(fromFile.waitForOutput("worker started"), "\(fromFile.log)")
        #expect(fromFile.commandLine.contains(file) && !fromFile.commandLine.contains(Self.secret), "\(fromFile.commandLine)")
        #expect(!fromEnvironment.log.contains(Self.secret) && !fromFile.log.contains(Self.secret))

        // Wrong passwords: a clear refusal that shows neither the wrong password nor the right one.
        let wrong = "wrong-Zebra-99"
        let wrongFile = try redis.passwordFile("wrong-password", containing: wrong)
        let attempts: [(arguments: [String], environment: [String: String])] = [
            (["ping", "--redis", "unix://\(user):\(wrong)@\(redis.server.socketPath)"], [:]),
            (["ping", "--redis", redis.url(user: user), "--redis-password-file", wrongFile], [:]),
            (["ping"], ["REDIS_URL": "unix://\(user):\(wrong)@\(redis.server.socketPath)"]),
            (["ping", "--redis", "unix://:\(wrong)@\(redis.server.socketPath)"], [:]),
            (["inspect", "agents", "--workspace", Self.workspace, "--redis", redis.url(user: user), "--redis-password-file", wrongFile], [:]),
        ]
        for attempt in attempts {
            let result = try SwitchboardProcess.run(attempt.arguments, environment: attempt.environment)
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("refused the credentials"), "\(result.output)")
            #expect(!result.output.contains(wrong) && !result.output.contains(Self.secret), "\(result.output)")
        }
        // A URL that does not parse is masked too.
        let badPort = try SwitchboardProcess.run(["ping", "--redis", "redis://\(user):\(Self.secret)@127.0.0.1:notaport"])
        #expect(badPort.status == 1, "\(badPort.output)")
        #expect(badPort.output.contains("Invalid Redis URL") && !badPort.output.contains(Self.secret), "\(badPort.output)")

        // A worker with a wrong password keeps retrying and logs the refusal without a password.
        let refused = try startWorker(redis, passwordFile: wrongFile, name: "acl-wrong")
        defer { refused.stop() }
        #expect(refused.waitForOutput("refused the credentials"), "\(refused.log)")
        #expect(!refused.log.contains(wrong) && !refused.log.contains(Self.secret), "\(refused.log)")
    }

    /// Regression: `user@host` (no colon) used to be read as a password, so with a password
    /// file Switchboard logged in as `default`. A name alone is now the ACL user.
    @Test func aUserNameWithoutAColonIsTheUser() throws {
        let redis = try AccessControlServer()
        let user = try redis.createUser(fromRule: "operator", password: "operator-pw-5")
        let file = try redis.passwordFile("operator-password", containing: "operator-pw-5")
        let documented = try SwitchboardProcess.run(["ping", "--redis", redis.url(user: user), "--redis-password-file", file])
        #expect(documented.status == 0 && documented.output.contains("PONG"), "\(documented.output)")
        let shorthand = try SwitchboardProcess.run(["ping", "--redis", "unix://\(user)@\(redis.server.socketPath)", "--redis-password-file", file])
        #expect(!shorthand.output.contains("operator-pw-5"))
        #expect(shorthand.status == 0 && shorthand.output.contains("PONG"), "\(shorthand.output)")
    }

    /// Regression: URL texts the parser misread were echoed with (part of) the password.
    @Test func malformedURLsDoNotEchoThePassword() throws {
        let cases = [
            ":\(Self.secret)@127.0.0.1:6379",               // no scheme: echoed whole
            "redis://:pre?\(Self.secret)@127.0.0.1:6379",  // '?' in the password: the part before it shows as a port
        ]
        for url in cases {
            let result = try SwitchboardProcess.run(["ping", "--redis", url])
            #expect(result.status != 0)
            #expect(!result.output.contains(Self.secret) && !result.output.contains("'pre'"), "\(result.output)")
        }
    }
}
