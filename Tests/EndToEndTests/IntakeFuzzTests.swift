import Foundation
import Redis
import Switchboard
import Testing
import TestSupport

/// End-to-end fuzzing of the intake contract (docs/protocol.md §1 and §6.4): real workers and
/// a real Redis get thousands of entries written byte for byte with XADD, valid ones mixed
/// with every kind of malformed one. Afterwards every malformed entry must be in the dead
/// stream exactly once, with its original bytes and a readable sentence; every valid entry
/// must have taken effect; no key may exist that the documented key shapes do not allow;
/// and both workers must still be running.
@Suite("Intake fuzzing, end to end")
struct IntakeFuzzTests {
    typealias Field = (name: [UInt8], value: [UInt8])


    static let seed: UInt64 = 0x5EED_F022_2026
    static let entryCount = 3_000
    static let malformedShare = 0.45
    static let statuses = ["online", "busy", "away", "dnd", "offline"]

    // MARK: The fuzz test

    /// With one intake stream and with four shards (the two workspaces' entries on their own shards).
    @Test(arguments: [1, 4])
    func thousandsOfMixedEntriesDeadLetterEveryMalformedOneAndApplyEveryValidOne(shards: Int) throws {
        let started = ContinuousClock.now
        let harness = try PresenceHarness(workers: 2, shards: shards)
        var plan = FuzzPlan(seed: Self.seed, workspaces: [harness.workspace, harness.workspace + ".b"],
                            ghostPrefix: "ghost-" + harness.workspace)
        plan.generate(count: Self.entryCount, malformedShare: Self.malformedShare)
        let entries = plan.entries

        let ids = try write(entries, for: harness)
        let written = ContinuousClock.now
        try waitUntilDrained(harness, deadline: .seconds(60))
        let drained = ContinuousClock.now

        let validIndices = entries.indices.filter { entries[$0].isValid }
        let malformedIndices = entries.indices.filter { !entries[$0].isValid }
        let malformedIDs = Set(malformedIndices.map { ids[$0] })
        let idIndex = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let workerNames = Set(harness.workers.map(\.name))

        // 1. One dead letter per malformed entry: original bytes in order, then error, worker, entry.
        let dead = try harness.deadLetterStreams.flatMap { try rawStream($0, on: harness.connection) }
        #expect(dead.count == malformedIndices.count, "dead letters \(dead.count), malformed entries written \(malformedIndices.count)")
        var deadByEntry: [String: (fields: [Field], error: String, worker: String)] = [:]
        var deadProblems: [String] = []
        for letter in dead {
            guard letter.fields.count >= 3 else { deadProblems.append("dead letter \(letter.id) has \(letter.fields.count) fields"); continue }
            let tail = Array(letter.fields.suffix(3))
            let names = tail.map { String(decoding: $0.name, as: UTF8.self) }
            guard names == ["error", "worker", "entry"] else {
                deadProblems.append("dead letter \(letter.id) ends with fields \(names), expected error, worker, entry")
                continue
            }
            let entryID = String(decoding: tail[2].value, as: UTF8.self)
            guard malformedIDs.contains(entryID) else {
                let what = idIndex[entryID].map { "valid entry #\($0) \(describe(entries[$0].fields))" } ?? "an unknown entry"
                deadProblems.append("dead letter for \(what) (\(entryID)): \(String(decoding: tail[0].value, as: UTF8.self))")
                continue
            }
            if deadByEntry[entryID] != nil { deadProblems.append("entry \(entryID) dead-lettered twice") }
            deadByEntry[entryID] = (Array(letter.fields.dropLast(3)), String(decoding: tail[0].value, as: UTF8.self),
                                    String(decoding: tail[1].value, as: UTF8.self))
        }
        #expect(deadProblems.count == 0, "\(deadProblems.count) problems:\n\(deadProblems.prefix(20).joined(separator: "\n"))")

        var sentenceProblems: [String] = []
        var hiddenCharacters: [String] = []
        var missing: [String] = []
        for index in malformedIndices {
            let entry = entries[index]
            guard case .deadLetter(let kind, let mentions, _) = entry.expectation else { continue }
            guard let letter = deadByEntry[ids[index]] else {
                missing.append("#\(index) \(kind) \(describe(entry.fields))")
                continue
            }
            if !sameFields(letter.fields, entry.fields) {
                sentenceProblems.append("#\(index) \(kind): dead letter fields \(describe(letter.fields)) differ from those sent \(describe(entry.fields))")
            }
            if !workerNames.contains(letter.worker) {
                sentenceProblems.append("#\(index) \(kind): worker field \(letter.worker.debugDescription)")
            }
            for problem in Self.readabilityProblems(letter.error) {
                sentenceProblems.append("#\(index) \(kind): \(problem): \(letter.error.debugDescription)")
            }
            if let hidden = Self.invisibleCharacter(in: letter.error) {
                hiddenCharacters.append("#\(index) \(kind): U+\(String(hidden.value, radix: 16, uppercase: true)) unescaped in \(letter.error.debugDescription)")
            }
            for mention in mentions where !letter.error.contains(mention) {
                sentenceProblems.append("#\(index) \(kind): error does not mention \(mention.debugDescription): \(letter.error.debugDescription) (entry \(describe(entry.fields)))")
            }
        }
        #expect(missing.count == 0, "\(missing.count) malformed entries were not dead-lettered (applied or lost):\n\(missing.prefix(20).joined(separator: "\n"))")
        #expect(sentenceProblems.count == 0, "\(sentenceProblems.count) problems:\n\(sentenceProblems.prefix(30).joined(separator: "\n"))")
        // An invisible character shown as is makes the sentence say "which contains ''":
        // IntakeDisplay escapes controls, separators and bidi controls, not other format characters.
        #expect(hiddenCharacters.count == 0, "\(hiddenCharacters.count) sentences show an invisible character unescaped:\n\(hiddenCharacters.prefix(10).joined(separator: "\n"))")

        // 2. Malformed entries with `reply 1` got the same sentence as their outcome.
        var replyProblems: [String] = []
        for index in malformedIndices where entries[index].asksForReply {
            let key = IntakeShardRule.replyKey(stream: stream(of: entries[index].fields, harness), id: ids[index])
            let list = try harness.connection.send(RedisCommand("LRANGE", key, "0", "-1")).array ?? []
            let objects = list.compactMap { $0.string }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            guard objects.count == 1, let reply = objects.first else {
                replyProblems.append("#\(index): \(list.count) replies")
                continue
            }
            if reply["outcome"] as? String != "rejected" || reply["entry"] as? String != ids[index]
                || reply["error"] as? String != deadByEntry[ids[index]]?.error {
                replyProblems.append("#\(index): reply \(reply), dead letter error \(deadByEntry[ids[index]]?.error ?? "none")")
            }
        }
        #expect(replyProblems.count == 0, "\(replyProblems.prefix(20).joined(separator: "\n"))")

        // 3. Every valid entry took effect; nothing else did.
        let expected = plan.expectedState(ids: ids)
        var stateProblems: [String] = []
        for workspace in plan.workspaces {
            let keys = WorkspaceView(prefix: harness.prefix, workspace: workspace)
            let members = Set((try harness.connection.send(RedisCommand("SMEMBERS", keys.key("agents"))).array ?? []).compactMap(\.string))
            let agents = expected.agents[workspace] ?? [:]
            if members != Set(agents.keys) {
                stateProblems.append("\(workspace) agents set: extra \(members.subtracting(agents.keys).sorted()), missing \(Set(agents.keys).subtracting(members).sorted())")
            }
            for (agent, state) in agents.sorted(by: { $0.key < $1.key }) {
                let hash = try harness.connection.send(RedisCommand("HGETALL", keys.key("agent:\(agent)"))).stringPairs ?? [:]
                if let status = state.status, hash["status"] != status {
                    stateProblems.append("\(workspace)/\(agent): status \(hash["status"] ?? "nil"), last sent \(status)")
                }
                if state.status != nil, hash["message"] != state.message {
                    stateProblems.append("\(workspace)/\(agent): message \(hash["message"].debugDescription), last sent \(state.message.debugDescription)")
                }
                for (field, value) in state.profile where hash[field] != value {
                    stateProblems.append("\(workspace)/\(agent): \(field) \(hash[field] ?? "nil"), last sent \(value)")
                }
                if hash["last"] != state.entryIDs.last {
                    stateProblems.append("\(workspace)/\(agent): last applied entry \(hash["last"] ?? "nil"), last valid entry \(state.entryIDs.last ?? "nil")")
                }
                let logged = Set((try harness.connection.send(RedisCommand("HKEYS", keys.key("agent:\(agent):log"))).array ?? []).compactMap(\.string))
                    .subtracting(["base", "floor"])
                let strangers = logged.subtracting(state.entryIDs)
                if !strangers.isEmpty {
                    let described = strangers.sorted().map { id in idIndex[id].map { "#\($0) \(describe(entries[$0].fields))" } ?? id }
                    stateProblems.append("\(workspace)/\(agent): its log holds entries that are not its valid ones: \(described)")
                }
            }
            for (conversation, state) in (expected.conversations[workspace] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let hash = try harness.connection.send(RedisCommand("HGETALL", keys.key("conversation:\(conversation)"))).stringPairs ?? [:]
                if hash["state"] != state.state || hash["entry"] != state.entry {
                    stateProblems.append("\(workspace)/\(conversation): state \(hash["state"] ?? "nil") entry \(hash["entry"] ?? "nil"), expected \(state.state) \(state.entry)")
                }
                if state.state == "queued" {
                    if hash["team"] != state.team || hash["priority"].flatMap({ Int($0) }) != state.priority {
                        stateProblems.append("\(workspace)/\(conversation): team \(hash["team"] ?? "nil") priority \(hash["priority"] ?? "nil"), sent \(state.team) \(state.priority)")
                    }
                    let queue = keys.key(state.team.isEmpty ? "queue" : "queue:\(state.team)")
                    if try harness.connection.send(RedisCommand("ZSCORE", queue, conversation)).isNull {
                        stateProblems.append("\(workspace)/\(conversation): not in \(queue)")
                    }
                }
            }
            let settings = try harness.connection.send(RedisCommand("HGETALL", keys.key("settings"))).stringPairs ?? [:]
            for (field, value) in expected.settings[workspace] ?? [:] where settings[field] != value {
                stateProblems.append("\(workspace) setting \(field): \(settings[field] ?? "nil"), last sent \(value)")
            }
            let teams = Set((try harness.connection.send(RedisCommand("SMEMBERS", keys.key("teams"))).array ?? []).compactMap(\.string))
            if !teams.isSubset(of: FuzzPlan.teams) { stateProblems.append("\(workspace) teams: unexpected \(teams.subtracting(FuzzPlan.teams).sorted())") }

            // Every event comes from a valid entry, or is the `rejected` event of an entry refused inside Redis.
            let refused = Set(entries.indices.filter { entries[$0].refusedInRedis && entries[$0].workspace == workspace }.map { ids[$0] })
            let valid = Set(validIndices.filter { entries[$0].workspace == workspace }.map { ids[$0] })
            var rejected = Set<String>()
            for event in try harness.connection.send(RedisCommand("XRANGE", keys.key("events"), "-", "+")).array ?? [] {
                guard let fields = event.array?.last?.stringPairs, let entry = fields["entry"] else { continue }
                if fields["type"] == "rejected" {
                    if refused.contains(entry) { rejected.insert(entry) } else { stateProblems.append("\(workspace): rejected event for entry \(entry): \(fields)") }
                } else if !valid.contains(entry) {
                    let what = idIndex[entry].map { "#\($0) \(describe(entries[$0].fields))" } ?? entry
                    stateProblems.append("\(workspace): \(fields["type"] ?? "?") event from \(what)")
                }
            }
            if rejected != refused { stateProblems.append("\(workspace): \(refused.count) entries refused inside Redis, \(rejected.count) rejected events") }
        }
        #expect(stateProblems.count == 0, "\(stateProblems.count) problems:\n\(stateProblems.prefix(30).joined(separator: "\n"))")

        // 4. Every key under the prefix has a documented shape (docs/keys.md) and a valid entry's ids.
        let replyIDs = Set(malformedIndices.filter { entries[$0].asksForReply }.map { ids[$0] })
        let shapes = KeyShapes(prefix: harness.prefix, agents: expected.agents.mapValues { Set($0.keys) },
                               conversations: expected.conversations.mapValues { Set($0.keys) },
                               teams: FuzzPlan.teams, replyEntries: replyIDs)
        let allKeys = try scan("\(harness.prefix):*", on: harness.connection)
        let strayKeys = allKeys.filter { shapes.problem(with: $0) != nil }
        let strayList = strayKeys.prefix(20).map { "\($0.debugDescription): \(shapes.problem(with: $0)!)" }.joined(separator: "\n")
        #expect(strayKeys.count == 0, "keys that no valid entry explains:\n\(strayList)")
        #expect(try scan("*ghost-\(harness.workspace)*", on: harness.connection).isEmpty, "no key for a workspace only malformed entries named")

        // 5. Both workers run on, without a crash or an error in their logs, and each logged its dead letters.
        let running = harness.workers.allSatisfy(\.isRunning)
        #expect(running, "both workers still running")
        for worker in harness.workers {
            let log = worker.log
            #expect(Self.crashLines(in: log).isEmpty, "\(worker.name) log:\n\(Self.crashLines(in: log).prefix(10).joined(separator: "\n"))")
            let logged = Self.deadLetteredEntries(in: log)
            let stored = Set(deadByEntry.filter { $0.value.worker == worker.name }.map(\.key))
            #expect(logged == stored, "\(worker.name) logged \(logged.count) dead letters, the dead stream has \(stored.count) from it")
        }

        let kinds = Dictionary(grouping: malformedIndices, by: { entries[$0].kind }).mapValues(\.count)
        print("""
            IntakeFuzz: seed \(String(Self.seed, radix: 16)), \(entries.count) entries: \(validIndices.count) valid, \
            \(malformedIndices.count) malformed (\(entries.filter(\.refusedInRedis).count) of them refused inside Redis), \
            \(dead.count) dead letters (\(harness.workers.map { w in "\(w.name): \(deadByEntry.values.filter { $0.worker == w.name }.count)" }.joined(separator: ", "))), \
            \(allKeys.count) keys; written in \(written - started), drained in \(drained - written), checked in \(ContinuousClock.now - drained)
            IntakeFuzz kinds: \(kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            """)
    }

    // MARK: Malformed entries among valid ones in one batch

    /// One batch (all entries written before the workers start, fewer than a batch) holds
    /// valid entries for one agent and its conversations, with malformed entries between
    /// them: some for a workspace that does not exist, some for the same agent and the same
    /// conversation ids. Every valid entry is applied, in the order written.
    @Test(arguments: [1, 4])
    func malformedEntriesInTheSameBatchNeitherBlockNorReorderValidOnes(shards: Int) throws {
        let harness = try PresenceHarness(workers: 0, shards: shards)
        let ghost = "ghost-" + harness.workspace
        let workspace = harness.workspace
        typealias Planned = (fields: [Field], valid: Bool)
        var planned: [Planned] = []
        func add(_ valid: Bool, _ pairs: [(String, String)], extra: [Field] = []) {
            planned.append((FuzzPlan.fields(pairs) + extra, valid))
        }
        // A huge malformed entry first: the rest of the batch must still be applied.
        add(false, [("op", "agent.status"), ("workspace", workspace), ("agent", "ord"), ("status", "busy"),
                    ("message", String(repeating: "m", count: 1 << 20)), ("reply", "1")])
        var expectedStatuses: [(status: String, message: String)] = []
        for step in 0..<10 {
            let status = Self.statuses[step % Self.statuses.count]
            let other = Self.statuses[(step + 2) % Self.statuses.count]
            if step < 5 {
                // A malformed conversation.new with the id of the valid one that follows: if it
                // were applied, the valid one would be stale.
                add(false, [("op", "conversation.new"), ("workspace", workspace), ("conversation", "q\(step)"), ("priority", "high"), ("reply", "1")])
                add(false, [("op", "conversation.new"), ("workspace", ghost), ("conversation", "q\(step)"), ("priority", "1e9")])
            }
            add(false, [("op", "agent.status"), ("workspace", ghost), ("agent", "ord"), ("status", "sleeping"), ("reply", "1")])
            add(true, [("op", "agent.status"), ("workspace", workspace), ("agent", "ord"), ("status", status), ("message", "step \(step)"), ("reply", "1")])
            expectedStatuses.append((status, "step \(step)"))
            add(false, [("op", "agent.status"), ("workspace", ghost), ("agent", "ord"), ("status", other)],
                extra: [(Array("message".utf8), [0x6F, 0x6B, 0xFF, 0xFE])])
            add(false, [("op", "agent.status"), ("workspace", workspace), ("agent", "ord"), ("status", other), ("sesion", "s1")])
            if step.isMultiple(of: 2) {
                add(false, [("op", "agent.status"), ("workspace", workspace), ("agent", "ord"), ("status", other), ("status", status)])
            } else {
                add(false, [("op", "agent.status"), ("workspace", workspace), ("agent", "ord"), ("status", other), ("actor", "peer"), ("reply", "1")])
            }
            if step < 5 {
                add(true, [("op", "conversation.new"), ("workspace", workspace), ("conversation", "q\(step)"), ("priority", String(step)), ("reply", "1")])
            }
        }
        #expect(planned.count <= 100, "one batch of the worker's default size")
        let fuzzEntries = planned.map { FuzzPlan.Entry(fields: $0.fields, expectation: $0.valid ? .applied(.none) : .deadLetter(kind: "", mentions: [], refusedInRedis: false)) }
        let ids = try write(fuzzEntries, for: harness)
        // A read splits --batch-size between the streams it reads: 100 from this shard.
        let batchSize = String(100 * KeySchema(prefix: "sb").intakeStreamsRead(shards: shards).count)
        try harness.startWorker(named: "w0", arguments: ["--batch-size", batchSize])
        try harness.startWorker(named: "w1", arguments: ["--batch-size", batchSize])

        for (index, entry) in planned.enumerated() where entry.fields.contains(where: { $0.name == Array("reply".utf8) }) {
            let key = IntakeShardRule.replyKey(stream: stream(of: entry.fields, harness), id: ids[index])
            let popped = try harness.connection.send(RedisCommand("BLPOP", key, "15"), timeout: .seconds(17))
            let object = popped.array?.last?.string.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(object?["outcome"] as? String == (entry.valid ? "applied" : "rejected"), "entry #\(index) \(describe(entry.fields)): \(object ?? [:])")
        }
        try waitUntilDrained(harness, deadline: .seconds(30))

        let validIDs = planned.indices.filter { planned[$0].valid }.map { ids[$0] }
        let events = try harness.events()
        let statusEvents = events.filter { $0["type"] == "status" && $0["agent_id"] == "ord" }
        #expect(statusEvents.map { $0["status"] ?? "" } == expectedStatuses.map(\.status))
        #expect(statusEvents.map { $0["message"] ?? "" } == expectedStatuses.map(\.message))
        let queued = events.filter { $0["type"] == "queued" }
        #expect(queued.map { $0["conversation_id"] ?? "" } == (0..<5).map { "q\($0)" })
        #expect(queued.map { $0["priority"] ?? "" } == (0..<5).map { String($0) })
        #expect((statusEvents + queued).compactMap { $0["entry"] }.sorted() == validIDs.sorted(), "one event per valid entry")
        #expect(statusEvents.compactMap { $0["entry"] } == validIDs.filter { id in statusEvents.contains { $0["entry"] == id } },
                "status events in the order written")
        #expect(events.filter { $0["type"] == "rejected" }.count == 5, "the five refused overrides")

        let agent = try harness.agent("ord")
        #expect(agent["status"] == expectedStatuses.last?.status && agent["message"] == expectedStatuses.last?.message)
        let lastStatusID = planned.indices.filter { planned[$0].valid && planned[$0].fields[0].value == Array("agent.status".utf8) }.map { ids[$0] }.last
        #expect(agent["last"] == lastStatusID)
        for step in 0..<5 {
            let conversation = try harness.connection.send(RedisCommand("HGETALL", harness.key("conversation:q\(step)"))).stringPairs ?? [:]
            #expect(conversation["state"] == "queued" && conversation["priority"] == String(step))
        }
        let dead = try harness.deadLetterStreams.flatMap { try rawStream($0, on: harness.connection) }
        let malformedIDs = Set(planned.indices.filter { !planned[$0].valid }.map { ids[$0] })
        #expect(dead.count == malformedIDs.count)
        #expect(Set(dead.compactMap { $0.fields.last.map { String(decoding: $0.value, as: UTF8.self) } }) == malformedIDs)
        #expect(try scan("\(harness.prefix):{\(ghost)}*", on: harness.connection).isEmpty, "nothing stored for the missing workspace")
        let running = harness.workers.allSatisfy(\.isRunning)
        #expect(running)
        for worker in harness.workers { #expect(Self.crashLines(in: worker.log).isEmpty, "\(worker.name): \(Self.crashLines(in: worker.log))") }
    }

    // MARK: Checks

    /// Why `error` is not one readable sentence: an uppercase start, a full stop at the end,
    /// no raw control or line-breaking characters, a bounded length.
    static func readabilityProblems(_ error: String) -> [String] {
        var problems: [String] = []
        guard let first = error.unicodeScalars.first else { return ["empty error"] }
        if !(Unicode.Scalar("A")...Unicode.Scalar("Z")).contains(first) { problems.append("does not start with an uppercase letter") }
        if !error.hasSuffix(".") { problems.append("does not end with '.'") }
        if let raw = error.unicodeScalars.first(where: {
            [Unicode.GeneralCategory.control, .lineSeparator, .paragraphSeparator, .surrogate].contains($0.properties.generalCategory)
        }) {
            problems.append("contains the raw character U+\(String(raw.value, radix: 16, uppercase: true))")
        }
        if error.count > 1_000 { problems.append("is \(error.count) characters long") }
        return problems
    }

    /// The first invisible character of `error` shown as is: a format character (zero-width
    /// space, word joiner, byte order mark, soft hyphen…) other than the joiners that shape
    /// visible text (U+200C, U+200D).
    static func invisibleCharacter(in error: String) -> Unicode.Scalar? {
        error.unicodeScalars.first { $0.properties.generalCategory == .format && $0 != "\u{200C}" && $0 != "\u{200D}" }
    }

    /// Lines of a worker log that tell of a crash or a failure.
    static func crashLines(in log: String) -> [Substring] {
        let markers = ["Fatal error", "fatal error", "Stack dump", "Segmentation fault", "Illegal instruction", "Trace/breakpoint",
                       "level=error", "level=critical", "precondition", "Assertion failed"]
        return log.split(separator: "\n").filter { line in markers.contains { line.contains($0) } }
    }

    /// The entry ids of a worker log's `intake entry dead-lettered` lines.
    static func deadLetteredEntries(in log: String) -> Set<String> {
        Set(log.split(separator: "\n").filter { $0.contains("intake entry dead-lettered") }.compactMap { line in
            line.firstMatch(of: /\bentry=(\d+-\d+)/).map { String($0.1) }
        })
    }

    // MARK: Redis helpers

    /// XADDs every entry to the intake stream of its `workspace` (the harness's own stream
    /// when that field is missing or not text: such an entry is refused whatever its stream),
    /// 250 per pipeline, and returns the ids, in order. The ids are given, one millisecond
    /// and increasing sequence numbers, so they are unique over all shards (ids Redis
    /// assigns are unique per stream only) and the dead letters' `entry` names one entry.
    func write(_ entries: [FuzzPlan.Entry], for harness: PresenceHarness) throws -> [String] {
        let connection = harness.connection
        let time = try connection.send(RedisCommand("TIME")).array?.compactMap { $0.string.flatMap { Int64($0) } } ?? []
        let milliseconds = (time.first ?? 0) * 1000 + (time.last ?? 0) / 1000
        var ids: [String] = []
        ids.reserveCapacity(entries.count)
        for start in stride(from: 0, to: entries.count, by: 250) {
            let commands = entries[start..<min(start + 250, entries.count)].enumerated().map { offset, entry -> RedisCommand in
                var command = RedisCommand("XADD", stream(of: entry.fields, harness), "\(milliseconds)-\(start + offset + 1)")
                for field in entry.fields { command.append(field.name); command.append(field.value) }
                return command
            }
            for reply in try connection.pipeline(commands) {
                guard let id = try reply.orThrow().string else { throw TestSupportError("XADD returned \(reply)") }
                ids.append(id)
            }
        }
        return ids
    }

    /// The intake stream an entry is written to: its `workspace`'s (the harness's own when
    /// that field is missing or not text).
    func stream(of fields: [Field], _ harness: PresenceHarness) -> String {
        harness.intake(for: fields.first { $0.name == Array("workspace".utf8) }.flatMap { String(validating: $0.value, as: UTF8.self) })
    }

    /// Polls, until `deadline`, for empty intake streams with nothing pending or unread.
    func waitUntilDrained(_ harness: PresenceHarness, deadline: Duration) throws {
        let end = ContinuousClock.now + deadline
        var last = ""
        var streams = harness.intakeStreams[...]
        while ContinuousClock.now < end, let stream = streams.first {
            let length = try harness.connection.send(RedisCommand("XLEN", stream)).int ?? -1
            let groups = try harness.connection.sendReturningErrors(RedisCommand("XINFO", "GROUPS", stream)).array ?? []
            let group = groups.compactMap { reply -> [String: RedisValue]? in
                guard let flat = reply.array else { return nil }
                var pairs: [String: RedisValue] = [:]
                for index in stride(from: 0, to: flat.count - 1, by: 2) { pairs[flat[index].string ?? ""] = flat[index + 1] }
                return pairs["name"]?.string == "switchboard" ? pairs : nil
            }.first
            let pending = group?["pending"]?.int ?? -1
            let lag = group?["lag"].map { $0.isNull ? 0 : ($0.int ?? -1) } ?? 0
            if length == 0, pending == 0, lag == 0 {
                streams = streams.dropFirst()  // drained for good: nothing writes to it any more
                continue
            }
            last = "\(stream): XLEN \(length), pending \(pending), lag \(lag)"
            usleep(20_000)
        }
        if streams.isEmpty { return }
        throw TestSupportError("the intake streams did not drain within \(deadline): \(last); logs:\n"
                               + harness.workers.map { "\($0.name): " + $0.log.suffix(3_000) }.joined(separator: "\n---\n"))
    }

    /// Every entry of a stream, fields as raw bytes.
    func rawStream(_ key: String, on connection: RedisConnection) throws -> [(id: String, fields: [Field])] {
        var result: [(id: String, fields: [Field])] = []
        var start = "-"
        while true {
            let page = try connection.send(RedisCommand("XRANGE", key, start, "+", "COUNT", "200")).array ?? []
            for item in page {
                guard let parts = item.array, let id = parts.first?.string else { continue }
                let flat = parts.count > 1 ? (parts[1].array ?? []) : []
                let fields = stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0].bytes ?? [], flat[$0 + 1].bytes ?? []) }
                result.append((id, fields))
            }
            guard page.count == 200, let last = result.last?.id else { return result }
            start = "(" + last
        }
    }

    /// Every key matching `pattern`, decoded leniently (a non-UTF-8 key shows U+FFFD).
    func scan(_ pattern: String, on connection: RedisConnection) throws -> [String] {
        var cursor = "0"
        var keys: [String] = []
        repeat {
            let reply = try connection.send(RedisCommand("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")).array ?? []
            cursor = reply.first?.string ?? "0"
            keys += (reply.last?.array ?? []).compactMap { $0.bytes.map { String(decoding: $0, as: UTF8.self) } }
        } while cursor != "0"
        return keys
    }

    func sameFields(_ a: [Field], _ b: [Field]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Fields for a failure message: escaped, long values cut.
    func describe(_ fields: [Field]) -> String {
        func text(_ bytes: [UInt8]) -> String {
            let shown = String(decoding: bytes.prefix(40), as: UTF8.self).debugDescription
            return bytes.count > 40 ? shown + "…(\(bytes.count) bytes)" : shown
        }
        let shown = fields.prefix(8).map { "\(text($0.name))=\(text($0.value))" }.joined(separator: " ")
        return fields.count > 8 ? shown + " …(\(fields.count) fields)" : shown
    }
}

/// Keys of one workspace, as docs/keys.md spells them.
struct WorkspaceView {
    let prefix: String
    let workspace: String
    func key(_ suffix: String) -> String { "\(prefix):{\(workspace)}:\(suffix)" }
}

/// The key shapes of docs/keys.md, with the ids valid entries brought into being.
struct KeyShapes {
    let prefix: String
    let agents: [String: Set<String>]
    let conversations: [String: Set<String>]
    let teams: Set<String>
    let replyEntries: Set<String>

    /// Why `key` should not exist, or `nil` if its shape and ids are accounted for.
    func problem(with key: String) -> String? {
        guard key.hasPrefix(prefix + ":") else { return "outside the prefix" }
        let rest = key.dropFirst(prefix.count + 1)
        if ["intake", "config", "dead", "sweep", "workspaces", "safety-sweep", "workers", "widget-schedule"].contains(String(rest)) { return nil }
        // An intake shard, or a global key spread per shard (dead letters, schedules).
        for spread in ["intake", "dead", "sweep", "workspaces", "widget-schedule"] where rest.hasPrefix(spread + ":") {
            if Int(rest.dropFirst(spread.count + 1)) != nil { return nil }
        }
        if rest.hasPrefix("worker:") { return nil }  // a live worker's heartbeat
        if rest.hasPrefix("reply:") {
            // `reply:<id>`, or `reply:<shard>:<id>` for an entry of an intake shard.
            let entry = rest.dropFirst("reply:".count).split(separator: ":").last.map(String.init) ?? ""
            return replyEntries.contains(entry) ? nil : "a reply list for an entry that asked none"
        }
        guard rest.first == "{", let close = rest.firstIndex(of: "}") else { return "not a documented global key" }
        let workspace = String(rest[rest.index(after: rest.startIndex)..<close])
        guard let agentIDs = agents[workspace] else { return "workspace \(workspace.debugDescription) has no valid entry" }
        let tail = rest[rest.index(after: close)...]
        guard tail.hasPrefix(":") else { return "no ':' after the hash tag" }
        let parts = tail.dropFirst().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1 where ["meta", "agents", "sessions", "events", "settings", "teams", "queue", "pool", "busy", "available", "widget"].contains(parts[0]):
            return nil
        case 2 where ["queue", "pool", "busy"].contains(parts[0]):
            return teams.contains(parts[1]) ? nil : "team \(parts[1].debugDescription) no valid entry named"
        case 2 where parts[0] == "agent", 3 where parts[0] == "agent" && ["sessions", "log", "conversations"].contains(parts[2]):
            return agentIDs.contains(parts[1]) ? nil : "agent \(parts[1].debugDescription) no valid entry named"
        case 2 where parts[0] == "conversation":
            return conversations[workspace, default: []].contains(parts[1]) ? nil : "conversation \(parts[1].debugDescription) no valid entry named"
        default:
            return "not a documented workspace key"
        }
    }
}

// MARK: The plan: which entries to write, and what each must do

struct FuzzPlan {
    typealias Field = IntakeFuzzTests.Field

    enum Effect {
        case none
        case status(agent: String, status: String, message: String?)
        case profile(agent: String, fields: [String: String])
        case newConversation(conversation: String, team: String, priority: Int)
        case close(conversation: String)
        case settings([String: String])
    }

    enum Expectation {
        case applied(Effect)
        /// Dead-lettered; the sentence must contain every string of `mentions`.
        case deadLetter(kind: String, mentions: [String], refusedInRedis: Bool)
    }

    struct Entry {
        var fields: [Field]
        var expectation: Expectation
        var workspace: String = ""

        var isValid: Bool { if case .applied = expectation { return true } else { return false } }
        var refusedInRedis: Bool { if case .deadLetter(_, _, true) = expectation { return true } else { return false } }
        var kind: String {
            switch expectation {
            case .applied: return "valid"
            case .deadLetter(let kind, _, _): return kind
            }
        }
        var asksForReply: Bool {
            fields.contains { $0.name == Array("reply".utf8) && $0.value == Array("1".utf8) }
        }
    }

    enum MalformedKind: String, CaseIterable {
        case missingOp, onlyOp, missingWorkspace, unknownOp, opNotUTF8
        case badWorkspaceID, workspaceNotUTF8, badAgentID, badSessionID, badConversationID, badTeamID, badActorID, badToID, badTeams
        case missingRequired, setsNothing, unknownField, manyUnknownFields, badValue
        case oversizedValue, hugeValue, tooManyFields, longFieldName
        case valueNotUTF8, nameNotUTF8, nulBytes, messageControl, messageTooLong, duplicateField
        case refusedOverride, refusedAssign, refusedTransfer, refusedReassign
    }

    static let teams: Set<String> = ["sales", "vip", "t.1", "@team", "T-2", String(repeating: "t", count: 64)]
    static let statuses = IntakeFuzzTests.statuses
    static let ops = ["agent.login", "agent.heartbeat", "agent.logout", "agent.status", "agent.profile", "conversation.new",
                      "conversation.close", "conversation.assign", "conversation.transfer", "agent.reassign", "workspace.settings"]
    /// Values that are not ids: braces, colons, globs, paths, spaces, control characters, empty, too long, non-ASCII.
    static let injections = ["a}b", "a{b", "a:b", "*", "../x", "a b", "a\nb", "", String(repeating: "x", count: 65), "a\u{0}b",
                             "é", "a/b", "a,b", "{ws}", "a\tb", "ab\u{200F}", "a*", "?", "[a]", "a\r\n", "\u{FEFF}a", "a'b", "a\\b",
                             "a\u{200B}b", "\u{2060}", "a\u{AD}b"]
    /// Byte sequences that are not UTF-8: bad bytes, lone continuations, overlong forms, surrogates, truncation, beyond U+10FFFF.
    static let invalidUTF8: [[UInt8]] = [[0xFF, 0xFE], [0x80], [0x61, 0xBF, 0x62], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xC1, 0xBF],
                                          [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80],
                                          [0xF0, 0x80, 0x80, 0xAF], [0xFE]]

    var rng: SplitMix64
    let workspaces: [String]
    let ghostPrefix: String
    var agents: [String: [String]] = [:]
    var entries: [Entry] = []
    private var conversationsMade: [String: [String]] = [:]
    private var closable: [String: [String]] = [:]
    private var counter = 0

    init(seed: UInt64, workspaces: [String], ghostPrefix: String) {
        rng = SplitMix64(state: seed)
        self.workspaces = workspaces
        self.ghostPrefix = ghostPrefix
        let edge = [String(repeating: "z", count: 64), "a.b_c@d-e", "0", "-", "..", "@", "A", "_", "agents", "x.log"]
        for workspace in workspaces { agents[workspace] = (0..<90).map { "a\($0)" } + edge }
    }

    static func fields(_ pairs: [(String, String)]) -> [Field] { pairs.map { (Array($0.0.utf8), Array($0.1.utf8)) } }

    private mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    private mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    private mutating func fresh(_ stem: String) -> String { counter += 1; return "\(stem)\(counter)" }

    mutating func generate(count: Int, malformedShare: Double) {
        let malformedSlots = (0..<count).map { _ in chance(malformedShare) }
        let slots = malformedSlots.filter { $0 }.count
        var kinds = MalformedKind.allCases.filter { $0 != .hugeValue } + Array(repeating: .hugeValue, count: 3)
        let cheap = MalformedKind.allCases.filter { $0 != .hugeValue }
        while kinds.count < slots { kinds.append(pick(cheap)) }
        kinds.shuffle(using: &rng)
        var nextKind = kinds.makeIterator()
        for isMalformed in malformedSlots {
            entries.append(isMalformed ? malformed(nextKind.next()!) : valid())
        }
    }

    // MARK: Valid entries

    private mutating func message() -> String? {
        switch Int.random(in: 0..<12, using: &rng) {
        case 0, 1: return nil
        case 2: return ""
        case 3: return String(repeating: "x", count: 280)
        case 4: return String(repeating: "e\u{301}", count: 280)      // 280 characters, 840 bytes
        case 5: return String(repeating: "🇫🇷", count: 128)           // 128 characters, exactly 1024 bytes
        case 6: return #"say "hi" \ 'there' %s %d {} [] / null"#
        case 7: return "مرحبا بالعالم"
        case 8: return "123"
        case 9: return "Back in 5 — café ☕️ \(fresh("#"))"
        default: return "Lunch \(fresh("m"))"
        }
    }

    private mutating func valid() -> Entry {
        let workspace = pick(workspaces)
        let agent = pick(agents[workspace]!)
        var pairs: [(String, String)] = [("op", ""), ("workspace", workspace)]
        let effect: Effect
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<45:
            let status = pick(Self.statuses)
            let text = message()
            pairs[0].1 = "agent.status"
            pairs += [("agent", agent), ("status", status)]
            if let text { pairs.append(("message", text)) }
            if chance(0.15) { pairs.append(("actor", agent)) }
            effect = .status(agent: agent, status: status, message: text.flatMap { $0.isEmpty ? nil : $0 })
        case 45..<65:
            pairs[0].1 = "agent.profile"
            pairs.append(("agent", agent))
            var profile: [String: String] = [:]
            while profile.isEmpty {
                if chance(0.3) { profile["preferred_status"] = pick(Self.statuses) }
                if chance(0.3) { profile["accept_chats_after_login"] = pick(["true", "false"]) }
                if chance(0.3) {
                    let text = pick(["0", "1000", "0007", "3", String(Int.random(in: 0...1000, using: &rng))])
                    pairs.append(("capacity", text))
                    profile["capacity"] = String(Int(text)!)
                }
                if chance(0.3) {
                    let list = Array(Self.teams).sorted().shuffled(using: &rng).prefix(Int.random(in: 0...3, using: &rng))
                    profile["teams"] = list.joined(separator: ",")
                }
                if chance(0.3) { profile["role"] = pick(["agent", "supervisor", "admin", "owner"]) }
            }
            for (name, value) in profile.sorted(by: { $0.key < $1.key }) where name != "capacity" { pairs.append((name, value)) }
            effect = .profile(agent: agent, fields: profile)
        case 65..<88:
            let conversation = chance(0.05) ? fresh(String(repeating: "q", count: 58)) : fresh("c-")
            pairs[0].1 = "conversation.new"
            pairs.append(("conversation", conversation))
            let team = chance(0.5) ? pick(Array(Self.teams).sorted()) : ""
            if !team.isEmpty { pairs.append(("team", team)) }
            var priority = 0
            if chance(0.6) {
                let text = pick(["-1000", "1000", "-0", "0042", String(Int.random(in: -1000...1000, using: &rng))])
                priority = Int(text)!
                pairs.append(("priority", text))
            }
            conversationsMade[workspace, default: []].append(conversation)
            closable[workspace, default: []].append(conversation)
            effect = .newConversation(conversation: conversation, team: team, priority: priority)
        case 88..<95 where !(closable[workspace] ?? []).isEmpty:
            let index = Int.random(in: 0..<closable[workspace]!.count, using: &rng)
            let conversation = closable[workspace]!.remove(at: index)
            pairs[0].1 = "conversation.close"
            pairs.append(("conversation", conversation))
            effect = .close(conversation: conversation)
        default:
            pairs[0].1 = "workspace.settings"
            var settings: [String: String] = [:]
            while settings.isEmpty {
                if chance(0.4) { settings["routing"] = pick(["round_robin", "least_loaded"]) }
                if chance(0.4) { settings["busy_fallback"] = pick(["true", "false"]) }
                if chance(0.4) { settings["default_capacity"] = String(Int.random(in: 0...1000, using: &rng)) }
                if chance(0.4) { settings["ai_chat"] = pick(["true", "false"]) }
            }
            pairs += settings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            effect = .settings(settings)
        }
        if chance(0.05) { pairs.append(("reply", "0")) }
        if chance(0.2) { pairs.shuffle(using: &rng) }   // field order is free
        return Entry(fields: Self.fields(pairs), expectation: .applied(effect), workspace: workspace)
    }

    // MARK: Malformed entries

    private mutating func malformed(_ kind: MalformedKind) -> Entry {
        let real = pick(workspaces)
        let agent = pick(agents[real]!)
        // Most entries refused while parsing name a real workspace; some a workspace that does not exist.
        let workspace = chance(0.3) ? "\(ghostPrefix)-\(Int.random(in: 0..<5, using: &rng))" : real
        let status = pick(Self.statuses)
        let statusEntry: [(String, String)] = [("op", "agent.status"), ("workspace", workspace), ("agent", agent), ("status", status)]
        var fields: [Field]
        var mentions: [String]
        var refused = false
        var entryWorkspace = workspace

        func quoted(_ name: String) -> String { "'\(name)'" }

        switch kind {
        case .missingOp:
            fields = Self.fields([("workspace", workspace), ("agent", agent), ("status", status)]); mentions = ["'op'"]
        case .onlyOp:
            fields = Self.fields([("op", pick(Self.ops))]); mentions = ["'workspace'"]
        case .missingWorkspace:
            fields = Self.fields([("op", "agent.status"), ("agent", agent), ("status", status)]); mentions = ["'workspace'"]
        case .unknownOp:
            let op = pick(["agent.fly", "", "AGENT.STATUS", "agent.status ", " agent.status", "conversation.open", "agent",
                           "agent.Status", "agent.status\u{200F}", "workspace.settings\n"])
            fields = Self.fields([("op", op)] + statusEntry.dropFirst()); mentions = ["'op'"]
        case .opNotUTF8:
            fields = [(Array("op".utf8), Array("agent.".utf8) + pick(Self.invalidUTF8))] + Self.fields(Array(statusEntry.dropFirst()))
            mentions = ["'op'", "UTF-8"]
        case .badWorkspaceID:
            entryWorkspace = pick(Self.injections)
            fields = Self.fields([("op", "agent.status"), ("workspace", entryWorkspace), ("agent", agent), ("status", status)])
            mentions = ["'workspace'"]
        case .workspaceNotUTF8:
            fields = Self.fields([("op", "agent.status")]) + [(Array("workspace".utf8), Array(real.utf8) + pick(Self.invalidUTF8))]
                + Self.fields([("agent", agent), ("status", status)])
            mentions = ["'workspace'", "UTF-8"]
        case .badAgentID:
            fields = Self.fields([("op", pick(["agent.status", "agent.profile"])), ("workspace", workspace), ("agent", pick(Self.injections))])
            fields += Self.fields(fields[0].value == Array("agent.status".utf8) ? [("status", status)] : [("capacity", "3")])
            mentions = ["'agent'"]
        case .badSessionID:
            fields = Self.fields([("op", pick(["agent.login", "agent.heartbeat", "agent.logout"])), ("workspace", workspace),
                                  ("agent", agent), ("session", pick(Self.injections))])
            mentions = ["'session'"]
        case .badConversationID:
            fields = Self.fields([("op", pick(["conversation.new", "conversation.close"])), ("workspace", workspace),
                                  ("conversation", pick(Self.injections))])
            mentions = ["'conversation'"]
        case .badTeamID:
            fields = Self.fields([("op", pick(["conversation.new", "conversation.transfer"])), ("workspace", workspace),
                                  ("conversation", fresh("never-")), ("team", pick(Self.injections))])
            mentions = ["'team'"]
        case .badActorID:
            fields = Self.fields(statusEntry + [("actor", pick(Self.injections))]); mentions = ["'actor'"]
        case .badToID:
            fields = Self.fields([("op", "agent.reassign"), ("workspace", workspace), ("agent", agent), ("to", pick(Self.injections)),
                                  ("actor", fresh("peer-"))])
            mentions = ["'to'"]
        case .badTeams:
            let list = pick(["a,b:c", "a,,b", "a, b", ",", "sales,sales", "sales,", ",vip", "a}b", String(repeating: "x", count: 65),
                             (0...50).map { "t\($0)" }.joined(separator: ","), "vip\u{0}"])
            fields = Self.fields([("op", "agent.profile"), ("workspace", workspace), ("agent", agent), ("teams", list)])
            mentions = ["'teams'"]
        case .missingRequired:
            let cases: [([(String, String)], String)] = [
                ([("op", "agent.status"), ("agent", agent)], "status"),
                ([("op", "agent.status"), ("status", status)], "agent"),
                ([("op", "agent.login"), ("agent", agent)], "session"),
                ([("op", "agent.heartbeat")], "agent"),
                ([("op", "agent.logout"), ("session", "s1")], "agent"),
                ([("op", "conversation.new"), ("team", "sales"), ("priority", "5")], "conversation"),
                ([("op", "conversation.close")], "conversation"),
                ([("op", "conversation.assign"), ("conversation", fresh("never-")), ("agent", agent)], "actor"),
                ([("op", "conversation.transfer"), ("conversation", fresh("never-"))], "team"),
                ([("op", "agent.reassign"), ("agent", agent)], "actor"),
                ([("op", "agent.profile"), ("capacity", "3")], "agent"),
            ]
            let (pairs, missing) = pick(cases)
            fields = Self.fields([pairs[0], ("workspace", workspace)] + pairs.dropFirst()); mentions = [quoted(missing), "missing"]
        case .setsNothing:
            if chance(0.5) {
                fields = Self.fields([("op", "agent.profile"), ("workspace", workspace), ("agent", agent)]); mentions = ["agent.profile"]
            } else {
                fields = Self.fields([("op", "workspace.settings"), ("workspace", workspace)]); mentions = ["workspace.settings"]
            }
        case .unknownField:
            let cases: [([(String, String)], String)] = [
                ([("op", "agent.login"), ("workspace", workspace), ("agent", agent), ("sesion", "s1")], "sesion"),
                (statusEntry + [("error", "boom")], "error"),
                (statusEntry + [("worker", "w9")], "worker"),
                (statusEntry + [("entry", "1-1")], "entry"),
                (statusEntry + [("Status", "away")], "Status"),
                (statusEntry + [("priority", "5")], "priority"),
                (statusEntry + [("", "x")], ""),
                ([("op", "conversation.new"), ("workspace", workspace), ("conversation", fresh("never-")), ("agent", agent)], "agent"),
                ([("op", "workspace.settings"), ("workspace", workspace), ("routing", "round_robin"), ("widget", "on")], "widget"),
            ]
            let (pairs, name) = pick(cases)
            fields = Self.fields(pairs); mentions = [quoted(name), "not used by"]
        case .manyUnknownFields:
            let count = Int.random(in: 2...20, using: &rng)
            fields = Self.fields(statusEntry + (0..<count).map { ("x\($0)", "v") })
            mentions = ["'x0'", "not used by"] + (count > 5 ? ["\(count - 5) more"] : [])
        case .badValue:
            let never = fresh("never-")
            let cases: [([(String, String)], String, [String])] = [
                (Array(statusEntry.prefix(3)), "status", ["sleeping", "Online", " online", "", "ONLINE", "online "]),
                ([("op", "agent.profile"), ("workspace", workspace), ("agent", agent)], "preferred_status", ["maybe", "Away"]),
                ([("op", "agent.profile"), ("workspace", workspace), ("agent", agent)], "capacity",
                 ["-1", "abc", "1001", "", "1.0", " 3", "1e3", "99999999999999999999", "+3", "３"]),
                ([("op", "agent.profile"), ("workspace", workspace), ("agent", agent)], "accept_chats_after_login", ["maybe", "True", "1", "", "yes"]),
                ([("op", "agent.profile"), ("workspace", workspace), ("agent", agent)], "role", ["god", "Supervisor", ""]),
                ([("op", "conversation.new"), ("workspace", workspace), ("conversation", never)], "priority",
                 ["high", "1e9", "99999999999999999999", "+5", "1001", "-1001", "-", " 5", "٣", "", "--1", "5-", "0x10", "-99999999999999999999"]),
                ([("op", "workspace.settings"), ("workspace", workspace)], "routing", ["random", "", "ROUND_ROBIN"]),
                ([("op", "workspace.settings"), ("workspace", workspace)], "busy_fallback", ["yes", "TRUE"]),
                ([("op", "workspace.settings"), ("workspace", workspace)], "default_capacity", ["1e3", "-1", "1001", "lots"]),
                ([("op", "workspace.settings"), ("workspace", workspace)], "ai_chat", ["on", "0"]),
                ([("op", "conversation.assign"), ("workspace", workspace), ("conversation", never), ("agent", agent), ("actor", fresh("peer-"))],
                 "over_capacity", ["yes", "1"]),
                (statusEntry, "reply", ["2", "yes", "", "true", " 1", "01"]),
            ]
            let (pairs, field, values) = pick(cases)
            fields = Self.fields(pairs + [(field, pick(values))]); mentions = [quoted(field)]
        case .oversizedValue:
            let field = pick(["message", "agent", "op", "workspace", "status"])
            let size = Int.random(in: 1025...4096, using: &rng)
            fields = Self.fields(statusEntry.filter { $0.0 != field } + [(field, String(repeating: "m", count: size))])
            mentions = [quoted(field), "\(size) bytes", "1024"]
        case .hugeValue:
            fields = Self.fields(statusEntry + [("message", String(repeating: "h", count: 1 << 20))])
            mentions = ["'message'", "\(1 << 20) bytes"]
        case .tooManyFields:
            let count = pick([33, 34, 40, 64, 300])
            fields = Self.fields(statusEntry + (statusEntry.count..<count).map { ("f\($0)", "v") })
            mentions = []
        case .longFieldName:
            let length = pick([65, 66, 100, 1_000])
            fields = Self.fields(statusEntry + [(String(repeating: "n", count: length), "v")])
            mentions = ["field name", "\(length) bytes", String(repeating: "n", count: min(length, 80))]
        case .valueNotUTF8:
            let field = pick(["agent", "status", "message", "actor"])
            let bytes = Array("ok".utf8) + pick(Self.invalidUTF8) + Array("ok".utf8)
            fields = Self.fields(statusEntry.filter { $0.0 != field }) + [(Array(field.utf8), bytes)]
            mentions = [quoted(field), "UTF-8"]
        case .nameNotUTF8:
            fields = Self.fields(statusEntry) + [(Array("x".utf8) + pick(Self.invalidUTF8), Array("v".utf8))]
            mentions = ["field name", "UTF-8"]
        case .nulBytes:
            let cases: [([(String, String)], String)] = [
                ([("op", "agent.status"), ("workspace", workspace), ("agent", "a\u{0}b"), ("status", status)], "'agent'"),
                (statusEntry + [("message", "x\u{0}y")], "'message'"),
                (Array(statusEntry.prefix(3)) + [("status", status + "\u{0}")], "'status'"),
                ([("op", "agent.status\u{0}")] + statusEntry.dropFirst(), "'op'"),
                (statusEntry + [("sta\u{0}tus", "away")], #"'sta\0tus'"#),
                ([("op", "agent.status"), ("workspace", real + "\u{0}"), ("agent", agent), ("status", status)], "'workspace'"),
            ]
            let (pairs, mention) = pick(cases)
            fields = Self.fields(pairs); mentions = [mention]
        case .messageControl:
            let text = pick(["line one\nline two", "tab\there", "crlf\r\nend", "bell\u{7}", "del\u{7F}", "next line\u{85}", "\u{1B}[31mred",
                             "\n", "nul at end\u{0}", "vt\u{B}", "ff\u{C}"])
            fields = Self.fields(statusEntry + [("message", text)]); mentions = ["'message'", "control character"]
        case .messageTooLong:
            let text = pick([String(repeating: "x", count: 281), String(repeating: "é", count: 281), String(repeating: "e\u{301}", count: 300),
                             String(repeating: "👍", count: 281), String(repeating: "ab", count: 200)])
            fields = Self.fields(statusEntry + [("message", text)]); mentions = ["'message'"]
        case .duplicateField:
            let cases: [([(String, String)], String)] = [
                (statusEntry + [("status", pick(Self.statuses))], "status"),
                (statusEntry + [("agent", agent)], "agent"),
                (statusEntry + [("op", "agent.status")], "op"),
                (statusEntry + [("workspace", workspace)], "workspace"),
                (statusEntry + [("message", "a"), ("message", "b")], "message"),
                (statusEntry + [("reply", "1"), ("reply", "0")], "reply"),
            ]
            let (pairs, name) = pick(cases)
            fields = Self.fields(pairs); mentions = [quoted(name), "appears"]
        case .refusedOverride:
            // Valid fields, refused inside Redis: the actor has no role (so 'agent').
            let actor = fresh("peer-")
            let target = chance(0.8) ? agent : fresh("ghost-agent-")
            fields = Self.fields([("op", "agent.status"), ("workspace", real), ("agent", target), ("status", status), ("actor", actor)])
            mentions = ["'\(actor)'", "'\(target)'"]; refused = true; entryWorkspace = real
        case .refusedAssign:
            // A conversation created earlier and never closed, so the refusal never turns stale.
            let actor = fresh("peer-")
            let conversation: String
            if let open = closable[real], !open.isEmpty {
                let index = Int.random(in: 0..<open.count, using: &rng)
                conversation = closable[real]!.remove(at: index)
            } else {
                conversation = fresh("never-")
            }
            fields = Self.fields([("op", "conversation.assign"), ("workspace", real), ("conversation", conversation), ("agent", agent), ("actor", actor)])
            mentions = ["'\(actor)'"]; refused = true; entryWorkspace = real
        case .refusedTransfer:
            let conversation = fresh("never-")
            fields = Self.fields([("op", "conversation.transfer"), ("workspace", real), ("conversation", conversation), ("team", "sales")])
            mentions = ["'\(conversation)'"]; refused = true; entryWorkspace = real
        case .refusedReassign:
            let actor = fresh("peer-")
            fields = Self.fields([("op", "agent.reassign"), ("workspace", real), ("agent", agent), ("actor", actor)])
            mentions = ["'\(actor)'"]; refused = true; entryWorkspace = real
        }
        // Some ask for a reply: the outcome must carry the same sentence.
        if !fields.contains(where: { $0.name == Array("reply".utf8) }), chance(0.12) {
            fields.append((Array("reply".utf8), Array("1".utf8)))
        }
        if kind == .tooManyFields { mentions = ["The entry has \(fields.count) fields", "at most 32"] }
        return Entry(fields: fields, expectation: .deadLetter(kind: kind.rawValue, mentions: mentions, refusedInRedis: refused),
                     workspace: entryWorkspace)
    }

    // MARK: Expected state

    struct AgentState {
        var status: String?
        var message: String?
        var profile: [String: String] = [:]
        var entryIDs: [String] = []
    }

    struct ConversationState {
        var state: String
        var entry: String
        var team: String
        var priority: Int
    }

    struct Expected {
        var agents: [String: [String: AgentState]] = [:]
        var conversations: [String: [String: ConversationState]] = [:]
        var settings: [String: [String: String]] = [:]
    }

    /// What applying the valid entries in stream order leaves, given the ids Redis assigned.
    func expectedState(ids: [String]) -> Expected {
        var expected = Expected()
        for workspace in workspaces {
            expected.agents[workspace] = [:]
            expected.conversations[workspace] = [:]
        }
        for (entry, id) in zip(entries, ids) {
            guard case .applied(let effect) = entry.expectation else { continue }
            let workspace = entry.workspace
            switch effect {
            case .none:
                break
            case .status(let agent, let status, let message):
                expected.agents[workspace]![agent, default: AgentState()].status = status
                expected.agents[workspace]![agent]!.message = message
                expected.agents[workspace]![agent]!.entryIDs.append(id)
            case .profile(let agent, let fields):
                expected.agents[workspace]![agent, default: AgentState()].profile.merge(fields) { $1 }
                expected.agents[workspace]![agent]!.entryIDs.append(id)
            case .newConversation(let conversation, let team, let priority):
                expected.conversations[workspace]![conversation] = ConversationState(state: "queued", entry: id, team: team, priority: priority)
            case .close(let conversation):
                expected.conversations[workspace]![conversation]!.state = "closed"
                expected.conversations[workspace]![conversation]!.entry = id
            case .settings(let fields):
                expected.settings[workspace, default: [:]].merge(fields) { $1 }
            }
        }
        return expected
    }
}
