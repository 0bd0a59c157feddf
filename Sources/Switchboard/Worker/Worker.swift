// A Switchboard worker: one loop that applies intake entries and sweeps expired sessions.
//
// Responsibilities: own one Redis connection (named in CLIENT LIST), keep the consumer
// group present, alternate intake batches and sweeps, survive Redis outages without
// spinning, and stop between batches when asked.
import Glibc
import Logging
import Redis
import Synchronization

/// A worker process's main loop. `run()` blocks the calling thread (use a thread of its
/// own, or the process's main thread) until `stop()` is called from anywhere.
public final class Worker: Sendable {
    /// The worker's settings.
    public let configuration: WorkerConfiguration
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    /// The longest time between two sweeps for expired sessions.
    private let sweepInterval: Duration = .milliseconds(250)

    /// Creates a worker.
    public init(configuration: WorkerConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "worker"] = configuration.name
        self.logger = logger
    }

    /// Asks the loop to stop after the batch in hand; `run()` then returns.
    public func stop() { stopRequested.store(true, ordering: .relaxed) }

    /// Runs until `stop()`; blocking.
    public func run() {
        var redis = configuration.redis
        redis.clientName = "switchboard-worker-\(configuration.name)"
        let connection = RedisConnection(configuration: redis)
        let consumer = IntakeConsumer(configuration: configuration, logger: logger)
        let sweeper = SessionSweeper(configuration: configuration, logger: logger)
        let clock = ContinuousClock()
        var lastSweep: ContinuousClock.Instant?
        var lastSafetySweep: ContinuousClock.Instant?
        var ready = false
        var lastFailure: String?
        logger.info("worker started", metadata: ["redis": redis.description, "stream": configuration.keys.intake,
                                                 "session_ttl": "\(configuration.sessionTTL)"])
        while !stopRequested.load(ordering: .relaxed) {
            do {
                if !ready {
                    try consumer.ensureGroup(on: connection)
                    consumer.recovering = true
                    ready = true
                    if lastFailure != nil { logger.notice("redis reachable again; resuming") }
                    lastFailure = nil
                }
                _ = try consumer.runOnce(on: connection)
                if lastSweep.map({ clock.now - $0 >= sweepInterval }) ?? true {
                    _ = try sweeper.sweep(on: connection)
                    lastSweep = clock.now
                }
                if lastSafetySweep.map({ clock.now - $0 >= configuration.safetySweepInterval }) ?? true {
                    lastSafetySweep = clock.now
                    _ = try sweeper.safetySweep(on: connection, interval: configuration.safetySweepInterval)
                }
            } catch {
                ready = false
                let text = "\(error)"
                if text != lastFailure {
                    logger.error("redis failed; retrying with backoff", metadata: ["error": text])
                    lastFailure = text
                }
                // Client errors wait out the connection's backoff on the next attempt; a
                // server refusing work (LOADING, READONLY, an ACL error) must not spin either.
                if error is RedisServerError { pause(.milliseconds(250)) }
            }
        }
        connection.close()
        logger.info("worker stopped")
    }

    private func pause(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end, !stopRequested.load(ordering: .relaxed) {
            usleep(20_000)
        }
    }
}
