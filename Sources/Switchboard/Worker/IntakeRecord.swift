// An entry read from the intake stream, as raw bytes.
import Redis

/// One intake stream entry: its id and fields exactly as stored.
struct IntakeRecord {
    let id: String
    /// Empty when the entry was deleted from the stream after being delivered.
    let fields: [(name: [UInt8], value: [UInt8])]

    /// Reads the entries of an `XREADGROUP` reply (`[[stream, [[id, [f, v, …]], …]]]`).
    static func records(from reply: RedisValue) -> [IntakeRecord] {
        guard let streams = reply.array else { return [] }
        var records: [IntakeRecord] = []
        for stream in streams {
            guard let entries = stream.array?.last?.array else { continue }
            for entry in entries {
                guard let parts = entry.array, let id = parts.first?.string else { continue }
                var fields: [(name: [UInt8], value: [UInt8])] = []
                if parts.count > 1, let flat = parts[1].array {
                    var index = 0
                    while index + 1 < flat.count {
                        fields.append((flat[index].bytes ?? [], flat[index + 1].bytes ?? []))
                        index += 2
                    }
                }
                records.append(IntakeRecord(id: id, fields: fields))
            }
        }
        return records
    }
}
