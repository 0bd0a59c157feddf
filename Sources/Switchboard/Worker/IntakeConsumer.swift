// Reads the intake streams (one per shard) through the consumer group, applies each entry
// with its script, dead-letters what cannot be applied, then acknowledges and deletes what
// is done. On one Redis every shard is read in one blocking XREADGROUP; on a Redis Cluster,
// where each shard's stream is a hash slot of its own, by one reader thread per slot
// (IntakeReaders). Pending entries are found, claimed and acknowledged shard by shard, since
// each stream has its own group.
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

/// One worker's reader of the intake streams.
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
    var recovery: Recovery? = .startup {
        // The readers pause while own pending entries are taken back (what they delivered is
        // pending with this worker: taken back with the rest), and read again after. Setting
        // `.retry` again at each round of taking back re-runs this on purpose: harmless.
        didSet { if recovery != nil { readers?.pause() } else if oldValue != nil { readers?.resume() } }
    }
    /// On a Redis Cluster, the threads that read the intake (started on the first read).
    private var readers: IntakeReaders?

    init(configuration: WorkerConfiguration, logger: Logger, metrics: WorkerMetrics) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        applier = IntakeApplier(keys: configuration.keys, sessionTTL: configuration.sessionTTL, eventsCap: configuration.eventsCap)
    }

    private var keys: KeySchema { configuration.keys }
    /// The intake streams read: the shards (and `sb:intake` when there are several).
    private var streams: [String] { configuration.intakeStreams }

    /// Records the shard count (or checks it against the recorded one, throwing
    /// ``IntakeShardMismatch``), then creates the consumer group on every intake stream where
    /// it is missing. A group reads from the start of its stream, so entries written before any
    /// worker ran are applied too. Run at each (re)connection and when a group has vanished
    /// (Redis lost its data, and with it the recorded count).
    func ensureGroups(on connection: RedisConnection) throws {
        try IntakeShardCount.record(configuration.intakeShards, keys: keys, on: connection)
        let replies = try connection.pipeline(streams.map { RedisCommand("XGROUP", "CREATE", $0, keys.consumerGroup, "0", "MKSTREAM") })
        for reply in replies {
            if let error = reply.serverError, error.code != "BUSYGROUP" { throw error }
        }
    }

    /// Entries read by some worker of the group and not yet acknowledged, over every stream.
    func pendingCount(on connection: RedisConnection) throws -> Int {
        let summaries = try connection.pipeline(streams.map { RedisCommand("XPENDING", $0, keys.consumerGroup) })
        return try summaries.reduce(0) { total, reply in try total + (reply.orThrow().array?.first?.int ?? 0) }
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
        if readers == nil {
            let groups = try connection.keyGroupsForOneCommand(streams)
            if groups.count > 1 { readers = IntakeReaders(groups: groups, configuration: configuration) }
        }
        if let readers { return try handle(readers.take(waitingUpTo: configuration.readBlock), on: connection) }
        let blockMilliseconds = configuration.readBlock.wholeMilliseconds
        // One blocking read over every shard. COUNT applies to each stream, so the batch is
        // split between them: a read never takes more than --batch-size entries in all,
        // however many shards there are.
        let perStream = max(1, (configuration.batchSize + streams.count - 1) / streams.count)
        let read = RedisCommand("XREADGROUP", arguments: ["GROUP", keys.consumerGroup, configuration.name, "COUNT", String(perStream),
                                                          "BLOCK", String(blockMilliseconds), "STREAMS"]
                                + streams + Array(repeating: ">", count: streams.count))
        let reply = try connection.sendReturningErrors(read, timeout: configuration.readBlock + configuration.redis.commandTimeout)
        if let error = reply.serverError {
            guard error.code == "NOGROUP" else { throw error }
            logger.warning("intake consumer group missing; creating it", metadata: ["streams": streams.joined(separator: ",")])
            try ensureGroups(on: connection)
            return 0
        }
        let records = IntakeRecord.records(from: reply)
        if !records.isEmpty { try handle(records, on: connection) }
        return records.count
    }

    /// Handles what the readers delivered; a failure they met is thrown after the entries
    /// delivered with it are handled (a missing group is created instead, as above).
    private func handle(_ deliveries: [IntakeReaders.Delivery], on connection: RedisConnection) throws -> Int {
        var records: [IntakeRecord] = []
        var failure: (any Error)?
        for delivery in deliveries {
            switch delivery {
            case .records(let read): records += read
            case .failure(let error): failure = failure ?? error
            }
        }
        if !records.isEmpty { try handle(records, on: connection) }
        if let error = failure as? RedisServerError, error.code == "NOGROUP" {
            logger.warning("intake consumer group missing; creating it", metadata: ["streams": streams.joined(separator: ",")])
            try ensureGroups(on: connection)
        } else if let failure {
            throw failure
        }
        return records.count
    }

    /// Stops the reader threads, if any, and handles what they read before they stopped, so
    /// that a clean stop leaves nothing of theirs pending (entries being taken back after a
    /// failure stay pending under this worker's name, for the next one to claim). Call once
    /// the loop has stopped.
    func stop(on connection: RedisConnection) {
        guard let readers else { return }
        readers.stop()
        if recovery == nil { _ = try? handle(readers.take(waitingUpTo: .zero), on: connection) }
        self.readers = nil
    }

    /// Claims entries other consumers left pending for `claimIdle` or longer (a worker that
    /// died or hangs) and handles them. `XCLAIM` with that minimum idle time gives each
    /// entry to one claimant only. Returns how many it found.
    func reclaim(on connection: RedisConnection) throws -> Int {
        try streams.reduce(0) { found, stream in
            try found + claimAndHandle(stream, minimumIdle: configuration.claimIdle.wholeMilliseconds, owner: nil, on: connection)
        }
    }

    /// Takes back this consumer's own pending entries, shard by shard, and handles them;
    /// `counting` claims them anew (a delivery more), otherwise they are only read again.
    private func takeBack(on connection: RedisConnection, counting: Bool) throws -> Int {
        try streams.reduce(0) { taken, stream in try taken + takeBack(stream, on: connection, counting: counting) }
    }

    private func takeBack(_ stream: String, on connection: RedisConnection, counting: Bool) throws -> Int {
        if counting { return try claimAndHandle(stream, minimumIdle: 0, owner: configuration.name, on: connection) }
        let pending = try pendingEntries(stream, minimumIdle: 0, owner: configuration.name, on: connection)
        if pending.isEmpty { return 0 }
        let ids = pending.keys.sorted(by: IntakeRecord.precedes)
        // JUSTID claims without counting a delivery and resets the idle time, so the other
        // workers leave these entries alone while this one retries them.
        let refresh = RedisCommand("XCLAIM", arguments: [stream, keys.consumerGroup, configuration.name, "0"] + ids + ["JUSTID"])
        let entries = Array(try connection.pipeline([refresh] + ids.map { RedisCommand("XRANGE", stream, $0, $0) }).dropFirst())
        // An entry deleted from the stream meanwhile reads as empty and is simply acknowledged.
        let records = zip(ids, entries).map { id, reply in
            IntakeRecord.records(fromEntries: reply, in: stream).first ?? IntakeRecord(stream: stream, id: id, fields: [])
        }
        try handle(records, on: connection)
        return records.count
    }

    /// Pending entries of `stream` idle for at least `minimumIdle` ms (of `owner` only, if
    /// given): id → deliveries so far.
    private func pendingEntries(_ stream: String, minimumIdle: Int, owner: String?, on connection: RedisConnection) throws -> [String: Int] {
        var query = RedisCommand("XPENDING", stream, keys.consumerGroup, "IDLE", minimumIdle, "-", "+", configuration.batchSize)
        if let owner { query.append(owner) }
        let pending = try connection.sendReturningErrors(query)
        if let error = pending.serverError {
            // Redis restarted without its data: the group is gone, and so is what was pending.
            guard error.code == "NOGROUP" else { throw error }
            logger.warning("intake consumer group missing; creating it", metadata: ["streams": streams.joined(separator: ",")])
            try ensureGroups(on: connection)
            return [:]
        }
        var deliveries: [String: Int] = [:]
        for item in pending.array ?? [] {  // [id, consumer, idle ms, deliveries]
            guard let parts = item.array, parts.count == 4, let id = parts[0].string, let count = parts[3].int else { continue }
            deliveries[id] = count
        }
        return deliveries
    }

    private func claimAndHandle(_ stream: String, minimumIdle: Int, owner: String?, on connection: RedisConnection) throws -> Int {
        let deliveries = try pendingEntries(stream, minimumIdle: minimumIdle, owner: owner, on: connection)
        if deliveries.isEmpty { return 0 }
        let claim = RedisCommand("XCLAIM", arguments: [stream, keys.consumerGroup, configuration.name, String(minimumIdle)]
                                 + deliveries.keys.sorted(by: IntakeRecord.precedes))
        let claimed = try connection.send(claim)
        // Entries deleted from the stream meanwhile are not returned and leave the pending list.
        let records = IntakeRecord.records(fromEntries: claimed, in: stream)
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
            case .success(let entry):
                if let misplaced = misplacement(of: record, workspace: entry.workspace) {
                    followUp += deadLetter(record, error: misplaced)
                    counts[Count(op: entry.command.op, outcome: "wrong_shard"), default: 0] += 1
                } else {
                    calls.append((record, entry, applier.call(for: entry, entryID: record.id)))
                }
            case .failure(let rejection):
                followUp += deadLetter(record, error: rejection.message)
                counts[Count(op: Self.op(of: record), outcome: "invalid"), default: 0] += 1
            }
        }

        let replies = try connection.callPipelined(calls.map { ($0.call.function, $0.call.command) })
        // Sweep and widget schedules, merged per workspace for the whole batch.
        var schedule = Schedules()
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
            let workspace = item.entry.workspace.rawValue
            if let earliest = outcome.earliestExpiry { schedule.sweep(workspace, at: earliest) }
            if outcome.widgetSchedule { schedule.widgets.insert(workspace) }
            if item.entry.wantsReply, let json = outcome.json { followUp += replyCommands(to: item.record, json: json) }
        }
        let deadLetters = followUp.filter { $0.name == "XADD" }.count
        followUp += schedule.commands(keys: keys, shards: configuration.intakeShards, widgetClockMilliseconds: configuration.widgetClockMilliseconds)

        // Acknowledge only once every dead letter is written: an entry must end applied or
        // dead-lettered, never neither. Without dead letters the follow-ups ride in the
        // acknowledging round trip.
        func check(_ commands: [RedisCommand], _ replies: [RedisValue]) throws {
            for (command, reply) in zip(commands, replies) {
                guard let error = reply.serverError else { continue }
                if command.name == "XADD" || command.name == "XACK" { throw error }
                logger.error("follow-up command failed", metadata: ["command": command.name, "error": error.message])
            }
        }
        var last = acknowledgements(of: records)
        if configuration.waitReplicas > 0 {
            // Durability asked for: the batch's effects reach the replicas before its entries
            // are acknowledged, and before a sender is told the outcome. Only the replies
            // (RPUSH, PEXPIRE) wait for the acknowledgement; the writes go first.
            let isReply = { (command: RedisCommand) in command.name == "RPUSH" || command.name == "PEXPIRE" }
            let writes = followUp.filter { !isReply($0) }
            if !writes.isEmpty { try check(writes, try connection.pipeline(writes)) }
            try awaitReplicas(holding: records.count, on: connection)
            last = followUp.filter(isReply) + last
        } else if deadLetters > 0 {
            try check(followUp, try connection.pipeline(followUp))
        } else {
            last = followUp + last
        }
        try check(last, try connection.pipeline(last))

        // Counted once acknowledged: a batch retried after a failure is not counted twice.
        handled += records.count
        metrics.assignments.increment(by: Double(assignments))
        metrics.deadLetters.increment(by: Double(deadLetters))
        for (count, number) in counts { metrics.entries.increment(by: Double(number), labels: ["op": count.op, "outcome": count.outcome]) }
        let now = Date().timeIntervalSince1970
        for record in records {
            guard let written = record.id.split(separator: "-").first.flatMap({ Double($0) }) else { continue }
            metrics.latency.observe(max(0, now - written / 1000))
        }
        metrics.batches.observe(ContinuousClock.now - started)
    }

    private struct Count: Hashable { let op: String; let outcome: String }

    /// `WAIT` until `--wait-replicas` replicas (of every primary written to) hold what this
    /// connection wrote; fewer within `--wait-timeout` fails the batch, which then stays
    /// pending and is applied again (stale, with no second effect) until they do.
    private func awaitReplicas(holding entries: Int, on connection: RedisConnection) throws {
        let wanted = configuration.waitReplicas
        let confirmed = try connection.waitForReplicas(wanted, timeout: configuration.waitTimeout)
        guard confirmed < wanted else { return }
        metrics.replicaShortfalls.increment()
        throw ReplicaShortfall(confirmed: confirmed, wanted: wanted, timeout: configuration.waitTimeout, entries: entries)
    }

    /// What a batch asks of the schedules: each workspace once, with its earliest expiry.
    private struct Schedules {
        /// Workspace → the earliest session expiry its entries reported (ms).
        var sweeps: [String: Int64] = [:]
        /// Workspaces whose business hours must be computed, due now.
        var widgets: Set<String> = []

        mutating func sweep(_ workspace: String, at earliest: Int64) {
            sweeps[workspace] = min(earliest, sweeps[workspace] ?? earliest)
        }

        /// `SADD` of the workspaces to the set the safety sweep reads, `ZADD LT` of the sweep
        /// schedule, `ZADD` of the widget schedule: at most one of each per intake shard per
        /// batch, each to the schedules of the workspaces' shard.
        func commands(keys: KeySchema, shards: Int, widgetClockMilliseconds: Int) -> [RedisCommand] {
            if sweeps.isEmpty && widgets.isEmpty { return [] }
            let known = Set(sweeps.keys).union(widgets).sorted()
            let byShard = Dictionary(grouping: known) { keys.schedules(forWorkspace: $0, shards: shards) }
            return byShard.sorted { $0.key.sweep < $1.key.sweep }.flatMap { schedules, workspaces in
                var commands = [RedisCommand("SADD", arguments: [schedules.workspaces] + workspaces)]
                let sweeping = workspaces.flatMap { workspace in
                    sweeps[workspace].map { [Int($0), workspace] as [any RedisArgumentConvertible] } ?? []
                }
                if !sweeping.isEmpty { commands.append(RedisCommand("ZADD", arguments: [schedules.sweep, "LT"] + sweeping)) }
                let computing = workspaces.filter(widgets.contains)
                if !computing.isEmpty {
                    // Due now, in the clock the scheduler compares with.
                    commands.append(RedisCommand("ZADD", arguments: [schedules.widgets]
                        + computing.flatMap { [widgetClockMilliseconds, $0] as [any RedisArgumentConvertible] }))
                }
                return commands
            }
        }
    }

    /// `XACK` and `XDEL` of the records, in each one's own stream.
    private func acknowledgements(of records: [IntakeRecord]) -> [RedisCommand] {
        let streamsHeld = streams.filter { stream in records.contains { $0.stream == stream } }
        return streamsHeld.flatMap { stream in
            let ids = records.filter { $0.stream == stream }.map(\.id)
            return [RedisCommand("XACK", arguments: [stream, keys.consumerGroup] + ids), RedisCommand("XDEL", arguments: [stream] + ids)]
        }
    }

    /// Why an entry read from the wrong shard is refused (nil when it is in its workspace's
    /// stream): with several shards, a workspace's entries are applied in order only if all
    /// of them are in one stream.
    private func misplacement(of record: IntakeRecord, workspace: Identifier) -> String? {
        let count = configuration.intakeShards
        let expected = keys.intake(forWorkspace: workspace.rawValue, shards: count)
        guard record.stream != expected else { return nil }
        return "This entry's workspace '\(workspace.rawValue)' belongs on the intake stream \(expected), not on \(record.stream): "
            + "the intake has \(count) shards and a workspace's entries go to shard crc32(workspace) mod \(count). It was applied nowhere; "
            + "write it to \(expected) (switchboard intake-key --workspace \(workspace.rawValue) prints the key)."
    }

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

    /// Errors after which the same function call would succeed later.
    static func isTransient(_ error: RedisServerError) -> Bool {
        // An ACL refusal inside a function arrives as a plain ERR ("The user executing the
        // script can't run this command…" in Redis 7.0, NOPERM in later ones): a missing
        // permission is fixed by an operator, after which the entry applies; never dead-letter it.
        // A function still missing after callPipelined loaded its library (FUNCTION FLUSH or
        // DELETE between the load and the re-send) is loaded again on the next try.
        ["OOM", "BUSY", "LOADING", "MASTERDOWN", "READONLY", "NOREPLICAS", "TRYAGAIN", "CLUSTERDOWN", "MISCONF", "NOPERM"].contains(error.code)
            || error.message.contains("NOPERM") || error.message.contains("The user executing the script can't")
            || error.isMissingFunction
    }

    /// `XADD sb:dead` (`sb:dead:<n>` for an entry of shard `sb:intake:<n>`) of the original
    /// fields plus the error, this worker and the entry id.
    private func deadLetter(_ record: IntakeRecord, error: String, outcome: String? = nil) -> [RedisCommand] {
        logger.notice("intake entry dead-lettered", metadata: ["entry": record.id, "error": error])
        var command = RedisCommand("XADD", keys.deadLetters(stream: record.stream), "MAXLEN", "~", configuration.deadLettersCap, "*")
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
            commands += replyCommands(to: record, json: json)
        }
        return commands
    }

    /// Pushes an outcome to `sb:reply:<entry id>` (`sb:reply:<shard>:<entry id>` for an entry of
    /// a shard) for a sender waiting on it (kept 60 s).
    private func replyCommands(to record: IntakeRecord, json: String) -> [RedisCommand] {
        let key = keys.reply(entryID: record.id, stream: record.stream)
        let withEntry = "{\"entry\":\"\(record.id)\"," + json.dropFirst()
        return [RedisCommand("RPUSH", key, withEntry), RedisCommand("PEXPIRE", key, 60_000)]
    }
}

/// Fewer replicas than `--wait-replicas` confirmed a batch's writes in time: its entries are
/// not acknowledged, so a failover now could not lose what the worker would have confirmed.
struct ReplicaShortfall: Error, CustomStringConvertible {
    let confirmed: Int
    let wanted: Int
    let timeout: Duration
    let entries: Int

    var description: String {
        "Only \(confirmed) of the \(wanted) replicas asked for (--wait-replicas) confirmed a batch's writes within \(timeout.shortDescription) (WAIT); "
            + "its \(entries) entr\(entries == 1 ? "y stays" : "ies stay") pending and \(entries == 1 ? "is" : "are") applied again until they do. "
            + "Check the replicas (redis-cli INFO replication on the primary: connected_slaves, lag), or lower --wait-replicas."
    }
}
