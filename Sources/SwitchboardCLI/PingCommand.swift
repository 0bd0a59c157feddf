// `switchboard ping`: is Redis there, which version, how far away.
import ArgumentParsing
import Redis

enum PingCommand {
    static let spec = CommandSpec(
        name: "ping",
        abstract: "Check that Redis answers; print its version and the round-trip time.",
        discussion: "Exits 0 when Redis answers PING, 1 otherwise. A Redis still loading its data is waited for, up to --redis-connect-timeout.",
        options: RedisOptions.options
    ) { arguments in
        let connection = try RedisOptions.connection(from: arguments, clientName: "switchboard-ping")
        let configuration = connection.configuration
        let roundTrip = try connection.ping()
        let version = try connection.serverVersion()
        print("PONG from Redis \(version) at \(configuration) in \(String(format: "%.3f", roundTrip.fractionalSeconds * 1000)) ms")
        return 0
    }
}
