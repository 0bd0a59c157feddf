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
    /// What it counts, for `/metrics`.
    public let metrics: WorkerMetrics
    /// Whether it is ready, for `/readyz`.
    public let health: WorkerHealth
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    private let refusal = Mutex<String?>(nil)
    /// Why the worker stopped by itself instead of working (its intake shard count differs
    /// from the one recorded in Redis), or nil. Set when `run()` returns.
    public var refused: String? { refusal.withLock { $0 } }
    /// The longest time between two sweeps for expired sessions.
    private let sweepInterval: Duration = .milliseconds(250)

    /// Creates a worker. `metrics` and `health` may be made first, for an HTTP endpoint that
    /// must be listening before the worker knows its address.
    public init(configuration: WorkerConfiguration, logger: Logger, metrics: WorkerMetrics = WorkerMetrics(),
                health: WorkerHealth = WorkerHealth()) {
        self.configuration = configuration
        self.metrics = metrics
        self.health = health
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
        let consumer = IntakeConsumer(configuration: configuration, logger: logger, metrics: metrics)
        let sweeper = SessionSweeper(configuration: configuration, logger: logger)
        let heartbeat = WorkerHeartbeat(configuration: configuration)
        let widgets = WidgetScheduler(configuration: configuration, logger: logger)
        connection.interruptWait = { [self] in stopRequested.load(ordering: .relaxed) }
        // Loaded by every new connection, also one reopened silently after an idle link broke,
        // before anything is applied: this release's code, whoever replaced it meanwhile.
        connection.librariesLoadedOnConnect = [SwitchboardLibrary.library]
        connection.onWaitingForServer = { [logger] error in
            logger.notice("redis not ready yet; waiting", metadata: ["reason": error.transientState?.reason ?? error.message,
                                                                     "up_to": redis.connectTimeout.shortDescription])
        }
        var ready = false
        var lastFailure: String?
        var connects = 0

        /// Logs a failure once (not once per retry), and waits so that nothing spins.
        func failed(_ error: any Error, during task: String) {
            // A broken link needs the setup again; a server refusing work does not.
            let linkLost = error is RedisClientError
            if linkLost { ready = false }
            // Readiness is about the intake; a failing periodic task is logged, not flapped.
            if linkLost || task == "intake" { health.failed("\(task): \(error)", linkLost: linkLost) }
            let text = "\(task): \(error)"
            if text != lastFailure {
                logger.error("redis failed; retrying", metadata: ["task": task, "error": "\(error)"])
                lastFailure = text
            }
            // Client errors wait out the connection's backoff on the next attempt; a server
            // refusing work (OOM, LOADING, READONLY, an ACL error) must not spin either.
            if !linkLost { pause(.milliseconds(250)) }
        }

        // Time-driven work any worker may do, each failing on its own: a broken sweep must
        // not stop the intake.
        var periodic = [
            PeriodicTask(name: "session sweep", interval: sweepInterval) { _ = try sweeper.sweep(on: connection) },
            PeriodicTask(name: "widget schedule", interval: sweepInterval) { _ = try widgets.run(on: connection) },
            PeriodicTask(name: "safety sweep", interval: configuration.safetySweepInterval) { [self] in
                _ = try sweeper.safetySweep(on: connection, interval: configuration.safetySweepInterval)
            },
            PeriodicTask(name: "reclaim", interval: max(.milliseconds(250), configuration.claimIdle / 2)) { [self] in
                while try consumer.reclaim(on: connection) >= configuration.batchSize, !stopRequested.load(ordering: .relaxed) {}
            },
            PeriodicTask(name: "heartbeat", interval: configuration.heartbeatInterval) { [self] in
                try heartbeat.beat(on: connection, counts: [("handled", consumer.handled), ("reclaimed", consumer.reclaimed)])
                metrics.pending.set(Double(try consumer.pendingCount(on: connection)))
            },
        ]

        logger.info("worker started", metadata: ["redis": redis.description, "streams": configuration.intakeStreams.joined(separator: ","),
                                                 "session_ttl": "\(configuration.sessionTTL)"])
        while !stopRequested.load(ordering: .relaxed) {
            do {
                if !ready {
                    // Its first command (re)connects, which loads the library: ready means loaded.
                    try consumer.ensureGroups(on: connection)
                    if consumer.recovery == nil { consumer.recovery = .retry }
                    ready = true
                    health.becameReady()
                    metrics.ready.set(1)
                }
                _ = try consumer.runOnce(on: connection)
                health.succeeded()
                if lastFailure != nil {
                    logger.notice("redis working again; resuming")
                    lastFailure = nil
                }
            } catch let mismatch as IntakeShardMismatch {
                // Reading the wrong set of streams would leave shards unread: stop, and say why.
                logger.error("intake shard count differs from the recorded one; stopping", metadata: ["reason": mismatch.description])
                refusal.withLock { $0 = mismatch.description }
                break
            } catch {
                // Take back what this worker holds unacknowledged before reading new entries.
                if consumer.recovery == nil { consumer.recovery = .retry }
                failed(error, during: "intake")
                metrics.ready.set(ready ? 1 : 0)
                continue
            }
            if connection.connectCount != connects {
                metrics.reconnects.increment(by: Double(connection.connectCount - connects))
                connects = connection.connectCount
            }
            for index in periodic.indices where periodic[index].isDue {
                do { try periodic[index].run() } catch { failed(error, during: periodic[index].name) }
            }
        }
        consumer.stop(on: connection)
        try? heartbeat.leave(on: connection)
        connection.close()
        logger.info("worker stopped", metadata: ["handled": "\(consumer.handled)"])
    }

    private func pause(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end, !stopRequested.load(ordering: .relaxed) {
            usleep(20_000)
        }
    }
}

/// Work the loop does every `interval`, between intake batches.
private struct PeriodicTask {
    let name: String
    let interval: Duration
    let work: () throws -> Void
    private var last: ContinuousClock.Instant?

    init(name: String, interval: Duration, work: @escaping () throws -> Void) {
        self.name = name
        self.interval = interval
        self.work = work
    }

    var isDue: Bool { last.map { ContinuousClock.now - $0 >= interval } ?? true }

    /// Runs the work; the next run is due `interval` after this one started, failed or not.
    mutating func run() throws {
        last = .now
        try work()
    }
}
