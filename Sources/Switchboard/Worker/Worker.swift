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
        connection.interruptWait = { [self] in stopRequested.load(ordering: .relaxed) }
        var lastSweep: ContinuousClock.Instant?
        var lastSafetySweep: ContinuousClock.Instant?
        var ready = false
        var lastFailure: String?

        /// Logs a failure once (not once per retry), and waits so that nothing spins.
        func failed(_ error: any Error, during task: String) {
            // A broken link needs the setup again; a server refusing work does not.
            if error is RedisClientError { ready = false }
            let text = "\(task): \(error)"
            if text != lastFailure {
                logger.error("redis failed; retrying", metadata: ["task": task, "error": "\(error)"])
                lastFailure = text
            }
            // Client errors wait out the connection's backoff on the next attempt; a server
            // refusing work (OOM, LOADING, READONLY, an ACL error) must not spin either.
            if error is RedisServerError { pause(.milliseconds(250)) }
        }

        logger.info("worker started", metadata: ["redis": redis.description, "stream": configuration.keys.intake,
                                                 "session_ttl": "\(configuration.sessionTTL)"])
        while !stopRequested.load(ordering: .relaxed) {
            do {
                if !ready {
                    try consumer.ensureGroup(on: connection)
                    consumer.recovering = true
                    ready = true
                }
                _ = try consumer.runOnce(on: connection)
                if lastFailure != nil {
                    logger.notice("redis working again; resuming")
                    lastFailure = nil
                }
            } catch {
                consumer.recovering = true  // re-read what this worker holds unacknowledged
                failed(error, during: "intake")
                continue
            }
            // Sweeps fail on their own: a broken sweep must not stop the intake.
            if lastSweep.map({ clock.now - $0 >= sweepInterval }) ?? true {
                lastSweep = clock.now
                do { _ = try sweeper.sweep(on: connection) } catch { failed(error, during: "session sweep") }
            }
            if lastSafetySweep.map({ clock.now - $0 >= configuration.safetySweepInterval }) ?? true {
                lastSafetySweep = clock.now
                do {
                    _ = try sweeper.safetySweep(on: connection, interval: configuration.safetySweepInterval)
                } catch {
                    failed(error, during: "safety sweep")
                }
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
