import Testing
import TestSupport
@testable import Redis

@Suite("Scripts by SHA")
struct RedisScriptTests {
    static let echo = RedisScript(name: "echo_key", source: "return {KEYS[1], ARGV[1]}")

    /// On a private server: SCRIPT FLUSH on the shared test Redis would take the scripts from
    /// under other suites' workers.
    @Test func noscriptAfterFlushIsRecoveredTransparently() throws {
        let server = try RedisServerProcess()
        let connection = RedisConnection(configuration: server.configuration(name: "sb-test-noscript"))
        let key = TestRedis.uniquePrefix() + "k"
        #expect(try connection.evaluate(Self.echo, keys: [key], arguments: ["1"]) == .array([.bulk(Array(key.utf8)), .bulk(Array("1".utf8))]))
        try connection.send(["SCRIPT", "FLUSH"])
        #expect(try connection.evaluate(Self.echo, keys: [key], arguments: ["2"]).array?.last?.string == "2")
        #expect(try connection.send(RedisCommand("SCRIPT", "EXISTS", Self.echo.sha1)) == .array([.integer(1)]))
    }

    @Test func pipelinedCallsRecoverFromNoscriptInOrder() throws {
        let connection = try TestRedis.connection()
        let script = RedisScript(name: "double", source: "return tonumber(ARGV[1]) * 2 -- \(TestRedis.uniquePrefix())")
        let commands = (0..<50).map { script.command(keys: [], arguments: [$0]) }
        let replies = try connection.evaluatePipelined(script, commands: commands)
        #expect(replies.map(\.int) == (0..<50).map { $0 * 2 })
    }

    @Test func scriptErrorsAreServerErrors() throws {
        let connection = try TestRedis.connection()
        let failing = RedisScript(name: "failing", source: "return redis.error_reply('NOPE agent is unknown')")
        #expect {
            try connection.evaluate(failing)
        } throws: { error in (error as? RedisServerError)?.message == "NOPE agent is unknown" }
    }
}

@Suite("Read-only scripts")
struct ReadOnlyScriptTests {
    @Test func aReadOnlyScriptIsLoadedOnNoscriptAndRedisRefusesItsWrites() throws {
        let connection = try TestRedis.connection()
        let key = TestRedis.uniquePrefix() + "k"
        try connection.send(RedisCommand("SET", key, "before"))
        // Unique sources: never loaded before, so the first call meets NOSCRIPT.
        let read = RedisScript(name: "read", source: "return redis.call('GET', KEYS[1]) -- \(key)", readOnly: true)
        #expect(try connection.evaluate(read, keys: [key]).string == "before")

        let write = "redis.call('SET', KEYS[1], 'after') return 1 -- \(key)"
        #expect {
            try connection.evaluate(RedisScript(name: "write", source: write, readOnly: true), keys: [key])
        } throws: { error in (error as? RedisServerError)?.message.contains("Write commands are not allowed from read-only scripts") == true }
        #expect(try connection.send(RedisCommand("GET", key)).string == "before")
        #expect(try connection.evaluate(RedisScript(name: "write", source: write), keys: [key]).int == 1)
        #expect(try connection.send(RedisCommand("GET", key)).string == "after")
    }
}
