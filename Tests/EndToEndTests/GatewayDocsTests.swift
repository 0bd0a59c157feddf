import ChildProcess
import Foundation
import Testing
import TestSupport

/// docs/gateway.md's token examples, run as a back end would run them: the Python and the
/// Node block (read from the page, so the two cannot drift apart) each mint a token with a
/// secret file, and Python/token_check.py, an independent verifier in Python's standard
/// library, checks the signature and the claims.
@Suite("docs/gateway.md examples")
struct GatewayDocsTests {
    static let page = RunScriptProcess.repository.appendingPathComponent("docs/gateway.md")
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/token_check.py").path

    /// The first ```<language> block after the line `heading` of docs/gateway.md.
    static func codeBlock(after heading: String, language: String) throws -> String {
        let text = try String(contentsOf: page, encoding: .utf8)
        guard let section = text.range(of: "\n\(heading)\n") else { throw TestSupportError("docs/gateway.md has no heading \(heading)") }
        let rest = text[section.upperBound...]
        guard let open = rest.range(of: "\n```\(language)\n"), let close = rest[open.upperBound...].range(of: "\n```\n") else {
            throw TestSupportError("docs/gateway.md has no ```\(language) block after \(heading)")
        }
        return String(rest[open.upperBound..<close.lowerBound])
    }

    /// A folder of the test's own with a fresh secret file (64 hex characters and a newline,
    /// as `openssl rand -hex 32 >` writes it).
    final class Scratch {
        let folder: String
        let secretFile: String

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("sb-gateway-docs-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            secretFile = folder + "/gateway-secret"
            let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            try (hex + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
            chmod(secretFile, 0o600)
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }

        /// Runs `program` with `arguments` and SWITCHBOARD_GATEWAY_SECRET_FILE set to the
        /// secret file; its exit code and output (stdout and stderr).
        func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
            let executable = try #require(ChildProcess.find(program), "\(program) is not installed: scripts/test.sh installs it")
            var environment = ProcessInfo.processInfo.environment
            environment["SWITCHBOARD_GATEWAY_SECRET_FILE"] = secretFile
            let output = folder + "/output-\(UUID().uuidString.prefix(8)).log"
            let child = try ChildProcess(executable: executable, arguments: arguments, environment: environment, outputPath: output)
            let status = child.waitOrKill(after: .seconds(60)) ?? -1
            return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
        }

        /// What Python/token_check.py says of `tokens` under `secretFile` (one line per token).
        func check(_ tokens: [String], secretFile: String? = nil) throws -> (status: Int32, lines: [String]) {
            let result = try run("python3", [GatewayDocsTests.checker, secretFile ?? self.secretFile] + tokens)
            return (result.status, result.output.split(separator: "\n").map(String.init))
        }
    }

    /// The claims of an `ok {…}` line of token_check.py.
    static func claims(_ line: String) throws -> [String: Any] {
        try #require(line.hasPrefix("ok "), "the checker refused the token: \(line)")
        let object = try JSONSerialization.jsonObject(with: Data(line.dropFirst(3).utf8))
        return try #require(object as? [String: Any])
    }

    @Test func thePythonAndNodeExamplesMintTokensAnIndependentVerifierAccepts() throws {
        let scratch = try Scratch()
        let python = scratch.folder + "/mint.py"
        let node = scratch.folder + "/mint.js"
        try Self.codeBlock(after: "### Minting in Python", language: "python").write(toFile: python, atomically: true, encoding: .utf8)
        try Self.codeBlock(after: "### Minting in Node", language: "js").write(toFile: node, atomically: true, encoding: .utf8)

        var tokens: [String] = []
        for (program, file) in [("python3", python), ("node", node)] {
            let minted = try scratch.run(program, [file])
            #expect(minted.status == 0, "\(program) \(file) failed: \(minted.output)")
            let token = minted.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!token.contains("\n"), "\(program) printed more than a token: \(token)")
            tokens.append(token)
        }
        let checked = try scratch.check(tokens)
        #expect(checked.status == 0 && checked.lines.count == 2, "\(checked.lines)")
        for line in checked.lines {
            let claims = try Self.claims(line)
            #expect(claims["sub"] as? String == "42" && claims["workspace"] as? String == "acme" && claims["role"] as? String == "agent", "\(claims)")
            let issued = try #require(claims["iat"] as? Int), expires = try #require(claims["exp"] as? Int)
            #expect(expires - issued == 3600, "the examples mint tokens for an hour: \(claims)")
        }

        // The checker proves something: another secret, or a changed claim, is refused.
        let other = scratch.folder + "/other-secret"
        try String(repeating: "x", count: 64).write(toFile: other, atomically: true, encoding: .utf8)
        let forged = try scratch.check([tokens[0]], secretFile: other)
        #expect(forged.status == 1 && forged.lines.first?.contains("signature") == true, "\(forged.lines)")
        let parts = tokens[0].split(separator: ".").map(String.init)
        let supervisor = Data(#"{"sub":"42","workspace":"acme","role":"supervisor","exp":4102444800}"#.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let changed = try scratch.check([parts[0] + "." + supervisor + "." + parts[2]])
        #expect(changed.status == 1, "a changed claim kept its signature valid: \(changed.lines)")
    }
}
