// Reading the intake on a Redis Cluster. One XREADGROUP may only name streams of one hash
// slot (else CROSSSLOT), and every intake shard is a slot of its own, so one blocking read
// can no longer wait on every shard. Polling each shard in turn would either spin or leave
// entries of one shard waiting while the worker blocks on another. Instead each slot group
// gets a reader thread with a connection of its own, blocked in its XREADGROUP (so an idle
// worker sleeps in the kernel), which hands what it read to the worker's loop; the loop applies
// it on its own connection as before. A reader reads again only once the loop has taken its
// last batch, so at most one batch per slot group waits in memory, and the loop's batch stays
// within --batch-size as with one read.
import Foundation
import Redis

/// The reader threads of one worker, one per group of intake streams that one `XREADGROUP`
/// may take together.
final class IntakeReaders: Sendable {
    /// What one read gave: entries, or why it failed (the loop decides what to do).
    enum Delivery: Sendable {
        case records([IntakeRecord])
        case failure(any Error)
    }

    private let state = NSCondition()
    // Guarded by `state`: written and read only while `state` is locked.
    nonisolated(unsafe) private var delivered: [(reader: Int, delivery: Delivery)] = []
    nonisolated(unsafe) private var stopping = false
    nonisolated(unsafe) private var paused = false
    nonisolated(unsafe) private var running = 0

    /// Starts one reader per group of `groups` (each a list of streams one command may read).
    init(groups: [[String]], configuration: WorkerConfiguration) {
        let total = groups.reduce(0) { $0 + $1.count }
        for (index, streams) in groups.enumerated() {
            // COUNT applies to each stream: the readers' batches together stay within --batch-size.
            let perStream = max(1, (configuration.batchSize + total - 1) / total)
            let command = RedisCommand("XREADGROUP", arguments: ["GROUP", configuration.keys.consumerGroup, configuration.name, "COUNT", String(perStream),
                                                              "BLOCK", String(configuration.readBlock.wholeMilliseconds), "STREAMS"]
                                    + streams + Array(repeating: ">", count: streams.count))
            var named = configuration.redis
            named.clientName = "switchboard-worker-\(configuration.name)-reader-\(index)"
            let redis = named
            running += 1
            let thread = Thread { [self] in
                read(command, index: index, redis: redis, timeout: configuration.readBlock + configuration.redis.commandTimeout)
            }
            thread.name = "intake-reader-\(index)"
            thread.start()
        }
    }

    /// Waits up to `timeout` for deliveries and takes every one there is; their readers read again.
    func take(waitingUpTo timeout: Duration) -> [Delivery] {
        state.lock()
        defer { state.unlock() }
        let deadline = Date().addingTimeInterval(timeout.fractionalSeconds)
        while delivered.isEmpty && !stopping && state.wait(until: deadline) {}
        let taken = delivered.map(\.delivery)
        delivered.removeAll()
        state.broadcast()
        return taken
    }

    /// Stops new reads (a read in hand still completes) and drops what was delivered: while
    /// the loop takes back the entries pending with this worker, reading on would only pull
    /// new entries into that pending list, so that the taking back never ends under load.
    func pause() {
        state.lock()
        paused = true
        delivered.removeAll()
        state.broadcast()
        state.unlock()
    }

    /// Reads again after ``pause()``. What a read in hand delivered during the pause is
    /// dropped: it is pending with this worker, so it was taken back with the rest, or is
    /// claimed again once idle for --claim-idle; handling it too would apply it twice.
    func resume() {
        state.lock()
        paused = false
        delivered.removeAll()
        state.broadcast()
        state.unlock()
    }

    /// Stops the readers and waits until each has returned from its read in hand (within a
    /// read's block time); what they delivered meanwhile is still there to take.
    func stop() {
        state.lock()
        stopping = true
        state.broadcast()
        while running > 0 { state.wait() }
        state.unlock()
    }

    private var isStopping: Bool {
        state.lock()
        defer { state.unlock() }
        return stopping
    }

    /// A reader's life: read, hand over, wait until taken, read again.
    private func read(_ command: RedisCommand, index: Int, redis: RedisConfiguration, timeout: Duration) {
        let connection = RedisConnection(configuration: redis)
        connection.interruptWait = { [self] in isStopping }
        while !isStopping {
            state.lock()
            while paused && !stopping { state.wait() }
            state.unlock()
            guard !isStopping else { break }
            let delivery: Delivery?
            do {
                let reply = try connection.sendReturningErrors(command, timeout: timeout)
                if let error = reply.serverError {
                    delivery = .failure(error)
                } else {
                    let records = IntakeRecord.records(from: reply)
                    delivery = records.isEmpty ? nil : .records(records)
                }
            } catch {
                delivery = .failure(error)
            }
            guard let delivery else { continue }
            state.lock()
            delivered.append((index, delivery))
            state.broadcast()
            // Until the loop has taken it (or dropped it): one batch per reader at most.
            while !stopping && delivered.contains(where: { $0.reader == index }) { state.wait() }
            state.unlock()
        }
        connection.close()
        state.lock()
        running -= 1
        state.broadcast()
        state.unlock()
    }
}
