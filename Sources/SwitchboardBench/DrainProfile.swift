// Where the time of a drain goes: Redis commands per entry (INFO commandstats deltas),
// Redis's busy share, and the workers' CPU per entry (/proc/<pid>/stat), so a missed goal
// shows whether Redis or the worker is the limit.
import Foundation
import Redis

/// Redis's counters at one moment: a profile is the difference of two readings.
struct DrainReadings {
    /// Command → (calls, usec), from `INFO commandstats`.
    let commands: [String: (calls: Int, usec: Int)]
    /// Redis's main-thread CPU seconds (user + system), from `INFO cpu`.
    let redisCPU: Double

    static func read(_ connection: RedisConnection) throws -> DrainReadings {
        DrainReadings(commandstats: try connection.info("commandstats"), cpu: try connection.info("cpu"))
    }

    /// The readings of every primary (one on a single Redis), by node, from one
    /// `INFO cpu commandstats` each.
    static func readEveryPrimary(_ connection: RedisConnection) throws -> [String: DrainReadings] {
        var readings: [String: DrainReadings] = [:]
        for (node, reply) in try connection.sendToEveryPrimary(RedisCommand("INFO", "cpu", "commandstats")) {
            var fields: [String: String] = [:]
            for line in (try reply.orThrow().string ?? "").split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
            }
            readings[node] = DrainReadings(commandstats: fields, cpu: fields)
        }
        return readings
    }

    /// From the fields of `INFO commandstats` and `INFO cpu`.
    init(commandstats: [String: String], cpu: [String: String]) {
        var commands: [String: (calls: Int, usec: Int)] = [:]
        for (field, value) in commandstats where field.hasPrefix("cmdstat_") {
            let stats = Dictionary(value.split(separator: ",").compactMap { pair -> (String, String)? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
            commands[String(field.dropFirst("cmdstat_".count))] = (Int(stats["calls"] ?? "") ?? 0, Int(stats["usec"] ?? "") ?? 0)
        }
        // Redis 7 reports its main thread apart (background saves and I/O threads are not
        // the command work); older versions only the whole process.
        let user = Double(cpu["used_cpu_user_main_thread"] ?? cpu["used_cpu_user"] ?? "") ?? 0
        let system = Double(cpu["used_cpu_sys_main_thread"] ?? cpu["used_cpu_sys"] ?? "") ?? 0
        self.commands = commands
        redisCPU = user + system
    }
}

/// The profile of one drain, per intake entry (or of one yardstick, per call).
struct DrainProfile: Codable {
    struct Command: Codable {
        let command: String
        let callsPerEntry: Double
        let usecPerEntry: Double
    }

    let scenario: String
    /// What one unit of work is: an intake `entry`, or a yardstick's `call`.
    let per: String
    let entries: Int
    let seconds: Double
    /// Commands Redis ran during the drain (at least one per 200 entries), most time first.
    /// Their µs are Redis's own clock around each command, so they grow when another process
    /// takes Redis's core; the CPU figures below do not. Scripts (`evalsha`, `fcall`, …)
    /// include the time of the commands they call, which are also counted on their own.
    let commands: [Command]
    /// Redis's main-thread CPU time over the drain's wall time.
    let redisBusyShare: Double
    let redisCPUMicrosecondsPerEntry: Double
    /// The workers' user + system CPU time per entry (from their start to the drain's end);
    /// nil for a yardstick, which runs without workers.
    let workerCPUMicrosecondsPerEntry: Double?

    /// `polls` are the commands the benchmark itself sent while waiting (XLEN, XPENDING…):
    /// subtracted, so only the workers' commands remain.
    init(scenario: String, per: String = "entry", entries: Int, seconds: Double, before: DrainReadings, after: DrainReadings,
         polls: [String: Int], workerCPUSeconds: Double?) {
        self.scenario = scenario
        self.per = per
        self.entries = entries
        self.seconds = seconds
        let perEntry = 1 / Double(max(entries, 1))
        commands = after.commands.compactMap { name, stats -> Command? in
            let old = before.commands[name] ?? (0, 0)
            var calls = stats.calls - old.calls
            var usec = Double(stats.usec - old.usec)
            if let own = polls[name], calls > 0 {
                let kept = max(calls - own, 0)
                usec *= Double(kept) / Double(calls)
                calls = kept
            }
            // Startup and periodic commands (a handful per drain) would only lengthen the table.
            guard Double(calls) * perEntry >= 0.005 || usec * perEntry >= 0.005 else { return nil }
            return Command(command: name, callsPerEntry: Double(calls) * perEntry, usecPerEntry: usec * perEntry)
        }.sorted { $0.usecPerEntry > $1.usecPerEntry }
        let redisCPU = after.redisCPU - before.redisCPU
        redisBusyShare = seconds > 0 ? redisCPU / seconds : 0
        redisCPUMicrosecondsPerEntry = redisCPU * 1e6 * perEntry
        workerCPUMicrosecondsPerEntry = workerCPUSeconds.map { $0 * 1e6 * perEntry }
    }

    /// A Markdown section: the summary line, then a table of commands.
    var markdown: String {
        var lines = [
            "### Profile: \(scenario)",
            "",
            "\(entries) \(per == "entry" ? "entries" : per + "s") in " + String(format: "%.2f s. Redis busy %.0f %% of the time, %.1f µs of Redis CPU per ", seconds,
                                                                              redisBusyShare * 100, redisCPUMicrosecondsPerEntry) + per
                + (workerCPUMicrosecondsPerEntry.map { String(format: "; worker %.1f µs of CPU per ", $0) + per + "." } ?? "."),
            "",
            "| command (scripts' time includes the commands they call) | calls per \(per) | µs per \(per) |",
            "|---|---|---|",
        ]
        lines += commands.map { "| \($0.command) | " + String(format: "%.2f | %.2f |", $0.callsPerEntry, $0.usecPerEntry) }
        return lines.joined(separator: "\n")
    }
}
