// The Redis connection options every subcommand that talks to Redis shares.
import ArgumentParsing
import Foundation
import Redis

/// `--redis`, `--redis-password-file` and the two timeouts, with their environment variables.
enum RedisOptions {
    static let options: [Option] = [
        Option(name: "redis", valueName: "URL",
               help: "Redis to use: redis://[user:password@]host:port[/db], unix:///path.sock[?db=N], or redis-sentinel://[user:password@]host:port,host:port/<master-name>[?db=N] (the primary the sentinels name).",
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
    ]

    /// The configuration the options describe, with `clientName` shown in `CLIENT LIST`.
    static func configuration(from arguments: ParsedArguments, clientName: String) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: try arguments.require("redis"))
        if let file = arguments.value("redis-password-file") {
            configuration = try configuration.withPassword(fromFile: file)
        }
        configuration.connectTimeout = try timeout("redis-connect-timeout", arguments) ?? configuration.connectTimeout
        configuration.commandTimeout = try timeout("redis-command-timeout", arguments) ?? configuration.commandTimeout
        configuration.clientName = clientName
        return configuration
    }

    /// A connection for a command run by a person: a wait for a loading or busy Redis is said
    /// on standard error, so that a pause is not a mystery.
    static func connection(from arguments: ParsedArguments, clientName: String) throws -> RedisConnection {
        let connection = RedisConnection(configuration: try configuration(from: arguments, clientName: clientName))
        connection.onWaitingForServer = { [configuration = connection.configuration] error in
            let reason = error.transientState?.reason ?? error.message
            let line = "waiting for Redis at \(configuration): \(reason); up to \(configuration.connectTimeout.shortDescription) (--redis-connect-timeout)\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        return connection
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
