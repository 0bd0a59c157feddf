import ChildProcess
import Foundation
import Testing
import TestSupport
@testable import Redis

/// Redis refuses commands for a while when it loads its dataset (`LOADING`), runs a long
/// script (`BUSY`) or is a replica cut off from its primary (`MASTERDOWN`). A connect waits
/// that out within its connect timeout, says so once, and when it gives up names the cause.
@Suite("Connecting to a Redis that refuses for a while")
struct RedisTransientRefusalTests {
    /// A connect and one command on a thread of their own: a connect blocks, and the test
    /// must act on the server meanwhile.
    final class BackgroundConnect: @unchecked Sendable {
        // @unchecked: `waitedFor` and `outcome` are written once each, under `lock`, before
        // the semaphore that publishes them is signalled.
        private let lock = NSLock()
        private let waiting = DispatchSemaphore(value: 0)
        private let done = DispatchSemaphore(value: 0)
        private var waitedFor: RedisServerError?
        private var outcome: Result<RedisValue, any Error>?

        init(_ configuration: RedisConfiguration, then command: RedisCommand) {
            Thread.detachNewThread { [self] in
                let connection = RedisConnection(configuration: configuration)
                connection.onWaitingForServer = { [self] error in
                    lock.withLock { waitedFor = error }
                    waiting.signal()
                }
                let result = Result<RedisValue, any Error> { try connection.send(command) }
                connection.close()
                lock.withLock { outcome = result }
                done.signal()
            }
        }

        /// The refusal the connect started waiting out, once it says so (nil after 10 s).
        func awaitWaiting() -> RedisServerError? {
            guard waiting.wait(timeout: .now() + 10) == .success else { return nil }
            return lock.withLock { waitedFor }
        }

        /// The command's reply or the connect's error (nil if neither came within 20 s).
        func awaitOutcome() -> Result<RedisValue, any Error>? {
            guard done.wait(timeout: .now() + 20) == .success else { return nil }
            return lock.withLock { outcome }
        }

        /// Whether the connect said it was waiting (without blocking).
        var saidWaiting: Bool { lock.withLock { waitedFor != nil } }
    }

    private func configuration(_ server: RedisServerProcess, connectTimeout: Duration) -> RedisConfiguration {
        var configuration = server.configuration(name: "sb-transient")
        configuration.connectTimeout = connectTimeout
        return configuration
    }

    /// The error of a connect that gave up: a connect failure naming `reason`, with advice
    /// that fits it (not the maxclients/protected-mode advice of a real refusal).
    private func expectGaveUp(_ outcome: Result<RedisValue, any Error>?, reason: String, code: String, advice: String) {
        guard case .failure(let error as RedisClientError) = outcome else {
            Issue.record("expected a RedisClientError, got \(String(describing: outcome))")
            return
        }
        #expect(error.kind == .connectFailed)
        #expect(error.message.contains(reason), "\(error)")
        #expect(error.message.contains(code), "Redis's own text is kept: \(error)")
        #expect(error.recoverySuggestion.contains(advice), "\(error)")
        #expect(!error.description.contains("maxclients"), "\(error)")
    }

    @Test func aConnectWaitsOutLoadingAndSucceedsOnceTheDatasetIsIn() throws {
        let redis = try SlowLoadingRedis()
        try redis.restartAndAwaitLoading()
        let connect = BackgroundConnect(configuration(redis.server, connectTimeout: .seconds(60)), then: ["DBSIZE"])
        #expect(connect.awaitWaiting()?.code == "LOADING")
        try redis.finishLoading()
        let outcome = connect.awaitOutcome()
        #expect(try outcome?.get() == .integer(Int64(redis.keys)), "the connect returns once loading has ended")
        #expect(try redis.server.cli("INFO", "persistence").contains("loading:0"))
    }

    @Test func aConnectTimeoutShorterThanTheLoadGivesUpNamingTheLoad() throws {
        let redis = try SlowLoadingRedis()
        try redis.restartAndAwaitLoading()
        let connect = BackgroundConnect(configuration(redis.server, connectTimeout: .milliseconds(100)), then: ["PING"])
        expectGaveUp(connect.awaitOutcome(), reason: "Redis is still loading its dataset", code: "LOADING",
                     advice: "loading:0")
        #expect(try redis.server.cli("INFO", "persistence").contains("loading:1"), "the load outlasted the connect timeout")
        redis.server.stop()  // mid-load: nothing waits for the 20 s load
    }

    @Test func aConnectWaitsOutABusyScriptAndGivesUpNamingIt() throws {
        let server = try RedisServerProcess(arguments: ["--busy-reply-threshold", "50"])
        let loop = try ChildProcess(executable: try #require(ChildProcess.find("redis-cli")),
                                    arguments: ["-s", server.socketPath, "EVAL", "while true do end", "0"])
        defer { loop.signal(SIGKILL); loop.wait() }
        try server.awaitCLI("PING", prints: "BUSY")

        let giveUp = BackgroundConnect(configuration(server, connectTimeout: .milliseconds(100)), then: ["PING"])
        expectGaveUp(giveUp.awaitOutcome(), reason: "Redis is busy running a script", code: "BUSY", advice: "SCRIPT KILL")

        let connect = BackgroundConnect(configuration(server, connectTimeout: .seconds(60)), then: ["PING"])
        #expect(connect.awaitWaiting()?.code == "BUSY")
        #expect(try server.cli("SCRIPT", "KILL").contains("OK"))
        #expect(try connect.awaitOutcome()?.get() == .status("PONG"), "the connect returns once the script has ended")
    }

    @Test func aConnectToACutOffReplicaWaitsAndGivesUpNamingTheLink() throws {
        let nobody = try LoopbackPort.free()
        let server = try RedisServerProcess(arguments: ["--replicaof", "127.0.0.1", String(nobody), "--replica-serve-stale-data", "no"])
        let giveUp = BackgroundConnect(configuration(server, connectTimeout: .milliseconds(100)), then: ["PING"])
        expectGaveUp(giveUp.awaitOutcome(), reason: "the replica's link to its primary is down", code: "MASTERDOWN",
                     advice: "INFO replication")

        let connect = BackgroundConnect(configuration(server, connectTimeout: .seconds(60)), then: ["PING"])
        #expect(connect.awaitWaiting()?.code == "MASTERDOWN")
        try server.cli("REPLICAOF", "NO", "ONE")
        #expect(try connect.awaitOutcome()?.get() == .status("PONG"))
    }

    @Test func aLastingRefusalIsNotWaitedFor() throws {
        let server = try RedisServerProcess(arguments: ["--requirepass", "transient-secret"])
        let connect = BackgroundConnect(configuration(server, connectTimeout: .seconds(60)), then: ["PING"])
        guard case .failure(let error as RedisClientError) = connect.awaitOutcome() else {
            Issue.record("a connect without the password must fail")
            return
        }
        #expect(error.kind == .authenticationFailed, "\(error)")
        #expect(error.message.contains("requires a password"), "NOAUTH to CLIENT SETNAME, before PING, means the same: \(error)")
        #expect(!connect.saidWaiting)
    }

    /// Regression: the set-up round trip (AUTH, CLIENT SETNAME, PING) used to wait out the
    /// command timeout, so a frozen server held a connect far past its connect timeout and the
    /// error blamed the command timeout.
    @Test func aFrozenServerFailsTheConnectWithinTheConnectTimeoutNotTheCommandTimeout() throws {
        let server = try RedisServerProcess()
        server.signal(SIGSTOP)
        defer { server.signal(SIGCONT) }
        var configuration = configuration(server, connectTimeout: .milliseconds(300))
        configuration.commandTimeout = .seconds(600)
        let connect = BackgroundConnect(configuration, then: ["PING"])
        guard case .failure(let error as RedisClientError) = connect.awaitOutcome() else {
            Issue.record("a connect to a frozen server must fail within its connect timeout")
            return
        }
        #expect(error.kind == .connectFailed, "\(error)")
        #expect(error.message.contains("within the connect timeout (300ms)"), "\(error)")
        #expect(error.recoverySuggestion.contains("--redis-connect-timeout"), "\(error)")
    }
}
