// `switchboard worker`: run one worker until SIGTERM or SIGINT.
import ArgumentParsing
import Dispatch
import Foundation
import Logging
import Redis
import Switchboard

enum WorkerCommand {
    static let spec = CommandSpec(
        name: "worker",
        abstract: "Run a worker: apply intake entries (presence and routing), broadcast them, expire sessions.",
        discussion: """
        Run as many workers as you like against one Redis; they share the work through the
        consumer group 'switchboard' on the intake stream. SIGTERM or SIGINT stops a worker
        after the batch in hand.
        """,
        options: RedisOptions.options + [
            CommonOptions.prefix,
            Option(name: "name", valueName: "NAME", help: "This worker's consumer name; unique per live worker. Default: host-pid.",
                   environment: "SWITCHBOARD_WORKER_NAME"),
            Option(name: "session-ttl", valueName: "DURATION", help: "How long a session lives without a heartbeat.",
                   environment: "SWITCHBOARD_SESSION_TTL", defaultValue: "60s"),
            Option(name: "safety-sweep-interval", valueName: "DURATION",
                   help: "How often one worker re-checks every workspace's sessions, in case a crash lost a schedule entry.",
                   environment: "SWITCHBOARD_SAFETY_SWEEP_INTERVAL", defaultValue: "30s"),
            Option(name: "batch-size", valueName: "N", help: "Intake entries read at once.", environment: "SWITCHBOARD_BATCH_SIZE", defaultValue: "100"),
        ] + LoggingOptions.options
    ) { arguments in
        let name = arguments.value("name") ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        guard Identifier(name) != nil else { throw ValidationError("--name '\(name)' must be 1-64 characters of A-Z a-z 0-9 . _ @ -.") }
        var configuration = WorkerConfiguration(redis: try RedisOptions.configuration(from: arguments, clientName: "switchboard-worker"),
                                                keys: CommonOptions.keys(arguments), name: name)
        guard let ttl = try arguments.duration("session-ttl"), ttl >= .seconds(1) else { throw ValidationError("--session-ttl must be at least 1s.") }
        configuration.sessionTTL = ttl
        configuration.batchSize = try arguments.integer("batch-size", in: 1...10_000) ?? 100
        guard let safety = try arguments.duration("safety-sweep-interval"), safety >= .milliseconds(100) else {
            throw ValidationError("--safety-sweep-interval must be at least 100ms.")
        }
        configuration.safetySweepInterval = safety
        let worker = Worker(configuration: configuration, logger: try LoggingOptions.logger(from: arguments, label: "worker"))

        TerminationSignals.onSignal { worker.stop() }
        worker.run()
        return 0
    }
}
