import ChildProcess
import Foundation
import Testing
import TestSupport

@Suite("switchboard ping")
struct PingCommandTests {
    @Test func pingsAPasswordProtectedRedisWithoutShowingThePassword() throws {
        let server = try RedisServerProcess(arguments: ["--requirepass", "ping-secret"])
        let url = "unix://:ping-secret@\(server.socketPath)"
        let (output, status) = try ChildProcess.run(BuiltProducts.switchboard, ["ping", "--redis", url])
        #expect(status == 0)
        #expect(output.contains("PONG from Redis 7."))
        #expect(!output.contains("ping-secret"))

        let passwordFile = server.directory.appendingPathComponent("pw").path
        try "ping-secret".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let fromFile = try ChildProcess.run(BuiltProducts.switchboard,
                                            ["ping", "--redis", server.url, "--redis-password-file", passwordFile])
        #expect(fromFile.status == 0)
    }

    @Test func wrongPasswordFailsWithAClearMessage() throws {
        let server = try RedisServerProcess(arguments: ["--requirepass", "ping-secret"])
        let (output, status) = try ChildProcess.run(BuiltProducts.switchboard, ["ping", "--redis", "unix://:nope-guess@\(server.socketPath)"])
        #expect(status == 1)
        #expect(output.contains("refused the credentials"))
        #expect(!output.contains("nope-guess"))
    }

    @Test func unreachableRedisFailsWithAClearMessage() throws {
        let port = try LoopbackPort.free()
        let (output, status) = try ChildProcess.run(BuiltProducts.switchboard, ["ping", "--redis", "redis://127.0.0.1:\(port)"])
        #expect(status == 1)
        #expect(output.contains("Could not connect to Redis at 127.0.0.1:\(port)"))
    }

    @Test func helpAndVersion() throws {
        let help = try ChildProcess.run(BuiltProducts.switchboard, ["--help"])
        #expect(help.status == 0 && help.output.contains("ping"))
        let pingHelp = try ChildProcess.run(BuiltProducts.switchboard, ["ping", "--help"])
        #expect(pingHelp.status == 0 && pingHelp.output.contains("REDIS_URL"))
        let version = try ChildProcess.run(BuiltProducts.switchboard, ["--version"])
        #expect(version.status == 0 && !version.output.isEmpty)
        let bad = try ChildProcess.run(BuiltProducts.switchboard, ["pong"])
        #expect(bad.status == 64)
    }
}
