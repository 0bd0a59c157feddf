// Reads the intake stream through the consumer group, applies each entry with its script,
// dead-letters what cannot be applied, then acknowledges and deletes what is done.
//
// Delivery contract: at least once. An entry is acknowledged only after its outcome is
// known (applied, stale, or dead-lettered); a worker that dies before that leaves it
// pending, and it is applied again later. Scripts order entries by their stream id
// (last writer wins), so applying an entry twice or late has the in-order effect.
import Foundation
import Logging
import Redis

/// One worker's reader of the intake stream.
final class IntakeConsumer {
    private let configuration: WorkerConfiguration
    private let applier: IntakeApplier
    private let logger: Logger
    /// Read this consumer's own pending entries (left by a failure or a previous run under
    /// the same name) before new ones.
    var recovering = true

    init(configuration: WorkerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
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
        let blockMilliseconds = configuration.readBlock.wholeMilliseconds
        let read = RedisCommand("XREADGROUP", "GROUP", keys.consumerGroup, configuration.name, "COUNT", configuration.batchSize,
                                "BLOCK", blockMilliseconds, "STREAMS", keys.intake, recovering ? "0" : ">")
        let reply = try connection.sendReturningErrors(read, timeout: configuration.readBlock + configuration.redis.commandTimeout)
        if let error = reply.serverError {
            guard error.code == "NOGROUP" else { throw error }
            logger.warning("intake consumer group missing; creating it", metadata: ["stream": keys.intake])
            try ensureGroup(on: connection)
            return 0
        }
        let records = IntakeRecord.records(from: reply)
        if records.isEmpty {
            recovering = false
            return 0
        }
        try handle(records, on: connection)
        return records.count
    }

    private func handle(_ records: [IntakeRecord], on connection: RedisConnection) throws {
        var calls: [(record: IntakeRecord, entry: IntakeEntry, call: WorkspaceScriptCall)] = []
        var followUp: [RedisCommand] = []
        for record in records where !record.fields.isEmpty {
            switch IntakeParser.parse(record.fields) {
            case .success(let entry): calls.append((record, entry, applier.call(for: entry, entryID: record.id)))
            case .failure(let rejection): followUp += deadLetter(record, error: rejection.message)
            }
        }

        let replies = try connection.evaluatePipelined(calls.map { ($0.call.script, $0.call.command) })
        for (item, reply) in zip(calls, replies) {
            if let error = reply.serverError {
                // Redis cannot run scripts right now (out of memory, loading, a read-only
                // replica…): keep the whole batch pending and read it again after a pause;
                // what did run is then stale and has no second effect.
                if Self.isTransient(error) { throw error }
                followUp += deadLetter(item.record, error: "Applying the entry failed inside Redis: \(error.message).")
                continue
            }
            let outcome: ScriptOutcome
            do {
                outcome = try ScriptOutcome(reply: reply)
            } catch {
                followUp += deadLetter(item.record, error: "Applying the entry failed inside Redis: \(error).")
                continue
            }
            if outcome.kind == .rejected {
                followUp += deadLetter(item.record, error: outcome.error ?? "The entry was rejected.", outcome: outcome.json)
                continue
            }
            if let earliest = outcome.earliestExpiry {
                followUp.append(RedisCommand("SADD", keys.workspaces, item.entry.workspace.rawValue))
                followUp.append(RedisCommand("ZADD", keys.sweepSchedule, "LT", Int(earliest), item.entry.workspace.rawValue))
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
    }

    /// Errors after which the same script call would succeed later.
    static func isTransient(_ error: RedisServerError) -> Bool {
        ["OOM", "BUSY", "LOADING", "MASTERDOWN", "READONLY", "NOREPLICAS", "TRYAGAIN", "CLUSTERDOWN", "MISCONF", "NOSCRIPT"].contains(error.code)
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
