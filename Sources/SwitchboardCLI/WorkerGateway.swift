// The worker's gateway (--gateway): dashboards' live streams and actions, the team view.
import ArgumentParsing
import Gateway
import Glibc
import HTTPEndpoint
import Logging
import Metrics
import Switchboard
import Tokens

enum WorkerGateway {
    static let options = [
        Option(name: "gateway", valueName: "HOST:PORT",
               help: "Where to serve dashboards (WebSocket and Server-Sent Events at /v1/workspaces/<ws>/events, the team view at /app/), or 'off'. Its own listener, not --http's.",
               environment: "SWITCHBOARD_GATEWAY", defaultValue: "off"),
        Option(name: "gateway-secret-file", valueName: "PATH",
               help: "The file holding the secret (at least 32 bytes) that signs workspace tokens (HS256); required with --gateway.",
               environment: "SWITCHBOARD_GATEWAY_SECRET_FILE"),
        Option(name: "gateway-max-connections", valueName: "N", help: "The most dashboard streams open at once; more are refused with 503.",
               environment: "SWITCHBOARD_GATEWAY_MAX_CONNECTIONS", defaultValue: "10000"),
    ]

    /// Starts the gateway the arguments ask for, or nothing for `off`.
    static func start(_ arguments: ParsedArguments, worker: WorkerConfiguration, registry: MetricsRegistry, logger: Logger) throws -> Gateway? {
        let address = arguments.value("gateway") ?? "off"
        if address == "off" { return nil }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ValidationError("--gateway '\(address)' must be HOST:PORT (e.g. 127.0.0.1:8080 or 0.0.0.0:8080) or 'off'.")
        }
        guard let path = arguments.value("gateway-secret-file") else {
            throw ValidationError("--gateway needs --gateway-secret-file (SWITCHBOARD_GATEWAY_SECRET_FILE): a file holding the token secret, e.g. made with 'openssl rand -hex 32 > gateway.secret'.")
        }
        let signer: TokenSigner
        do {
            signer = try TokenSigner(secret: try TokenSigner.loadSecret(fromFile: path))
        } catch {
            throw ValidationError("--gateway-secret-file: \(error.message)")
        }
        var configuration = GatewayConfiguration(host: String(address[..<colon]), port: port, signer: signer, redis: worker.redis,
                                                 keys: worker.keys, intakeShards: worker.intakeShards)
        configuration.maximumConnections = try arguments.integer("gateway-max-connections", in: 1...1_000_000) ?? 10_000
        // Sessions of open streams must outlive the gaps between their heartbeats.
        configuration.heartbeatInterval = min(.seconds(20), worker.sessionTTL / 3)
        let openFiles = raiseOpenFileLimit()
        if openFiles < configuration.maximumConnections + 64 {
            logger.warning("open file limit is below --gateway-max-connections; streams past it will be refused by the system",
                           metadata: ["open_files": "\(openFiles)", "max_connections": "\(configuration.maximumConnections)"])
        }
        let gateway = try Gateway(configuration: configuration, logger: logger, registry: registry)
        do {
            try gateway.start()
        } catch var error as HTTPEndpointError {
            error.hint = "pass --gateway with another port (SWITCHBOARD_GATEWAY), or --gateway off"
            throw error
        }
        logger.info("gateway listening", metadata: ["address": gateway.address, "team_view": "http://\(gateway.address)/app/",
                                                    "max_connections": "\(configuration.maximumConnections)", "open_files": "\(openFiles)"])
        return gateway
    }

    /// Raises the soft limit of open files to the hard one (thousands of sockets); returns the limit now.
    private static func raiseOpenFileLimit() -> Int {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > UInt(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
