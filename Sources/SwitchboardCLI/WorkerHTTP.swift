// The worker's HTTP endpoint: health for orchestrators, metrics for Prometheus.
import ArgumentParsing
import HTTPEndpoint
import Metrics
import Switchboard

enum WorkerHTTP {
    /// Starts serving `/healthz`, `/readyz` and `/metrics` for `worker` on `address`
    /// (`host:port`, `[v6]:port`), or nothing for `off`.
    static func start(_ address: String, worker: Worker) throws -> HTTPEndpoint? {
        if address == "off" { return nil }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ValidationError("--http '\(address)' must be HOST:PORT (e.g. 127.0.0.1:9464 or 0.0.0.0:9464) or 'off'.")
        }
        let host = String(address[..<colon])
        let health = worker.health
        let registry = worker.metrics.registry
        let endpoint = HTTPEndpoint(host: host, port: port, routes: [
            "/healthz": { _ in HTTPResponse(status: 200, contentType: "text/plain; charset=utf-8", body: "ok\n") },
            "/readyz": { _ in
                if let reason = health.notReadyReason {
                    return HTTPResponse(status: 503, contentType: "text/plain; charset=utf-8", body: "not ready: \(reason)\n")
                }
                return HTTPResponse(status: 200, contentType: "text/plain; charset=utf-8", body: "ready\n")
            },
            "/metrics": { _ in HTTPResponse(status: 200, contentType: MetricsRegistry.contentType, body: registry.exposition()) },
        ])
        do {
            try endpoint.start()
        } catch var error {
            error.hint = "pass --http with another port (SWITCHBOARD_HTTP), or --http off"
            throw error
        }
        return endpoint
    }
}
