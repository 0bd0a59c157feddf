// The gateway's intake writes (clients' actions, and the sessions of open streams), on one
// Redis thread of their own, in the order they were asked for: a stream's login is
// written before its heartbeats and its logout.
import Logging
import Redis
import Switchboard

/// Writes intake entries for the gateway.
final class IntakeWriter: Sendable {
    private let thread: RedisThread
    private let keys: KeySchema
    private let shards: Int
    private let failures: FailureLog
    private let onLoop: @Sendable (@escaping @Sendable () -> Void) -> Void

    init(thread: RedisThread, keys: KeySchema, shards: Int, logger: Logger,
         onLoop: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void) {
        self.thread = thread
        self.keys = keys
        self.shards = shards
        failures = FailureLog("gateway session writes (login, heartbeat, logout)", logger: logger)
        self.onLoop = onLoop
    }

    /// Writes one entry; `done` gets its entry id, or the error, on the loop.
    func submit(_ entry: IntakeEntry, then done: @escaping (Result<String, any Error>) -> Void) {
        let done = LoopBound(done), keys = self.keys, shards = self.shards, onLoop = self.onLoop
        thread.run { connection in
            let result = Result { try IntakeClient(connection: connection, keys: keys, shards: shards).submit(entry) }
            onLoop { done.value(result) }
        }
    }

    /// Writes entries nobody waits for (logins, heartbeats, logouts) in one round trip; a
    /// failure is logged once per outage (a session whose login was lost is opened by its
    /// next heartbeat).
    func submit(_ entries: [IntakeEntry]) {
        guard !entries.isEmpty else { return }
        let keys = self.keys, shards = self.shards, failures = self.failures
        thread.run { connection in
            let client = IntakeClient(connection: connection, keys: keys, shards: shards)
            let commands = entries.map(client.command(for:))
            do {
                let replies = try connection.pipeline(commands)
                failures.record(replies.first(where: { $0.serverError != nil })?.serverError)
            } catch {
                failures.record(error)
            }
        }
    }
}
