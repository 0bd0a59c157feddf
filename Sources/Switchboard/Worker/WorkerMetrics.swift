// What a worker counts, for `/metrics` (Prometheus) and the heartbeat.
import Metrics

/// The metric families of one worker, registered in a registry the HTTP endpoint serves.
public struct WorkerMetrics: Sendable {
    /// The registry holding them.
    public let registry: MetricsRegistry
    let entries: Counter
    let assignments: Counter
    let deadLetters: Counter
    let reclaimed: Counter
    let latency: Histogram
    let batches: Histogram
    let reconnects: Counter
    let pending: Gauge
    let ready: Gauge
    let replicaShortfalls: Counter

    /// Registers the worker's families in `registry`.
    public init(registry: MetricsRegistry = MetricsRegistry()) {
        self.registry = registry
        entries = registry.makeCounter(name: "switchboard_intake_entries_total",
                                       help: "Intake entries handled, by op and outcome (applied, stale, rejected, invalid).",
                                       labelNames: ["op", "outcome"])
        assignments = registry.makeCounter(name: "switchboard_assignments_total", help: "Conversations assigned to an agent.")
        deadLetters = registry.makeCounter(name: "switchboard_dead_letters_total", help: "Intake entries written to the dead letter stream.")
        reclaimed = registry.makeCounter(name: "switchboard_reclaimed_entries_total",
                                         help: "Pending intake entries claimed from workers that died or hung, or taken back after a restart.")
        latency = registry.makeHistogram(name: "switchboard_intake_latency_seconds",
                                         help: "Time from an intake entry being written (its stream id) to its outcome being acknowledged.")
        batches = registry.makeHistogram(name: "switchboard_batch_seconds", help: "Time to apply and acknowledge one batch of intake entries.")
        reconnects = registry.makeCounter(name: "switchboard_redis_connects_total",
                                          help: "Connections made to Redis (the first one and every reconnect).")
        pending = registry.makeGauge(name: "switchboard_intake_pending_entries",
                                     help: "Intake entries delivered to some worker and not yet acknowledged (whole group).")
        replicaShortfalls = registry.makeCounter(name: "switchboard_replica_wait_shortfalls_total",
                                                 help: "Intake batches left unacknowledged because fewer replicas than --wait-replicas confirmed their writes in time.")
        ready = registry.makeGauge(name: "switchboard_ready", help: "1 when the worker reaches Redis with its consumer group and function library, else 0.")
    }
}
