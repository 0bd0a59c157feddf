// The Redis connection options every subcommand that talks to Redis shares.
import ArgumentParsing
import Foundation
import Redis

/// `--redis`, `--redis-password-file`, the two timeouts and TLS, with their environment variables.
enum RedisOptions {
    static let options: [Option] = [
        Option(name: "redis", valueName: "URL",
               help: "Redis to use: redis://[user:password@]host:port[/db], unix:///path.sock[?db=N], or redis-sentinel://[user:password@]host:port,host:port/<master-name>[?db=N] (the primary the sentinels name); rediss:// and rediss-sentinel:// for TLS.",
               environment: "REDIS_URL", defaultValue: "redis://127.0.0.1:6379"),
        Option(name: "redis-password-file", valueName: "PATH",
               help: "Read the Redis password from this file instead of the URL (keeps it out of ps).",
               environment: "REDIS_PASSWORD_FILE"),
        Option(name: "redis-connect-timeout", valueName: "DURATION",
               help: "How long opening a connection may take, waiting out a Redis that is still loading its data or busy.",
               environment: "REDIS_CONNECT_TIMEOUT", defaultValue: "2s"),
        Option(name: "redis-command-timeout", valueName: "DURATION",
               help: "How long a command may wait for its reply; then the connection is dropped and reopened (the command may have run).",
               environment: "REDIS_COMMAND_TIMEOUT", defaultValue: "5s"),
        Option(name: "redis-tls-ca-file", valueName: "PATH",
               help: "With rediss://: trust the CA certificates in this PEM file instead of the system's store.",
               environment: "REDIS_TLS_CA_FILE"),
        Option(name: "redis-tls-cert-file", valueName: "PATH",
               help: "With rediss://: the client certificate (PEM) to present, for a Redis with tls-auth-clients; needs --redis-tls-key-file.",
               environment: "REDIS_TLS_CERT_FILE"),
        Option(name: "redis-tls-key-file", valueName: "PATH",
               help: "With rediss://: the client certificate's private key (PEM, not encrypted).",
               environment: "REDIS_TLS_KEY_FILE"),
    ]

    /// The opt-out of certificate verification, on every command that has `--redis`
    /// (``CommandSpec/withRedisFlags()`` adds it).
    static let insecureSkipVerify = Flag(
        name: "redis-tls-insecure-skip-verify",
        help: "INSECURE, for tests only: with rediss://, accept any certificate from any server (no CA or host name check). Warns at every start.",
        environment: "REDIS_TLS_INSECURE_SKIP_VERIFY")

    /// The warning said at every start while verification is off.
    static let insecureWarning = "TLS certificate verification is OFF (--redis-tls-insecure-skip-verify): anyone between this process and Redis can read and change its traffic. Remove the option and give the CA with --redis-tls-ca-file."

    /// The configuration the options describe, with `clientName` shown in `CLIENT LIST`.
    static func configuration(from arguments: ParsedArguments, clientName: String) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: try arguments.require("redis"))
        if let file = arguments.value("redis-password-file") {
            configuration = try configuration.withPassword(fromFile: file)
        }
        configuration.connectTimeout = try timeout("redis-connect-timeout", arguments) ?? configuration.connectTimeout
        configuration.commandTimeout = try timeout("redis-command-timeout", arguments) ?? configuration.commandTimeout
        configuration.clientName = clientName
        try applyTLS(from: arguments, to: &configuration)
        return configuration
    }

    /// The TLS options, which only a `rediss://` or `rediss-sentinel://` URL may take.
    private static func applyTLS(from arguments: ParsedArguments, to configuration: inout RedisConfiguration) throws {
        let insecure = arguments.flag(insecureSkipVerify.name)
        guard var tls = configuration.tls else {
            let given = options.filter { $0.name.hasPrefix("redis-tls-") && arguments.value($0.name) != nil }.map { "--\($0.name) (\($0.environment ?? ""))" }
                + (insecure ? ["--\(insecureSkipVerify.name) (\(insecureSkipVerify.environment ?? ""))"] : [])
            guard given.isEmpty else {
                throw ValidationError("\(given.joined(separator: ", ")) \(given.count == 1 ? "applies" : "apply") to TLS connections only, and the Redis URL \(configuration) is not one: use rediss:// (or rediss-sentinel://), or remove the TLS options.")
            }
            return
        }
        tls.caFile = arguments.value("redis-tls-ca-file")
        tls.certificateFile = arguments.value("redis-tls-cert-file")
        tls.keyFile = arguments.value("redis-tls-key-file")
        tls.verifiesServer = !insecure
        configuration.tls = tls
    }

    /// A connection for a command run by a person: a wait for a loading or busy Redis is said
    /// on standard error, so that a pause is not a mystery.
    static func connection(from arguments: ParsedArguments, clientName: String) throws -> RedisConnection {
        let connection = RedisConnection(configuration: try configuration(from: arguments, clientName: clientName))
        warnIfUnverified(connection.configuration)
        connection.onWaitingForServer = { [configuration = connection.configuration] error in
            let reason = error.transientState?.reason ?? error.message
            let line = "waiting for Redis at \(configuration): \(reason); up to \(configuration.connectTimeout.shortDescription) (--redis-connect-timeout)\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        return connection
    }

    /// Says on standard error that verification is off (commands run by a person; the worker
    /// logs it instead).
    static func warnIfUnverified(_ configuration: RedisConfiguration) {
        guard configuration.tls?.verifiesServer == false else { return }
        FileHandle.standardError.write(Data("warning: \(insecureWarning)\n".utf8))
    }

    /// A timeout option: a duration above zero (zero would mean "wait forever" to the socket).
    private static func timeout(_ option: String, _ arguments: ParsedArguments) throws -> Duration? {
        guard let duration = try arguments.duration(option) else { return nil }
        guard duration >= .milliseconds(1) else {
            let variable = option.uppercased().replacingOccurrences(of: "-", with: "_")
            throw ValidationError("--\(option) (or \(variable)) must be at least 1ms, e.g. 2s or 500ms; 0 would wait forever.")
        }
        return duration
    }
}

extension CommandSpec {
    /// This command with ``RedisOptions/insecureSkipVerify`` added wherever `--redis` is
    /// taken, down the whole tree: one place, so no subcommand can miss it.
    func withRedisFlags() -> CommandSpec {
        var spec = self
        if spec.options.contains(where: { $0.name == "redis" }) { spec.flags.append(RedisOptions.insecureSkipVerify) }
        spec.subcommands = spec.subcommands.map { $0.withRedisFlags() }
        return spec
    }
}
