import Testing
import TestSupport
@testable import Redis

@Suite("Redis Functions")
struct RedisFunctionTests {
    /// A library of its own per test: a unique code, so a unique version, never loaded before.
    static func library(_ code: String) -> RedisFunctionLibrary {
        RedisFunctionLibrary(prefix: "sbtest", code: "-- \(TestRedis.uniquePrefix())\n" + code)
    }

    static let echoCode = """
    redis.register_function{function_name = LIBRARY .. '_echo', callback = function(keys, args) return {keys[1], args[1]} end}
    """

    @Test func theNameCarriesTheVersionOfTheCode() {
        let one = RedisFunctionLibrary(prefix: "switchboard", code: "return 1\n")
        #expect(one.name == "switchboard_" + SHA1.hexDigest("return 1\n".utf8).prefix(12))
        #expect(one == RedisFunctionLibrary(prefix: "switchboard", code: "return 1\n"))
        #expect(one.name != RedisFunctionLibrary(prefix: "switchboard", code: "return 2\n").name)
        #expect(one.source.hasPrefix("#!lua name=\(one.name)\nlocal LIBRARY = '\(one.name)'\n"))
        #expect(one.function("f").name == one.name + "_f")
        #expect(one.function("f").command(keys: ["k"], arguments: [1]).name == "FCALL")
        #expect(one.function("f", readOnly: true).command(keys: ["k"], arguments: []).name == "FCALL_RO")
    }

    /// On a private server: FUNCTION FLUSH on the shared test Redis would take the library
    /// from under other suites' workers.
    @Test func aMissingFunctionAfterFlushIsRecoveredTransparently() throws {
        let server = try RedisServerProcess()
        let connection = RedisConnection(configuration: server.configuration(name: "sb-test-function-flush"))
        let echo = Self.library(Self.echoCode).function("echo")
        let key = TestRedis.uniquePrefix() + "k"
        #expect(try connection.call(echo, keys: [key], arguments: ["1"]) == .array([.bulk(Array(key.utf8)), .bulk(Array("1".utf8))]))
        try connection.send(["FUNCTION", "FLUSH"])
        #expect(try connection.call(echo, keys: [key], arguments: ["2"]).array?.last?.string == "2")
        let listed = try connection.send(RedisCommand("FUNCTION", "LIST", "LIBRARYNAME", echo.library.name))
        #expect(listed.array?.count == 1, "the library is loaded again: \(listed)")
    }

    @Test(arguments: Topology.plainAndTLS)
    func pipelinedCallsRecoverFromAMissingFunctionInOrder(over topology: Topology) throws {
        let connection = try topology.connection()
        let double = Self.library("""
        redis.register_function{function_name = LIBRARY .. '_double', callback = function(keys, args) return tonumber(args[1]) * 2 end}
        """).function("double")
        let replies = try connection.callPipelined((0..<50).map { (double, double.command(keys: [], arguments: [$0])) })
        #expect(replies.map(\.int) == (0..<50).map { $0 * 2 })
    }

    /// Calls of a loaded library answer at once; calls of a missing one are re-sent after the
    /// load; a call still missing after the load (here: a name the library does not register,
    /// as after a FUNCTION FLUSH between the load and the re-send) stays in place as an error.
    /// Every reply lands at its call's index.
    @Test func aPipelineOfLoadedMissingAndStillMissingCallsKeepsCallOrder() throws {
        let server = try RedisServerProcess()
        let connection = RedisConnection(configuration: server.configuration(name: "sb-test-function-mixed"))
        let loaded = Self.library("""
        redis.register_function{function_name = LIBRARY .. '_double', callback = function(keys, args) return tonumber(args[1]) * 2 end}
        """)
        let missing = Self.library("""
        redis.register_function{function_name = LIBRARY .. '_negate', callback = function(keys, args) return -tonumber(args[1]) end}
        """)
        try connection.load(loaded)
        let double = loaded.function("double"), negate = missing.function("negate"), absent = missing.function("absent")
        try connection.send(RedisCommand("CONFIG", "RESETSTAT"))
        let calls = (0..<30).map { index in
            let function = [double, negate, absent][index % 3]
            return (function, function.command(keys: [], arguments: [index]))
        }
        let replies = try connection.callPipelined(calls)
        for (index, reply) in replies.enumerated() {
            switch index % 3 {
            case 0: #expect(reply.int == index * 2, "call \(index): \(reply)")
            case 1: #expect(reply.int == -index, "call \(index): \(reply)")
            default: #expect(reply.serverError?.isMissingFunction == true, "call \(index): \(reply)")
            }
        }
        let stats = try connection.info("commandstats")
        #expect(stats["cmdstat_function|load"]?.hasPrefix("calls=1,") == true, "only the missing library is loaded, once: \(stats)")
        #expect(stats["cmdstat_fcall"]?.hasPrefix("calls=50,") == true, "30 calls, then the 20 that missed re-sent once: \(stats)")
    }

    @Test(arguments: Topology.plainAndTLS)
    func functionErrorsAreServerErrors(over topology: Topology) throws {
        let connection = try topology.connection()
        let failing = Self.library("""
        redis.register_function{function_name = LIBRARY .. '_failing', callback = function() return redis.error_reply('NOPE agent is unknown') end}
        """).function("failing")
        #expect {
            try connection.call(failing)
        } throws: { error in (error as? RedisServerError)?.message == "NOPE agent is unknown" }
    }

    @Test(arguments: Topology.plainAndTLS)
    func aLibraryThatDoesNotCompileIsRefusedWithRedisText(over topology: Topology) throws {
        let connection = try topology.connection()
        let broken = Self.library("local x = = 1\n").function("none")
        #expect {
            try connection.call(broken)
        } throws: { error in (error as? RedisServerError)?.message.contains("Error compiling function") == true }
    }
}

@Suite("Read-only functions")
struct ReadOnlyFunctionTests {
    @Test(arguments: Topology.plainAndTLS)
    func aReadOnlyFunctionIsLoadedWhenMissingAndRedisRefusesItsWrites(over topology: Topology) throws {
        let connection = try topology.connection()
        let key = TestRedis.uniquePrefix() + "k"
        try connection.send(RedisCommand("SET", key, "before"))
        let library = RedisFunctionTests.library("""
        local function write(keys) redis.call('SET', keys[1], 'after') return 1 end
        redis.register_function{function_name = LIBRARY .. '_read', callback = function(keys) return redis.call('GET', keys[1]) end, flags = {'no-writes'}}
        redis.register_function{function_name = LIBRARY .. '_write_ro', callback = write, flags = {'no-writes'}}
        redis.register_function{function_name = LIBRARY .. '_write', callback = write}
        """)
        #expect(try connection.call(library.function("read", readOnly: true), keys: [key]).string == "before")
        #expect {
            try connection.call(library.function("write_ro", readOnly: true), keys: [key])
        } throws: { error in (error as? RedisServerError)?.message.contains("Write commands are not allowed from read-only scripts") == true }
        #expect(try connection.send(RedisCommand("GET", key)).string == "before")
        #expect {
            try connection.call(library.function("write", readOnly: true), keys: [key])
        } throws: { error in (error as? RedisServerError)?.message.contains("write flag using *_ro command") == true }
        #expect(try connection.call(library.function("write"), keys: [key]).int == 1)
        #expect(try connection.send(RedisCommand("GET", key)).string == "after")
    }
}
