import Foundation
import Testing
import TestSupport
@testable import Redis

@Suite("Timeouts, lost links and reconnects")
struct RedisFailureTests {
    /// A command blocked on the server longer than the command timeout (BLPOP on a missing
    /// list blocks only this client, so parallel tests are not disturbed).
    private func expectTimeout(on connection: RedisConnection, key: String) {
        #expect {
            try connection.send(RedisCommand("BLPOP", key, 2))
        } throws: { error in
            let error = error as! RedisClientError
            return error.kind == .timeout && error.commandMayHaveRun
        }
    }

    @Test func timeoutLeavesTheClientUsable() throws {
        var configuration = try TestRedis.configuration()
        configuration.commandTimeout = .milliseconds(150)
        let connection = RedisConnection(configuration: configuration)
        expectTimeout(on: connection, key: TestRedis.uniquePrefix() + "never")
        #expect(try connection.send(["PING"]) == .status("PONG"))
        #expect(connection.connectCount == 2, "a timed-out context is replaced, not reused")
    }

    @Test func perCommandTimeoutOverridesTheDefault() throws {
        var configuration = try TestRedis.configuration()
        configuration.commandTimeout = .milliseconds(100)
        let connection = RedisConnection(configuration: configuration)
        let reply = try connection.send(RedisCommand("BLPOP", TestRedis.uniquePrefix() + "empty", "0.3"), timeout: .seconds(3))
        #expect(reply.isNull)
        expectTimeout(on: connection, key: TestRedis.uniquePrefix() + "never")
    }

    @Test func reconnectsAfterClientKillWithTimeoutStillInForce() throws {
        let name = "sb-kill-\(UUID().uuidString.prefix(6))"
        var configuration = try TestRedis.configuration(name: name)
        configuration.commandTimeout = .milliseconds(150)
        let connection = RedisConnection(configuration: configuration)
        let id = try connection.send(["CLIENT", "ID"]).int!
        let admin = try TestRedis.connection()
        #expect(try admin.send(RedisCommand("CLIENT", "KILL", "ID", id)) == .integer(1))

        #expect(try connection.send(["PING"]) == .status("PONG"), "an idle link killed by the server is replaced before use")
        #expect(connection.connectCount == 2)
        let list = try admin.send(["CLIENT", "LIST"]).string ?? ""
        #expect(list.contains("name=\(name)"), "the client name is re-applied after a reconnect")
        expectTimeout(on: connection, key: TestRedis.uniquePrefix() + "never")
    }

    @Test func reconnectsAfterRedisRestartWithEverySettingReapplied() throws {
        let server = try RedisServerProcess(arguments: ["--requirepass", "restart-secret"])
        var configuration = server.configuration(name: "sb-restart")
        configuration.password = "restart-secret"
        configuration.database = 2
        configuration.commandTimeout = .milliseconds(150)
        configuration.reconnectBackoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))
        let connection = RedisConnection(configuration: configuration)
        try connection.send(RedisCommand("SET", "before", "1"))

        try server.restart()

        #expect(try connection.send(RedisCommand("SET", "after", "2")) == .status("OK"))
        #expect(try connection.send(["CLIENT", "GETNAME"]).string == "sb-restart")
        #expect(try connection.send(["CLIENT", "INFO"]).string?.contains("db=2") == true)
        expectTimeout(on: connection, key: "never")
    }

    @Test func unreachableRedisBacksOffInsteadOfSpinning() throws {
        let server = try RedisServerProcess()
        var configuration = server.configuration()
        configuration.reconnectBackoff = Backoff(initial: .milliseconds(200), maximum: .milliseconds(200), jitter: 0)
        let connection = RedisConnection(configuration: configuration)
        server.stop()
        // Where the server was, a socket that hangs up at once and counts each connection.
        let refusing = try RefusingSocket(path: server.socketPath)
        defer { refusing.stop() }
        // The connection asks interruptWait while it waits out a backoff: asks during a
        // command mean it waited before connecting.
        let asks = EventRecorder<Int>()
        connection.interruptWait = { asks.record(0); return false }
        var waited: [Bool] = []
        for _ in 0..<4 {
            let before = asks.all.count
            #expect(throws: RedisClientError.self) { try connection.send(["PING"]) }
            waited.append(asks.all.count > before)
        }
        refusing.stop()
        // One connection attempt per command, no retry storm inside one…
        #expect(refusing.attempts.all.count == 4, "\(refusing.attempts.all.count) connection attempts for 4 commands")
        // …and the backoff waited out before each attempt after the first.
        #expect(waited == [false, true, true, true], "backoff waits before the 4 attempts: \(waited)")
        connection.interruptWait = nil
        try server.start()
        #expect(try connection.send(["PING"]) == .status("PONG"))
    }

    @Test func writingToAClosedSocketDoesNotKillTheProcess() throws {
        let connection = try TestRedis.connection()
        let id = try connection.send(["CLIENT", "ID"]).int!
        let context = try connection.openContext()
        try TestRedis.connection().send(RedisCommand("CLIENT", "KILL", "ID", id))
        #expect(context.waitReadable(milliseconds: 5_000), "the server closes the socket")
        // Bypass the idle check and write straight into the dead socket until the OS refuses.
        let big = RedisCommand("SET", "k", [UInt8](repeating: 120, count: 1 << 20))
        #expect(throws: RedisClientError.self) {
            for _ in 0..<64 {
                try context.append(big)
                try context.flush()
            }
        }
        connection.dropContext()
        #expect(try connection.send(["PING"]) == .status("PONG"))
    }
}
