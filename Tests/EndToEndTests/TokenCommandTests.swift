// `switchboard token`: the built binary mints tokens that TokenSigner accepts, and says
// clearly what is wrong when it cannot.

import ChildProcess
import Foundation
import Testing
import TestSupport
import Tokens

@Suite("switchboard token")
struct TokenCommandTests {
    /// A directory with a secret file as `openssl rand -hex 32` writes it.
    final class SecretFile {
        let directory: URL
        let path: String
        let secret = Array("7f3a9c0e5b1d4f2a8c6e0b9d3f5a7c1e2b4d6f8a0c2e4a6b8d0f1e3c5a7b9d0e".utf8)

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("token-command-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent("gateway-secret").path
            try (String(decoding: secret, as: UTF8.self) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }
    }

    /// Runs `switchboard token` with `arguments`, under `environment` and without an inherited
    /// secret file variable.
    private func token(_ arguments: [String], environment: [String] = []) throws -> (output: String, status: Int32) {
        try ChildProcess.run("env", ["-u", "SWITCHBOARD_GATEWAY_SECRET_FILE", "-u", "SWITCHBOARD_WORKSPACE"] + environment
            + [BuiltProducts.switchboard, "token"] + arguments)
    }

    @Test(arguments: [("90s", 90), ("30m", 1800), ("1h", 3600), ("7d", 604_800)])
    func mintsATokenTheSignerAccepts(ttl: String, seconds: Int) throws {
        let file = try SecretFile()
        let before = Int(Date().timeIntervalSince1970)
        let minted = try token(["--workspace", "acme", "--agent", "42", "--role", "supervisor", "--ttl", ttl, "--secret-file", file.path])
        let after = Int(Date().timeIntervalSince1970)
        #expect(minted.status == 0, "\(minted.output)")
        #expect(minted.output.hasSuffix("\n") && minted.output.filter { $0 == "\n" }.count == 1, "one line: \(minted.output)")

        let claims = try TokenSigner(secret: file.secret).verify(String(minted.output.dropLast()), now: before)
        #expect(claims.agent == "42" && claims.workspace == "acme" && claims.role == .supervisor)
        let issuedAt = try #require(claims.issuedAt)
        #expect(issuedAt >= before && issuedAt <= after)
        #expect(claims.expiresAt == issuedAt + seconds)
    }

    @Test func secretFileFromTheEnvironmentAndTtlDefaultsToOneHour() throws {
        let file = try SecretFile()
        let minted = try token(["--workspace", "acme", "--agent", "sup-1", "--role", "owner"],
                               environment: ["SWITCHBOARD_GATEWAY_SECRET_FILE=\(file.path)"])
        #expect(minted.status == 0, "\(minted.output)")
        let claims = try TokenSigner(secret: file.secret).verify(String(minted.output.dropLast()), now: Int(Date().timeIntervalSince1970))
        #expect(claims.role == .owner && claims.agent == "sup-1")
        #expect(claims.expiresAt - (claims.issuedAt ?? 0) == 3600)
    }

    @Test func missingSecretFileOptionSaysHowToGiveIt() throws {
        let result = try token(["--workspace", "acme", "--agent", "42", "--role", "agent"])
        #expect(result.status == 64)
        #expect(result.output.contains(
            "missing required option '--secret-file'; pass --secret-file <PATH> or set the SWITCHBOARD_GATEWAY_SECRET_FILE environment variable"))
    }

    @Test func absentSecretFileIsNamed() throws {
        let file = try SecretFile()
        let path = file.directory.appendingPathComponent("absent").path
        let result = try token(["--workspace", "acme", "--agent", "42", "--role", "agent", "--secret-file", path])
        #expect(result.status == 1)
        #expect(result.output.contains("error: The gateway secret file \(path) does not exist; create it with at least 32 random bytes"))
    }

    @Test func shortSecretIsRefusedWithoutShowingIt() throws {
        let file = try SecretFile()
        try "hunter2\n".write(toFile: file.path, atomically: true, encoding: .utf8)
        let result = try token(["--workspace", "acme", "--agent", "42", "--role", "agent", "--secret-file", file.path])
        #expect(result.status == 1)
        #expect(result.output.contains("The gateway secret in \(file.path) is 7 bytes long; it must be at least 32"))
        #expect(!result.output.contains("hunter2"))
    }

    @Test(arguments: [
        (["--role", "root"], "invalid value 'root' for option '--role'; expected one of agent, supervisor, admin, owner"),
        ([], "missing required option '--role'; expected one of agent, supervisor, admin, owner"),
        (["--role", "agent", "--ttl", "0s"], "option '--ttl' must be at least 1s"),
        (["--role", "agent", "--ttl", "1w"], "invalid value '1w' for option '--ttl'"),
        (["--role", "agent", "--agent", "a b"], "Field 'agent' is 'a b', which contains ' '"),
    ])
    func badOptionsAreUsageErrors(extra: [String], message: String) throws {
        let file = try SecretFile()
        var arguments = ["--workspace", "acme", "--secret-file", file.path]
        if !extra.contains("--agent") { arguments += ["--agent", "42"] }
        let result = try token(arguments + extra)
        #expect(result.status == 64, "\(result.output)")
        #expect(result.output.contains(message), "\(result.output)")
    }

    @Test func helpShowsAnExample() throws {
        let help = try ChildProcess.run(BuiltProducts.switchboard, ["token", "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("switchboard token --workspace acme --agent 42 --role supervisor --ttl 8h"))
        #expect(help.output.contains("SWITCHBOARD_GATEWAY_SECRET_FILE"))
        let root = try ChildProcess.run(BuiltProducts.switchboard, ["--help"])
        #expect(root.output.contains("token"))
    }
}
