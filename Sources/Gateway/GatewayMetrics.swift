// What the gateway counts, in the worker's registry (served at /metrics).
import Metrics

/// The gateway's metric families.
struct GatewayMetrics: Sendable {
    /// Open streams by protocol (`websocket`, `sse`).
    let connections: Gauge
    /// Messages written to clients (snapshots, events, replies, pings).
    let messagesSent: Counter
    /// Clients closed because their write buffer would overflow.
    let slowClientsClosed: Counter
    /// Clients' actions by outcome (`accepted`, `refused`, `failed`).
    let actions: Counter
    /// Requests refused before a stream opened, by HTTP status.
    let refusals: Counter

    init(registry: MetricsRegistry) {
        connections = registry.makeGauge(name: "switchboard_gateway_connections", help: "Open gateway streams (WebSocket and Server-Sent Events).",
                                         labelNames: ["protocol"])
        messagesSent = registry.makeCounter(name: "switchboard_gateway_messages_sent_total",
                                            help: "Messages the gateway wrote to clients (snapshots, events, replies, pings).")
        slowClientsClosed = registry.makeCounter(name: "switchboard_gateway_slow_clients_closed_total",
                                                 help: "Gateway clients closed because they did not read fast enough (write buffer full).")
        actions = registry.makeCounter(name: "switchboard_gateway_actions_total", help: "Actions sent by gateway clients, by outcome.",
                                       labelNames: ["outcome"])
        refusals = registry.makeCounter(name: "switchboard_gateway_refusals_total", help: "Gateway requests refused, by HTTP status.",
                                        labelNames: ["status"])
    }
}
