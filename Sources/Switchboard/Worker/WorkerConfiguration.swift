// What a worker needs to know: where Redis is, its own name, and the presence timings.
import Foundation
import Redis

/// Settings of one worker process.
public struct WorkerConfiguration: Sendable {
    /// The Redis to use.
    public var redis: RedisConfiguration
    /// The key layout (prefix).
    public var keys: KeySchema
    /// This worker's consumer name in the intake group; unique per live worker.
    public var name: String
    /// How many streams the intake is split into (1: the single `sb:intake`); every worker
    /// of a deployment runs with the count recorded in `sb:config`.
    public var intakeShards: Int = 1
    /// The intake streams this worker reads (see ``KeySchema/intakeStreamsRead(shards:)``).
    var intakeStreams: [String] { keys.intakeStreamsRead(shards: intakeShards) }
    /// How long a session lives without a heartbeat.
    public var sessionTTL: Duration = .seconds(60)
    /// How many intake entries one read takes, in all (split between the intake streams).
    public var batchSize: Int = 100
    /// How long one read waits for new entries; also the longest gap between sweeps.
    public var readBlock: Duration = .milliseconds(200)
    /// How often one of the workers re-schedules every workspace with sessions (safety net).
    public var safetySweepInterval: Duration = .seconds(30)
    /// How long an entry stays pending with another worker before this one claims it (that
    /// worker died or hangs).
    public var claimIdle: Duration = .seconds(5)
    /// Deliveries after which an entry that is never acknowledged is dead-lettered.
    public var maxDeliveries: Int = 5
    /// How often the worker refreshes its heartbeat key (`sb:worker:<name>`).
    public var heartbeatInterval: Duration = .seconds(2)
    /// Where the worker serves `/healthz`, `/readyz` and `/metrics` (`host:port`), nil when it
    /// serves nothing: written to the heartbeat so operators find each worker's endpoint.
    public var httpAddress: String?
    /// Shifts the clock the widgets' business hours are judged by (tests and demos only).
    public var clockOffset: Duration = .zero
    /// The clock the widgets' business hours are judged by, and the widget schedule's scores
    /// are written in: real time shifted by `clockOffset`.
    var widgetClock: Date { Date().addingTimeInterval(clockOffset.fractionalSeconds) }
    /// ``widgetClock`` in milliseconds, as the widget schedule's scores.
    var widgetClockMilliseconds: Int { Int(widgetClock.timeIntervalSince1970 * 1000) }
    /// How many replicas (of each primary written to) must confirm a batch's writes (`WAIT`)
    /// before its entries are acknowledged; 0 acknowledges at once (Redis's asynchronous
    /// replication: a failover may lose the last writes).
    public var waitReplicas: Int = 0
    /// How long a batch waits for those replicas before it is left pending and retried.
    public var waitTimeout: Duration = .seconds(1)
    /// How many events each workspace's events stream keeps (approximately).
    public var eventsCap: Int = 100_000
    /// How many dead letters `sb:dead` keeps (approximately).
    public var deadLettersCap: Int = 100_000

    /// Creates a configuration.
    public init(redis: RedisConfiguration, keys: KeySchema = KeySchema(), name: String) {
        self.redis = redis
        self.keys = keys
        self.name = name
    }
}
