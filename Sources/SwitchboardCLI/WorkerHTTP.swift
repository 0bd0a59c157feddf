// The worker's HTTP endpoint: health for orchestrators, metrics for Prometheus.
import ArgumentParsing
import Glibc
import HTTPEndpoint
import Metrics
import Switchboard

enum WorkerHTTP {
    /// Where a worker without `--http` listens: the first port of this range on this host
    /// it can bind, so several workers started alike on one host each get their own.
    static let defaultHost = "127.0.0.1"
    static let defaultPorts = 9464...9473
    /// `127.0.0.1:9464-9473`, for help and errors.
    static var defaultRange: String { "\(defaultHost):\(defaultPorts.lowerBound)-\(defaultPorts.upperBound)" }

    /// Starts serving `/healthz`, `/readyz` and `/metrics` on `address` as given
    /// (`host:port`, `[v6]:port`), or nothing for `off`; a taken address is an error.
    static func start(_ address: String, health: WorkerHealth, registry: MetricsRegistry) throws -> HTTPEndpoint? {
        if address == "off" { return nil }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ValidationError("--http '\(address)' must be HOST:PORT (e.g. 127.0.0.1:9464 or 0.0.0.0:9464) or 'off'.")
        }
        let endpoint = makeEndpoint(host: String(address[..<colon]), port: port, health: health, registry: registry)
        do {
            try endpoint.start()
        } catch var error {
            error.hint = "pass --http with another port (SWITCHBOARD_HTTP), or --http off"
            throw error
        }
        return endpoint
    }

    /// Starts serving on the first port of ``defaultPorts`` that binds. Each port is tried by
    /// binding it (no check first that another worker could win in between).
    static func startOnDefaultRange(health: WorkerHealth, registry: MetricsRegistry) throws -> HTTPEndpoint {
        for port in defaultPorts {
            let endpoint = makeEndpoint(host: defaultHost, port: port, health: health, registry: registry)
            do {
                try endpoint.start()
                return endpoint
            } catch where error.code == EADDRINUSE {
                continue
            } catch var error {
                error.hint = "pass --http with a free HOST:PORT (SWITCHBOARD_HTTP), or --http off"
                throw error
            }
        }
        throw HTTPEndpointError(address: defaultRange, reason: "every port of the default range is in use (other workers on this host?)",
                                code: EADDRINUSE, hint: "give this worker a free port with --http HOST:PORT (SWITCHBOARD_HTTP), or --http off")
    }

    private static func makeEndpoint(host: String, port: Int, health: WorkerHealth, registry: MetricsRegistry) -> HTTPEndpoint {
        HTTPEndpoint(host: host, port: port, routes: [
            "/healthz": { _ in HTTPResponse(status: 200, contentType: "text/plain; charset=utf-8", body: "ok\n") },
            "/readyz": { _ in
                if let reason = health.notReadyReason {
                    return HTTPResponse(status: 503, contentType: "text/plain; charset=utf-8", body: "not ready: \(reason)\n")
                }
                return HTTPResponse(status: 200, contentType: "text/plain; charset=utf-8", body: "ready\n")
            },
            "/metrics": { _ in HTTPResponse(status: 200, contentType: MetricsRegistry.contentType, body: registry.exposition()) },
        ])
    }
}
