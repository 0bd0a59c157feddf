// What an operator sees of the deployment itself: workers, dead letters and a workspace's
// keys, read straight from Redis (docs/keys.md). The workspace itself: WorkspaceSnapshotReader.
import Foundation
import Redis
import Switchboard

/// A worker known to the intake group or by its heartbeat.
struct WorkerSnapshot: Codable, Equatable {
    var name: String
    /// `alive` while its heartbeat key lives, else `gone`.
    var state: String
    var host: String?
    var pid: Int?
    var version: String?
    /// Where it serves `/healthz`, `/readyz` and `/metrics` (`host:port`), or `off`.
    var http: String?
    /// Times in ms since 1970.
    var startedAt: Int64?
    var lastSeen: Int64?
    /// Entries it acknowledged and claimed from others since it started.
    var handled: Int?
    var reclaimed: Int?
    /// Entries delivered to it and not yet acknowledged (claimed by others after the claim idle time).
    var pending: Int
    /// Milliseconds since it last read from the intake.
    var idleMilliseconds: Int?
}

/// A rejected intake entry from the dead letter stream.
struct DeadLetter: Codable, Equatable {
    var id: String
    var entry: String?
    var worker: String?
    var error: String
    /// The original fields, as text (invalid UTF-8 shown with replacement characters).
    var fields: [String: String]
}

/// One key of a workspace with a `redis-cli` line that reads it.
struct KeyDescription: Codable, Equatable {
    var key: String
    var type: String
    var read: String
}

struct OperationsReader {
    let connection: RedisConnection
    let keys: KeySchema

    func workers() throws -> [WorkerSnapshot] {
        let known = try connection.send(RedisCommand("ZRANGE", keys.workers, 0, -1)).array?.compactMap(\.string) ?? []
        // A consumer per intake stream: its pending entries are added up, its idle time is
        // that of the stream it read last. A stream without the group yet (no worker) has none.
        let consumerReplies = try connection.pipeline(try intakeStreams().map { RedisCommand("XINFO", "CONSUMERS", $0, keys.consumerGroup) })
        var consumers: [String: (pending: Int, idle: Int)] = [:]
        for consumer in consumerReplies.flatMap({ $0.array ?? [] }) {
            let fields = Self.pairs(consumer)
            guard let name = fields["name"]?.string else { continue }
            let pending = fields["pending"]?.int ?? 0, idle = fields["idle"]?.int ?? 0
            let earlier = consumers[name]
            consumers[name] = ((earlier?.pending ?? 0) + pending, min(earlier?.idle ?? idle, idle))
        }
        let names = Array(Set(known).union(consumers.keys)).sorted()
        let hashes = try connection.pipeline(names.map { RedisCommand("HGETALL", keys.worker($0)) })
        return zip(names, hashes).map { name, hash in
            let fields = hash.stringPairs ?? [:]
            return WorkerSnapshot(name: name, state: fields.isEmpty ? "gone" : "alive", host: fields["host"], pid: fields["pid"].flatMap { Int($0) },
                                  version: fields["version"], http: fields["http"], startedAt: fields["started_at"].flatMap { Int64($0) },
                                  lastSeen: fields["last_seen"].flatMap { Int64($0) }, handled: fields["handled"].flatMap { Int($0) },
                                  reclaimed: fields["reclaimed"].flatMap { Int($0) }, pending: consumers[name]?.pending ?? 0,
                                  idleMilliseconds: consumers[name]?.idle)
        }
    }

    /// The newest `limit` dead letters over every dead-letter stream (one per intake shard),
    /// newest first, and how many there are in all.
    func deadLetters(limit: Int) throws -> (letters: [DeadLetter], total: Int) {
        let streams = keys.deadLetterStreams(shards: try IntakeShardCount.recorded(keys: keys, on: connection))
        let replies = try connection.pipeline(streams.flatMap {
            [RedisCommand("XREVRANGE", $0, "+", "-", "COUNT", limit), RedisCommand("XLEN", $0)]
        }).map { try $0.orThrow() }
        let items = stride(from: 0, to: replies.count, by: 2).flatMap { replies[$0].array ?? [] }
        let letters = items.compactMap { item -> DeadLetter? in
            guard let parts = item.array, parts.count == 2, let id = parts[0].string else { return nil }
            var fields = Self.pairs(parts[1]).mapValues { String(decoding: $0.bytes ?? [], as: UTF8.self) }
            let error = fields.removeValue(forKey: "error") ?? ""
            let worker = fields.removeValue(forKey: "worker")
            let entry = fields.removeValue(forKey: "entry")
            return DeadLetter(id: id, entry: entry, worker: worker, error: error, fields: fields)
        }
        let total = stride(from: 1, to: replies.count, by: 2).reduce(0) { $0 + (replies[$1].int ?? 0) }
        return (Array(letters.sorted { Self.streamID($0.id) > Self.streamID($1.id) }.prefix(limit)), total)
    }

    /// A stream entry id `ms-seq` as a pair that orders as the ids do.
    private static func streamID(_ id: String) -> (UInt64, UInt64) {
        let halves = id.split(separator: "-", maxSplits: 1)
        return (UInt64(halves.first ?? "") ?? 0, halves.count > 1 ? UInt64(halves[1]) ?? 0 : 0)
    }

    /// Every key of the workspace, then every key of the deployment outside the workspaces:
    /// the fixed global keys, each worker's heartbeat hash and the reply lists not yet read.
    /// Found with SCAN, so safe on a busy server; `limit` caps the workspace's keys and,
    /// separately, the worker and reply keys.
    func keys(of workspace: Identifier, limit: Int) throws -> [KeyDescription] {
        let own = try scan(matching: Self.escapeGlob(keys.workspace(workspace).base) + "*", limit: limit)
        let shards = try IntakeShardCount.recorded(keys: keys, on: connection)
        let schedules = keys.schedules(shards: shards).flatMap { [$0.sweep, $0.workspaces, $0.widgets] }
        let fixed = keys.intakeStreamsRead(shards: shards) + [keys.config] + keys.deadLetterStreams(shards: shards) + schedules
            + [keys.safetySweepLease, keys.workers]
        // Under the prefix but not `sb:{…}`: not a key of any workspace. Stop once enough are
        // found: unread reply lists can be many.
        let outside = Set(try scan(matching: Self.escapeGlob(keys.prefix + ":") + "[^{]*", limit: limit + fixed.count))
        let others = outside.subtracting(fixed).sorted().prefix(limit)
        let all = Array(Set(own).sorted().prefix(limit)) + fixed + others
        let types = try connection.pipeline(all.map { RedisCommand("TYPE", $0) }).map { $0.string ?? "none" }
        return zip(all, types).filter { $0.1 != "none" }.map { key, type in
            KeyDescription(key: key, type: type, read: "redis-cli " + Self.readCommand(type: type, key: key))
        }
    }

    /// The intake streams the workers read, for the shard count recorded in Redis.
    private func intakeStreams() throws -> [String] {
        keys.intakeStreamsRead(shards: try IntakeShardCount.recorded(keys: keys, on: connection))
    }

    /// The keys matching a SCAN pattern, stopping once `limit` are found. On a Redis Cluster
    /// each primary holds some of the keys and a SCAN cursor belongs to one primary: every
    /// primary is scanned to its end, each with its own cursor.
    private func scan(matching pattern: String, limit: Int) throws -> [String] {
        func page(_ reply: RedisValue) throws -> (cursor: String, keys: [String]) {
            let reply = try reply.orThrow()
            return (reply.array?.first?.string ?? "0", reply.array?.last?.array?.compactMap(\.string) ?? [])
        }
        let scan = { (cursor: String) in RedisCommand("SCAN", cursor, "MATCH", pattern, "COUNT", 1000) }
        var found: [String] = []
        for (node, first) in try connection.sendToEveryPrimary(scan("0")) where found.count < limit {
            var (cursor, keys) = try page(first)
            found += keys
            while cursor != "0" && found.count < limit {
                (cursor, keys) = try page(try connection.send(scan(cursor), toPrimary: node))
                found += keys
            }
        }
        return found
    }

    static func readCommand(type: String, key: String) -> String {
        let quoted = "'" + key.replacingOccurrences(of: "'", with: "'\\''") + "'"
        switch type {
        case "hash": return "HGETALL \(quoted)"
        case "zset": return "ZRANGE \(quoted) 0 -1 WITHSCORES"
        case "set": return "SMEMBERS \(quoted)"
        case "stream": return "XREVRANGE \(quoted) + - COUNT 10"
        case "list": return "LRANGE \(quoted) 0 -1"
        default: return "GET \(quoted)"
        }
    }

    /// A flat `[name, value, …]` reply as a dictionary of replies (``RedisValue/stringPairs`` when
    /// every value is text; this keeps integers and raw bytes).
    static func pairs(_ reply: RedisValue) -> [String: RedisValue] {
        let flat = reply.array ?? []
        var result: [String: RedisValue] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let name = flat[index].string { result[name] = flat[index + 1] }
            index += 2
        }
        return result
    }

    /// `sb:{acme}:` as a SCAN pattern: braces are not special, but `*?[]\` are.
    static func escapeGlob(_ text: String) -> String {
        text.reduce(into: "") { result, character in
            if "*?[]\\".contains(character) { result.append("\\") }
            result.append(character)
        }
    }
}
