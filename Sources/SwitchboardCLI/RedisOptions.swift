// The Redis connection options every subcommand that talks to Redis shares.
import ArgumentParsing
import Redis

/// `--redis` and `--redis-password-file`, with their environment variables.
enum RedisOptions {
    static let options: [Option] = [
        Option(name: "redis", valueName: "URL",
               help: "Redis to use: redis://[user:password@]host:port[/db] or unix:///path.sock[?db=N].",
               environment: "REDIS_URL", defaultValue: "redis://127.0.0.1:6379"),
        Option(name: "redis-password-file", valueName: "PATH",
               help: "Read the Redis password from this file instead of the URL (keeps it out of ps).",
               environment: "REDIS_PASSWORD_FILE"),
    ]

    /// The configuration the options describe, with `clientName` shown in `CLIENT LIST`.
    static func configuration(from arguments: ParsedArguments, clientName: String) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: try arguments.require("redis"))
        if let file = arguments.value("redis-password-file") {
            configuration = try configuration.withPassword(fromFile: file)
        }
        configuration.clientName = clientName
        return configuration
    }
}
