// `switchboard ping`: is Redis there, which version, how far away.
import ArgumentParsing
import Redis

enum PingCommand {
    static let spec = CommandSpec(
        name: "ping",
        abstract: "Check that Redis answers; print its version and the round-trip time.",
        discussion: """
        Exits 0 when Redis answers PING, 1 otherwise. A Redis still loading its data is waited
        for, up to --redis-connect-timeout. On a Redis Cluster every primary must answer; each
        is listed.
        """,
        options: RedisOptions.options
    ) { arguments in
        let connection = try RedisOptions.connection(from: arguments, clientName: "switchboard-ping")
        let configuration = connection.configuration
        let roundTrip = try connection.ping()
        let version = try connection.serverVersion()
        print("PONG from Redis \(version) at \(configuration) in \(String(format: "%.3f", roundTrip.fractionalSeconds * 1000)) ms")
        guard try connection.isCluster() else { return 0 }
        let primaries = try connection.sendToEveryPrimary(RedisCommand("PING"))
        for primary in primaries { print("cluster primary \(primary.node): \(primary.reply.serverError?.message ?? "PONG")") }
        return primaries.allSatisfy { $0.reply.serverError == nil } ? 0 : 1
    }
}
