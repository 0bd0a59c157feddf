// Reads the intake stream through the consumer group, applies each entry with its script,
// dead-letters what cannot be applied, then acknowledges and deletes what is done.
//
// Delivery contract: at least once. An entry is acknowledged only after its outcome is
// known (applied, stale, or dead-lettered); a worker that dies before that leaves it
// pending, and another worker claims it once it has been idle for `claimIdle` (a restarted
// worker takes back its own at once). Scripts order entries by their stream id (last
// writer wins), so applying an entry twice or late has the in-order effect. An entry
// delivered `maxDeliveries` times without an outcome is dead-lettered, so one entry that
// keeps a worker from finishing cannot stop the others for ever.
import Foundation
import Logging
import Redis

/// One worker's reader of the intake stream.
final class IntakeConsumer {
    private let configuration: WorkerConfiguration
    private let applier: IntakeApplier
    private let logger: Logger
    private let metrics: WorkerMetrics
    /// How this consumer's own pending entries are taken back before new ones are read.
    enum Recovery {
        /// At start: entries a previous run under this name left. Counted as a delivery,
        /// so a worker that keeps dying on one entry ends by setting it aside.
        case startup
        /// After a failure in this run (Redis refused or dropped the link): read again
        /// without counting a delivery, since no worker died on them.
        case retry
    }
    /// Set while own pending entries must be taken back before new ones are read.
    var recovery: Recovery? = .startup

    init(configuration: WorkerConfiguration, logger: Logger, metrics: WorkerMetrics) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        applier = IntakeApplier(keys: configuration.keys, sessionTTL: configuration.sessionTTL, eventsCap: configuration.eventsCap)
    }

    private var keys: KeySchema { configuration.keys }

    /// Creates the consumer group if it is missing. It reads from the start of the stream,
    /// so entries written before any worker ran are applied too.
    func ensureGroup(on connection: RedisConnection) throws {
        let reply = try connection.sendReturningErrors(RedisCommand("XGROUP", "CREATE", keys.intake, keys.consumerGroup, "0", "MKSTREAM"))
        if let error = reply.serverError, error.code != "BUSYGROUP" { throw error }
    }

    /// Reads one batch (waiting up to `readBlock`), handles it, and returns how many entries it held.
    func runOnce(on connection: RedisConnection) throws -> Int {
        if let recovery {
            // The start's claim counts one delivery, once: retries after a failure must not
            // count more, or a long outage would set valid entries aside.
            self.recovery = .retry
            let taken = try takeBack(on: connection, counting: recovery == .startup)
            if taken == 0 { self.recovery = nil }
            return taken
        }
        let blockMilliseconds = configuration.readBlock.wholeMilliseconds
        let read = RedisCommand("XREADGROUP", "GROUP", keys.consumerGroup, configuration.name, "COUNT", configuration.batchSize,
                                "BLOCK", blockMilliseconds, "STREAMS", keys.intake, ">")
        let reply = try connection.sendReturningErrors(read, timeout: configuration.readBlock + configuration.redis.commandTimeout)
        if let error = reply.serverError {
            guard error.code == "NOGROUP" else { throw error }
            logger.warning("intake consumer group missing; creating it", metadata: ["stream": keys.intake])
            try ensureGroup(on: connection)
            return 0
        }
        let records = IntakeRecord.records(from: reply)
        if !records.isEmpty { try handle(records, on: connection) }
        return records.count
    }

    /// Claims entries other consumers left pending for `claimIdle` or longer (a worker that
    /// died or hangs) and handles them. `XCLAIM` with that minimum idle time gives each
    /// entry to one claimant only. Returns how many it found.
    func reclaim(on connection: RedisConnection) throws -> Int {
        try claimAndHandle(minimumIdle: configuration.claimIdle.wholeMilliseconds, owner: nil, on: connection)
    }

    /// Takes back this consumer's own pending entries and handles them; `counting` claims
    /// them anew (a delivery more), otherwise they are only read again.
    private func takeBack(on connection: RedisConnection, counting: Bool) throws -> Int {
        if counting { return try claimAndHandle(minimumIdle: 0, owner: configuration.name, on: connection) }
        let pending = try pendingEntries(minimumIdle: 0, owner: configuration.name, on: connection)
        if pending.isEmpty { return 0 }
        let ids = pending.keys.sorted(by: IntakeRecord.precedes)
        // JUSTID claims without counting a delivery and resets the idle time, so the other
        // workers leave these entries alone while this one retries them.
        let refresh = RedisCommand("XCLAIM", arguments: [keys.intake, keys.consumerGroup, configuration.name, "0"] + ids + ["JUSTID"])
        let entries = Array(try connection.pipeline([refresh] + ids.map { RedisCommand("XRANGE", keys.intake, $0, $0) }).dropFirst())
        // An entry deleted from the stream meanwhile reads as empty and is simply acknowledged.
        let records = zip(ids, entries).map { id, reply in
            IntakeRecord.records(fromEntries: reply).first ?? IntakeRecord(id: id, fields: [])
        }
        try handle(records, on: connection)
        return records.count
    }

    /// Pending entries idle for at least `minimumIdle` ms (of `owner` only, if given): id → deliveries so far.
    private func pendingEntries(minimumIdle: Int, owner: String?, on connection: RedisConnection) throws -> [String: Int] {
        var query = RedisCommand("XPENDING", keys.intake, keys.consumerGroup, "IDLE", minimumIdle, "-", "+", configuration.batchSize)
        if let owner { query.append(owner) }
        let pending = try connection.send(query)
        if let error = pending.serverError {
            // Redis restarted without its data: the group is gone, and so is what was pending.
            guard error.code == "NOGROUP" else { throw error }
            logger.warning("intake consumer group missing; creating it", metadata: ["stream": keys.intake])
            try ensureGroup(on: connection)
            return [:]
        }
        var deliveries: [String: Int] = [:]
        for item in pending.array ?? [] {  // [id, consumer, idle ms, deliveries]
            guard let parts = item.array, parts.count == 4, let id = parts[0].string, let count = parts[3].int else { continue }
            deliveries[id] = count
        }
        return deliveries
    }

    private func claimAndHandle(minimumIdle: Int, owner: String?, on connection: RedisConnection) throws -> Int {
        let deliveries = try pendingEntries(minimumIdle: minimumIdle, owner: owner, on: connection)
        if deliveries.isEmpty { return 0 }
        let claim = RedisCommand("XCLAIM", arguments: [keys.intake, keys.consumerGroup, configuration.name, String(minimumIdle)]
                                 + deliveries.keys.sorted(by: IntakeRecord.precedes))
        let claimed = try connection.send(claim)
        if let error = claimed.serverError { throw error }
        // Entries deleted from the stream meanwhile are not returned and leave the pending list.
        let records = IntakeRecord.records(fromEntries: claimed)
        var setAside: [String: String] = [:]
        for record in records {
            guard let count = deliveries[record.id], count >= configuration.maxDeliveries else { continue }
            setAside[record.id] = "This entry was delivered \(count) times without being acknowledged (a worker stopped or failed "
                + "while applying it each time), so it was set aside to let the others through; check the workers' logs and resubmit it if it is valid."
        }
        if !records.isEmpty {
            logger.notice(owner == nil ? "claimed entries left pending by another worker" : "took back own pending entries",
                          metadata: ["entries": "\(records.count)", "set_aside": "\(setAside.count)"])
            do {
                try handle(records, setAside: setAside, on: connection)
            } catch {
                // These entries are this worker's now: take them back before reading new ones.
                if recovery == nil { recovery = .retry }
                throw error
            }
            metrics.reclaimed.increment(by: Double(records.count))
            reclaimed += records.count
        }
        return deliveries.count
    }

    /// Entries this consumer claimed from others or took back, since it started.
    private(set) var reclaimed = 0
    /// Entries this consumer acknowledged, since it started.
    private(set) var handled = 0

    private func handle(_ records: [IntakeRecord], setAside: [String: String] = [:], on connection: RedisConnection) throws {
        let started = ContinuousClock.now
        var calls: [(record: IntakeRecord, entry: IntakeEntry, call: WorkspaceFunctionCall)] = []
        var followUp: [RedisCommand] = []
        var counts: [Count: Int] = [:]
        var assignments = 0
        for record in records where !record.fields.isEmpty {
            if let reason = setAside[record.id] {
                followUp += deadLetter(record, error: reason)
                counts[Count(op: Self.op(of: record), outcome: "set_aside"), default: 0] += 1
                continue
            }
            switch IntakeParser.parse(record.fields) {
            case .success(let entry): calls.append((record, entry, applier.call(for: entry, entryID: record.id)))
            case .failure(let rejection):
                followUp += deadLetter(record, error: rejection.message)
                counts[Count(op: Self.op(of: record), outcome: "invalid"), default: 0] += 1
            }
        }

        let replies = try connection.callPipelined(calls.map { ($0.call.function, $0.call.command) })
        for (item, reply) in zip(calls, replies) {
            if let error = reply.serverError {
                // Redis cannot run scripts right now (out of memory, loading, a read-only
                // replica…): keep the whole batch pending and read it again after a pause;
                // what did run is then stale and has no second effect.
                if Self.isTransient(error) { throw error }
                followUp += deadLetter(item.record, error: "Applying the entry failed inside Redis: \(Self.sentence(SwitchboardLibrary.locating(error.message)))")
                counts[Count(op: item.entry.command.op, outcome: "failed"), default: 0] += 1
                continue
            }
            let outcome: ScriptOutcome
            do {
                outcome = try ScriptOutcome(reply: reply)
            } catch {
                followUp += deadLetter(item.record, error: "Applying the entry failed inside Redis: \(error).")
                counts[Count(op: item.entry.command.op, outcome: "failed"), default: 0] += 1
                continue
            }
            counts[Count(op: item.entry.command.op, outcome: outcome.kind.rawValue), default: 0] += 1
            assignments += outcome.assignments
            if outcome.kind == .rejected {
                followUp += deadLetter(item.record, error: outcome.error ?? "The entry was rejected.", outcome: outcome.json)
                continue
            }
            if let earliest = outcome.earliestExpiry {
                followUp.append(RedisCommand("SADD", keys.workspaces, item.entry.workspace.rawValue))
                followUp.append(RedisCommand("ZADD", keys.sweepSchedule, "LT", Int(earliest), item.entry.workspace.rawValue))
            }
            if outcome.widgetSchedule {
                // Due now, in the clock the scheduler compares with.
                followUp.append(RedisCommand("ZADD", keys.widgetSchedule, configuration.widgetClockMilliseconds, item.entry.workspace.rawValue))
                // Known to the safety sweep, which puts it back on the schedule if this is lost.
                followUp.append(RedisCommand("SADD", keys.workspaces, item.entry.workspace.rawValue))
            }
            if item.entry.wantsReply { followUp += replyCommands(to: item.record.id, json: outcome.json) }
        }

        // Acknowledge only once every dead letter is written: an entry must end applied or
        // dead-lettered, never neither.
        for (command, reply) in zip(followUp, try connection.pipeline(followUp)) {
            guard let error = reply.serverError else { continue }
            if command.name == "XADD" { throw error }
            logger.error("follow-up command failed", metadata: ["command": command.name, "error": error.message])
        }
        let ids = records.map(\.id)
        let acknowledged = try connection.pipeline([
            RedisCommand("XACK", arguments: [keys.intake, keys.consumerGroup] + ids),
            RedisCommand("XDEL", arguments: [keys.intake] + ids),
        ])
        if let error = acknowledged[0].serverError { throw error }

        // Counted once acknowledged: a batch retried after a failure is not counted twice.
        handled += records.count
        metrics.assignments.increment(by: Double(assignments))
        metrics.deadLetters.increment(by: Double(followUp.filter { $0.name == "XADD" }.count))
        for (count, number) in counts { metrics.entries.increment(by: Double(number), labels: ["op": count.op, "outcome": count.outcome]) }
        let now = Date().timeIntervalSince1970
        for record in records {
            guard let written = record.id.split(separator: "-").first.flatMap({ Double($0) }) else { continue }
            metrics.latency.observe(max(0, now - written / 1000))
        }
        metrics.batches.observe(ContinuousClock.now - started)
    }

    private struct Count: Hashable { let op: String; let outcome: String }

    /// The entry's op for metrics: a known op name, else "invalid" (input never becomes a label).
    private static func op(of record: IntakeRecord) -> String {
        guard let value = record.fields.first(where: { $0.name == Array("op".utf8) })?.value,
              let op = IntakeOperation(rawValue: String(decoding: value, as: UTF8.self)) else { return "invalid" }
        return op.rawValue
    }

    /// A server's message as the end of a sentence: one final period.
    static func sentence(_ message: String) -> String {
        var text = message.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix(".") { text.removeLast() }
        return text + "."
    }

    /// Errors after which the same script call would succeed later.
    static func isTransient(_ error: RedisServerError) -> Bool {
        // An ACL refusal inside a script arrives as a plain ERR ("The user executing the
        // script can't run this command…" in Redis 7.0, NOPERM in later ones): a missing
        // permission is fixed by an operator, after which the entry applies; never dead-letter it.
        ["OOM", "BUSY", "LOADING", "MASTERDOWN", "READONLY", "NOREPLICAS", "TRYAGAIN", "CLUSTERDOWN", "MISCONF", "NOSCRIPT", "NOPERM"].contains(error.code)
            || error.message.contains("NOPERM") || error.message.contains("The user executing the script can't")
    }

    /// `XADD sb:dead` of the original fields plus the error, this worker and the entry id.
    private func deadLetter(_ record: IntakeRecord, error: String, outcome: String? = nil) -> [RedisCommand] {
        logger.notice("intake entry dead-lettered", metadata: ["entry": record.id, "error": error])
        var command = RedisCommand("XADD", keys.deadLetters, "MAXLEN", "~", configuration.deadLettersCap, "*")
        for field in record.fields {
            command.append(field.name)
            command.append(field.value)
        }
        command.append("error"); command.append(error)
        command.append("worker"); command.append(configuration.name)
        command.append("entry"); command.append(record.id)
        var commands = [command]
        let wantsReply = record.fields.contains { $0.name == Array("reply".utf8) && $0.value == Array("1".utf8) }
        if wantsReply {
            let encoded = try? JSONSerialization.data(withJSONObject: ["outcome": "rejected", "error": error])
            let json = outcome ?? encoded.map { String(decoding: $0, as: UTF8.self) } ?? #"{"outcome":"rejected"}"#
            commands += replyCommands(to: record.id, json: json)
        }
        return commands
    }

    /// Pushes an outcome to `sb:reply:<entry id>` for a sender waiting on it (kept 60 s).
    private func replyCommands(to entryID: String, json: String) -> [RedisCommand] {
        let key = keys.reply(entryID: entryID)
        let withEntry = "{\"entry\":\"\(entryID)\"," + json.dropFirst()
        return [RedisCommand("RPUSH", key, withEntry), RedisCommand("PEXPIRE", key, 60_000)]
    }
}
