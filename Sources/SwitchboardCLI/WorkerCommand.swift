// `switchboard worker`: run one worker until SIGTERM or SIGINT.
import ArgumentParsing
import Dispatch
import Foundation
import Gateway
import HTTPEndpoint
import Logging
import Redis
import Switchboard

enum WorkerCommand {
    static let spec = CommandSpec(
        name: "worker",
        abstract: "Run a worker: apply intake entries (presence and routing), broadcast them, expire sessions.",
        discussion: """
        Run as many workers as you like against one Redis; they share the work through the
        consumer group 'switchboard' on the intake stream(s). Entries a worker leaves pending
        (it died or hangs) are claimed by the others after --claim-idle. SIGTERM or SIGINT
        stops a worker after the batch in hand (exit 0); a second signal stops it at once.

        HTTP (--http): GET /healthz (the process runs), GET /readyz (Redis reachable, group
        present, function library loaded at connect; 503 with the reason otherwise),
        GET /metrics (Prometheus). Without --http (or SWITCHBOARD_HTTP), a worker takes the
        first free port of 127.0.0.1:9464-9473, so workers started alike on one host each get
        their own; it logs the address and shows it in its heartbeat (switchboard inspect workers).

        Intake shards (--intake-shards N): with N > 1 the intake is sb:intake:0 … sb:intake:<N-1>
        and a workspace's entries go to sb:intake:<crc32(workspace) mod N> (switchboard
        intake-key prints it). The first worker records N in sb:config; a worker started with
        another N logs why and exits 1 (docs/protocol.md says how to change N).

        Gateway (--gateway HOST:PORT, with --gateway-secret-file): dashboards open
        GET /v1/workspaces/<ws>/events as a WebSocket or Server-Sent Events with a workspace
        token (switchboard token mints one), get a snapshot then every event, and act with
        JSON messages (or POST /v1/workspaces/<ws>/intake); the team view is at /app/.
        docs/gateway.md describes it.
        """,
        options: RedisOptions.options + [
            CommonOptions.prefix,
            Option(name: "name", valueName: "NAME", help: "This worker's consumer name; unique per live worker. Default: host-pid.",
                   environment: "SWITCHBOARD_WORKER_NAME"),
            Option(name: "intake-shards", valueName: "N",
                   help: "How many streams the intake is split into (1-\(KeySchema.maximumIntakeShards)); the same for every worker and recorded in Redis.",
                   environment: "SWITCHBOARD_INTAKE_SHARDS", defaultValue: "1"),
            Option(name: "session-ttl", valueName: "DURATION", help: "How long a session lives without a heartbeat.",
                   environment: "SWITCHBOARD_SESSION_TTL", defaultValue: "60s"),
            Option(name: "safety-sweep-interval", valueName: "DURATION",
                   help: "How often one worker re-checks every workspace's sessions, in case a crash lost a schedule entry.",
                   environment: "SWITCHBOARD_SAFETY_SWEEP_INTERVAL", defaultValue: "30s"),
            Option(name: "batch-size", valueName: "N", help: "Intake entries read and applied at once (split between the intake shards).", environment: "SWITCHBOARD_BATCH_SIZE", defaultValue: "100"),
            Option(name: "claim-idle", valueName: "DURATION",
                   help: "How long an entry stays pending with another worker (dead or hung) before this one claims it.",
                   environment: "SWITCHBOARD_CLAIM_IDLE", defaultValue: "5s"),
            Option(name: "max-deliveries", valueName: "N",
                   help: "Deliveries after which an entry never acknowledged goes to the dead letter stream.",
                   environment: "SWITCHBOARD_MAX_DELIVERIES", defaultValue: "5"),
            Option(name: "wait-replicas", valueName: "K",
                   help: "Acknowledge an intake batch only once K replicas (of each primary written to) hold its writes (WAIT); 0: at once.",
                   environment: "SWITCHBOARD_WAIT_REPLICAS", defaultValue: "0"),
            Option(name: "wait-timeout", valueName: "DURATION",
                   help: "How long a batch waits for --wait-replicas before it is left pending and applied again.",
                   environment: "SWITCHBOARD_WAIT_TIMEOUT", defaultValue: "1s"),
            Option(name: "heartbeat-interval", valueName: "DURATION",
                   help: "How often the worker refreshes its heartbeat key (gone after three missed beats).",
                   environment: "SWITCHBOARD_HEARTBEAT_INTERVAL", defaultValue: "2s"),
            Option(name: "widget-clock-start", valueName: "TIME",
                   help: "For tests and demos: judge widget business hours as if the clock had read this RFC 3339 time at start.",
                   environment: "SWITCHBOARD_WIDGET_CLOCK_START"),
            Option(name: "http", valueName: "HOST:PORT",
                   help: "Where to serve /healthz, /readyz and /metrics, or 'off'. Default: the first free port of \(WorkerHTTP.defaultRange); a given address that is taken is an error.",
                   environment: "SWITCHBOARD_HTTP"),
        ] + WorkerGateway.options + LoggingOptions.options
    ) { arguments in
        let name = arguments.value("name") ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        guard Identifier(name) != nil else { throw ValidationError("--name '\(name)' must be 1-64 characters of A-Z a-z 0-9 . _ @ -.") }
        var configuration = WorkerConfiguration(redis: try RedisOptions.configuration(from: arguments, clientName: "switchboard-worker"),
                                                keys: CommonOptions.keys(arguments), name: name)
        guard let ttl = try arguments.duration("session-ttl"), ttl >= .seconds(1) else { throw ValidationError("--session-ttl must be at least 1s.") }
        configuration.sessionTTL = ttl
        configuration.batchSize = try arguments.integer("batch-size", in: 1...10_000) ?? 100
        configuration.intakeShards = try arguments.integer("intake-shards", in: 1...KeySchema.maximumIntakeShards) ?? 1
        guard let safety = try arguments.duration("safety-sweep-interval"), safety >= .milliseconds(100) else {
            throw ValidationError("--safety-sweep-interval must be at least 100ms.")
        }
        configuration.safetySweepInterval = safety
        guard let claimIdle = try arguments.duration("claim-idle"), claimIdle >= .milliseconds(100) else {
            throw ValidationError("--claim-idle must be at least 100ms.")
        }
        configuration.claimIdle = claimIdle
        configuration.maxDeliveries = try arguments.integer("max-deliveries", in: 1...1_000) ?? 5
        configuration.waitReplicas = try arguments.integer("wait-replicas", in: 0...100) ?? 0
        guard let waitTimeout = try arguments.duration("wait-timeout"), waitTimeout >= .milliseconds(1) else {
            throw ValidationError("--wait-timeout must be at least 1ms.")
        }
        configuration.waitTimeout = waitTimeout
        guard let heartbeat = try arguments.duration("heartbeat-interval"), heartbeat >= .milliseconds(100) else {
            throw ValidationError("--heartbeat-interval must be at least 100ms.")
        }
        configuration.heartbeatInterval = heartbeat
        if let start = arguments.value("widget-clock-start") {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let plain = ISO8601DateFormatter()
            guard let date = formatter.date(from: start) ?? plain.date(from: start) else {
                throw ValidationError("--widget-clock-start '\(start)' must be an RFC 3339 time such as 2026-03-29T06:59:58Z.")
            }
            configuration.clockOffset = .milliseconds(Int64((date.timeIntervalSinceNow * 1000).rounded()))
        }
        let logger = try LoggingOptions.logger(from: arguments, label: "worker")
        if configuration.redis.tls?.verifiesServer == false {
            logger.warning(RedisOptions.insecureWarning, metadata: ["event": "redis.tls_verification_disabled", "redis": "\(configuration.redis)"])
        }
        // The endpoint listens first: the worker's heartbeat carries the address it got.
        let metrics = WorkerMetrics()
        let health = WorkerHealth()
        let endpoint: HTTPEndpoint?
        if let address = arguments.value("http") {
            endpoint = try WorkerHTTP.start(address, health: health, registry: metrics.registry)
        } else {
            endpoint = try WorkerHTTP.startOnDefaultRange(health: health, registry: metrics.registry)
        }
        configuration.httpAddress = endpoint?.address
        let gateway: Gateway?
        do {
            gateway = try WorkerGateway.start(arguments, worker: configuration, registry: metrics.registry, logger: logger)
        } catch {
            endpoint?.stop()
            throw error
        }
        let worker = Worker(configuration: configuration, logger: logger, metrics: metrics, health: health)
        if let endpoint { logger.info("http endpoint listening", metadata: ["address": endpoint.address, "worker": name]) }
        TerminationSignals.onSignal { worker.stop() }
        worker.run()
        gateway?.stop()
        endpoint?.stop()
        return worker.refused == nil ? 0 : 1
    }
}
