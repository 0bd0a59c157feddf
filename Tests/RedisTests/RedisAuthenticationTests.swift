import Foundation
import Testing
import TestSupport
@testable import Redis

@Suite("AUTH with passwords and ACL users")
struct RedisAuthenticationTests {
    @Test func aclUserAuthenticatesAndWrongPasswordIsRefusedWithoutLeakingIt() throws {
        let admin = try TestRedis.connection()
        let user = "sbtest\(UUID().uuidString.prefix(6).lowercased())"
        try admin.send(RedisCommand("ACL", "SETUSER", user, "reset", "on", ">right-horse-battery", "~*", "&*", "+@all"))
        defer { _ = try? admin.send(RedisCommand("ACL", "DELUSER", user)) }

        var configuration = try TestRedis.configuration()
        configuration.username = user
        configuration.password = "right-horse-battery"
        let connection = RedisConnection(configuration: configuration)
        #expect(try connection.send(["ACL", "WHOAMI"]).string == user)

        configuration.password = "wrong-staple"
        let refused = RedisConnection(configuration: configuration)
        do {
            try refused.send(["PING"])
            Issue.record("a wrong password must be refused")
        } catch let error as RedisClientError {
            #expect(error.kind == .authenticationFailed)
            #expect(error.message.contains(user))
            #expect(!error.description.contains("wrong-staple") && !error.description.contains("right-horse"))
        }
    }

    @Test func requirepassServerWithPasswordFile() throws {
        let server = try RedisServerProcess(arguments: ["--requirepass", "file-secret"])
        let file = server.directory.appendingPathComponent("password")
        try "file-secret\n".write(to: file, atomically: true, encoding: .utf8)
        let configuration = try server.configuration().withPassword(fromFile: file.path)
        #expect(try RedisConnection(configuration: configuration).ping() > .zero)

        let anonymous = RedisConnection(configuration: server.configuration())
        #expect {
            try anonymous.send(["GET", "x"])
        } throws: { error in
            let error = error as! RedisClientError
            return error.kind == .authenticationFailed && error.message.contains("requires a password")
        }
    }
}
