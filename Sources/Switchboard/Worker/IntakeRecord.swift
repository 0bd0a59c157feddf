// An entry read from the intake stream, as raw bytes.
import Redis

/// One intake stream entry: the stream (shard) it was read from, its id and fields exactly as stored.
struct IntakeRecord {
    /// The intake stream the entry is in: acknowledged there, and checked against its workspace's shard.
    let stream: String
    let id: String
    /// Empty when the entry was deleted from the stream after being delivered.
    let fields: [(name: [UInt8], value: [UInt8])]

    /// Whether stream id `a` ("ms-seq") comes before `b`.
    static func precedes(_ a: String, _ b: String) -> Bool {
        func parts(_ id: String) -> (UInt64, UInt64) {
            let halves = id.split(separator: "-", maxSplits: 1)
            return (UInt64(halves.first ?? "") ?? 0, halves.count > 1 ? UInt64(halves[1]) ?? 0 : 0)
        }
        return parts(a) < parts(b)
    }

    /// Reads the entries of an `XREADGROUP` reply (`[[stream, [[id, [f, v, …]], …]], …]`), stream by stream.
    static func records(from reply: RedisValue) -> [IntakeRecord] {
        (reply.array ?? []).flatMap { item -> [IntakeRecord] in
            guard let parts = item.array, let stream = parts.first?.string, let entries = parts.last else { return [] }
            return records(fromEntries: entries, in: stream)
        }
    }

    /// Reads a list of entries of `stream` (`[[id, [f, v, …]], …]`), as `XCLAIM` returns them.
    static func records(fromEntries reply: RedisValue, in stream: String) -> [IntakeRecord] {
        var records: [IntakeRecord] = []
        for entry in reply.array ?? [] {
            guard let parts = entry.array, let id = parts.first?.string else { continue }
            var fields: [(name: [UInt8], value: [UInt8])] = []
            if parts.count > 1, let flat = parts[1].array {
                var index = 0
                while index + 1 < flat.count {
                    fields.append((flat[index].bytes ?? [], flat[index + 1].bytes ?? []))
                    index += 2
                }
            }
            records.append(IntakeRecord(stream: stream, id: id, fields: fields))
        }
        return records
    }
}
