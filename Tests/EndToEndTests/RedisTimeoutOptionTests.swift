import Foundation
import Redis
import Testing
import TestSupport

/// `--redis-connect-timeout` and `--redis-command-timeout` (and their environment variables)
/// reach the connection of every subcommand that talks to Redis.
@Suite("Redis timeout options")
struct RedisTimeoutOptionTests {
    @Test func pingWaitsForALoadingRedisWithinTheConnectTimeoutAndNamesTheLoadWhenItGivesUp() throws {
        let redis = try SlowLoadingRedis()
        try redis.restartAndAwaitLoading()
        let pinging = try SwitchboardProcess(["ping", "--redis", redis.server.url, "--redis-connect-timeout", "60s"])
        let waiting = "waiting for Redis at \(redis.server.url): Redis is still loading its dataset; up to 60s (--redis-connect-timeout)"
        #expect(pinging.waitForOutput(waiting), "\(pinging.log)")
        try redis.finishLoading()
        let patient = (status: pinging.wait(), output: pinging.log)
        #expect(patient.status == 0, "\(patient.output)")
        #expect(patient.output.contains("PONG from Redis"), "\(patient.output)")

        try redis.restartAndAwaitLoading()
        let hasty = try SwitchboardProcess.run(["ping", "--redis", redis.server.url], environment: ["REDIS_CONNECT_TIMEOUT": "100ms"])
        #expect(hasty.status == 1, "\(hasty.output)")
        #expect(hasty.output.contains("after the connect timeout (100ms): Redis is still loading its dataset (LOADING"), "\(hasty.output)")
        #expect(hasty.output.contains("--redis-connect-timeout"), "\(hasty.output)")
        #expect(!hasty.output.contains("maxclients"), "advice about another problem: \(hasty.output)")
        redis.server.stop()  // mid-load: nothing waits for the 20 s load
    }

    @Test func aWorkerStartedWhileRedisLoadsSaysSoOnceAndServesOnceLoaded() throws {
        let redis = try SlowLoadingRedis()
        try redis.restartAndAwaitLoading()
        let worker = try WorkerProcess(redisURL: redis.server.url, prefix: "loading", name: "w-loading",
                                       extraArguments: ["--redis-connect-timeout", "60s"])
        defer { worker.stop() }
        // The worker meets the load (its one line says so), then the load ends.
        #expect(eventually { worker.log.contains("redis not ready yet; waiting") }, "\(worker.log)")
        try redis.finishLoading()
        var configuration = redis.server.configuration(name: "sb-test-producer")
        configuration.connectTimeout = .seconds(60)
        let producer = RedisConnection(configuration: configuration)
        let id = try producer.send(RedisCommand("XADD", "loading:intake", "*", "op", "agent.status", "workspace", "loading",
                                                "agent", "ana", "status", "away", "reply", "1")).string ?? ""
        let reply = try producer.send(RedisCommand("BLPOP", "loading:reply:\(id)", 20), timeout: .seconds(22))
        #expect(reply.array?.last?.string?.contains("applied") == true, "\(reply)\n\(worker.log)")
        let waiting = worker.log.split(separator: "\n").filter { $0.contains("redis not ready yet; waiting") }
        #expect(waiting.count == 1, "one line, not one per retry:\n\(worker.log)")
        #expect(waiting.first?.contains("Redis is still loading its dataset") == true, "\(worker.log)")
        #expect(!worker.log.contains("redis failed"), "the load ended within the connect timeout:\n\(worker.log)")
    }

    @Test func aCommandTimeoutShorterThanTheServersPauseFailsNamingTheOption() throws {
        let server = try RedisServerProcess()
        let admin = RedisConnection(configuration: server.configuration())
        // Writes wait while the pause lasts; the confirmation says it is in force.
        #expect(try admin.send(["CLIENT", "PAUSE", "60000", "WRITE"]) == .status("OK"))
        defer { _ = try? admin.send(["CLIENT", "UNPAUSE"]) }
        let status = ["agent", "status", "ana", "away", "--workspace", "timeouts", "--redis", server.url]

        let fromOption = try SwitchboardProcess.run(status + ["--redis-command-timeout", "200ms"])
        #expect(fromOption.status == 1, "\(fromOption.output)")
        #expect(fromOption.output.contains("Redis did not answer XADD within its timeout (200ms)"), "\(fromOption.output)")
        #expect(fromOption.output.contains("raise the command timeout (--redis-command-timeout)"), "\(fromOption.output)")
        #expect(fromOption.output.contains("the command may have run"), "\(fromOption.output)")

        let fromEnvironment = try SwitchboardProcess.run(status, environment: ["REDIS_COMMAND_TIMEOUT": "150ms"])
        #expect(fromEnvironment.status == 1, "\(fromEnvironment.output)")
        #expect(fromEnvironment.output.contains("within its timeout (150ms)"), "\(fromEnvironment.output)")
    }

    @Test func badTimeoutsAreRefusedWithAClearError() throws {
        let url = try TestRedis.url
        let word = try SwitchboardProcess.run(["ping", "--redis", url, "--redis-connect-timeout", "soon"])
        #expect(word.status == 64)
        #expect(word.output.contains("invalid value 'soon' for option '--redis-connect-timeout'; expected a duration such as 250ms"), "\(word.output)")

        let zero = try SwitchboardProcess.run(["ping", "--redis", url, "--redis-command-timeout", "0s"])
        #expect(zero.status == 64)
        #expect(zero.output.contains("--redis-command-timeout (or REDIS_COMMAND_TIMEOUT) must be at least 1ms"), "\(zero.output)")

        let environment = try SwitchboardProcess.run(["ping", "--redis", url], environment: ["REDIS_COMMAND_TIMEOUT": "-1s"])
        #expect(environment.status == 64)
        #expect(environment.output.contains("(from environment variable REDIS_COMMAND_TIMEOUT)"), "\(environment.output)")
    }

    @Test func everySubcommandThatTalksToRedisOffersBoth() throws {
        let commands = [["ping"], ["worker"], ["demo"], ["watch"], ["inspect", "keys"], ["inspect", "workers"], ["agent", "status"],
                        ["conversation", "new"], ["settings"], ["widget"]]
        for command in commands {
            let help = try SwitchboardProcess.run(command + ["--help"])
            #expect(help.status == 0, "\(command): \(help.output)")
            for text in ["--redis-connect-timeout", "REDIS_CONNECT_TIMEOUT", "(default: 2s)",
                         "--redis-command-timeout", "REDIS_COMMAND_TIMEOUT", "(default: 5s)"] {
                #expect(help.output.contains(text), "\(command.joined(separator: " ")) --help lacks \(text)")
            }
        }
    }
}
