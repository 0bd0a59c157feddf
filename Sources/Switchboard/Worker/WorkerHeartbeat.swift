// A worker's heartbeat: who is alive, for operators (`switchboard inspect workers`) and
// for the other workers.
import Foundation
import Redis

/// Writes `sb:worker:<name>` (a hash that expires unless refreshed) and the worker's entry
/// in `sb:workers` (name → last heartbeat in ms).
struct WorkerHeartbeat {
    let configuration: WorkerConfiguration
    let startedAt = Date()
    /// Three missed beats and the worker counts as gone.
    var lifetime: Duration { configuration.heartbeatInterval * 3 }

    /// Refreshes the heartbeat with the worker's counts so far.
    func beat(on connection: RedisConnection, counts: [(String, Int)]) throws {
        let now = Int(Date().timeIntervalSince1970 * 1000)
        let key = configuration.keys.worker(configuration.name)
        var fields: [any RedisArgumentConvertible] = [
            key, "name", configuration.name, "host", ProcessInfo.processInfo.hostName, "pid", Int(getpid()),
            "version", SwitchboardInfo.version, "started_at", Int(startedAt.timeIntervalSince1970 * 1000), "last_seen", now,
            "heartbeat_ms", configuration.heartbeatInterval.wholeMilliseconds, "http", configuration.httpAddress ?? "off",
            // Which function library it calls, so `switchboard functions prune` keeps it.
            "library", SwitchboardLibrary.library.name,
        ]
        for (name, value) in counts { fields += [name, value] }
        let replies = try connection.pipeline([
            RedisCommand("HSET", arguments: fields),
            RedisCommand("PEXPIRE", key, lifetime.wholeMilliseconds),
            RedisCommand("ZADD", configuration.keys.workers, now, configuration.name),
            RedisCommand("ZREMRANGEBYSCORE", configuration.keys.workers, "-inf", now - 86_400_000),
        ])
        if let error = replies.compactMap(\.serverError).first { throw error }
    }

    /// Says goodbye on a clean stop, so operators see the worker leave at once.
    func leave(on connection: RedisConnection) throws {
        _ = try connection.pipeline([
            RedisCommand("DEL", configuration.keys.worker(configuration.name)),
            RedisCommand("ZREM", configuration.keys.workers, configuration.name),
        ])
    }
}
