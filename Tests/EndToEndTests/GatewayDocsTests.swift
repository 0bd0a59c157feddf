import ChildProcess
import Foundation
import Testing
import TestSupport

/// docs/gateway.md's token examples, run as a back end would run them: the Python and the
/// Node block (read from the page, so the two cannot drift apart) each mint a token with a
/// secret file; Python/token_check.py, an independent verifier in Python's standard
/// library, checks the signature and the claims, and a real worker's gateway opens a stream
/// for them (and refuses them as the page says, for another key or another workspace).
@Suite("docs/gateway.md examples")
struct GatewayDocsTests {
    static let page = RunScriptProcess.repository.appendingPathComponent("docs/gateway.md")
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/token_check.py").path
    static let probe = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/sse_first_event.py").path

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

        /// Runs `program` (a name on PATH, or an absolute path) with `arguments` and
        /// SWITCHBOARD_GATEWAY_SECRET_FILE set to the secret file; its exit code and output
        /// (stdout and stderr).
        func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
            let executable = try #require(program.hasPrefix("/") ? program : ChildProcess.find(program),
                                          "\(program) is not installed: scripts/test.sh installs it")
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

    /// The tokens the page's Python and Node examples print (workspace acme, agent 42, role
    /// agent), minted with the scratch folder's secret.
    static func exampleTokens(_ scratch: Scratch) throws -> [String] {
        let python = scratch.folder + "/mint.py"
        let node = scratch.folder + "/mint.js"
        try codeBlock(after: "### Minting in Python", language: "python").write(toFile: python, atomically: true, encoding: .utf8)
        try codeBlock(after: "### Minting in Node", language: "js").write(toFile: node, atomically: true, encoding: .utf8)
        var tokens: [String] = []
        for (program, file) in [("python3", python), ("node", node)] {
            let minted = try scratch.run(program, [file])
            #expect(minted.status == 0, "\(program) \(file) failed: \(minted.output)")
            let token = minted.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!token.contains("\n"), "\(program) printed more than a token: \(token)")
            tokens.append(token)
        }
        return tokens
    }

    @Test func thePythonAndNodeExamplesMintTokensAnIndependentVerifierAccepts() throws {
        let scratch = try Scratch()
        let tokens = try Self.exampleTokens(scratch)
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

    @Test func switchboardTokenMintsWhatTheExamplesMint() throws {
        // The page's `switchboard token` line, with the key from SWITCHBOARD_GATEWAY_SECRET_FILE.
        let scratch = try Scratch()
        let minted = try scratch.run(BuiltProducts.switchboard, ["token", "--workspace", "acme", "--agent", "42", "--role", "agent", "--ttl", "1h"])
        #expect(minted.status == 0, "\(minted.output)")
        let checked = try scratch.check([minted.output.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(checked.status == 0 && checked.lines.count == 1, "\(checked.lines)")
        let claims = try Self.claims(checked.lines.first ?? "")
        #expect(claims["sub"] as? String == "42" && claims["workspace"] as? String == "acme" && claims["role"] as? String == "agent", "\(claims)")
        #expect((claims["exp"] as? Int).flatMap { exp in (claims["iat"] as? Int).map { exp - $0 } } == 3600, "\(claims)")
    }

    @Test func theExamplesTokensOpenAStreamOnAWorkersGatewayAndAreRefusedAsThePageSays() throws {
        let scratch = try Scratch()
        let tokens = try Self.exampleTokens(scratch)
        let port = try LoopbackPort.free()
        let worker = try WorkerProcess(redisURL: try TestRedis.url, prefix: "gwdocs-\(UUID().uuidString.prefix(6))", name: "gw1",
                                       extraArguments: ["--gateway", "127.0.0.1:\(port)", "--gateway-secret-file", scratch.secretFile])
        defer { worker.stop() }
        let page = WorkerEndpointTests.await(port: port, path: "/app/") { $0?.status == 200 }
        try #require(page?.status == 200, "the gateway did not serve /app/; worker log:\n\(worker.log)")

        /// What Python/sse_first_event.py saw: `status`, and `event`, `id`, `data` or `body`.
        func open(_ path: String, _ token: String) throws -> [String: String] {
            let result = try scratch.run("python3", [Self.probe, String(port), path, token])
            #expect(result.status == 0, "\(result.output)")
            var seen: [String: String] = [:]
            for line in result.output.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                if parts.count == 2 { seen[parts[0]] = parts[1] }
            }
            return seen
        }
        for token in tokens {
            let stream = try open("/v1/workspaces/acme/events", token)
            #expect(stream["status"] == "200" && stream["event"] == "snapshot", "\(stream)\nworker log:\n\(worker.log)")
            let snapshot = try #require(try JSONSerialization.jsonObject(with: Data((stream["data"] ?? "").utf8)) as? [String: Any], "\(stream)")
            let viewer = snapshot["viewer"] as? [String: Any]
            #expect(snapshot["type"] as? String == "snapshot" && snapshot["workspace"] as? String == "acme", "\(snapshot)")
            #expect(viewer?["agent"] as? String == "42" && viewer?["role"] as? String == "agent", "\(snapshot)")
            #expect(stream["id"] == "\(snapshot["version"] as? Int ?? -1)", "the SSE id is the snapshot's version: \(stream)")
        }
        // The page's refusal table: another workspace 403, another key 401, both with a JSON sentence.
        let elsewhere = try open("/v1/workspaces/other/events", tokens[0])
        #expect(elsewhere["status"] == "403" && elsewhere["body"]?.contains("\"error\"") == true, "\(elsewhere)")
        let other = try Scratch()
        let forged = try Self.exampleTokens(other)[0]
        let refused = try open("/v1/workspaces/acme/events", forged)
        #expect(refused["status"] == "401" && refused["body"]?.contains("\"error\"") == true, "\(refused)")
    }

    @Test func theFlagTableNamesEveryGatewayOptionOfTheWorkerWithItsVariable() throws {
        // The worker's options, wherever in the CLI's sources they are declared.
        let folder = RunScriptProcess.repository.appendingPathComponent("Sources/SwitchboardCLI")
        let source = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }.sorted()
            .map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
        let page = try String(contentsOf: Self.page, encoding: .utf8)
        // Option(name: "gateway…", …, environment: "SWITCHBOARD_…") in the worker's spec.
        let pattern = try NSRegularExpression(pattern: #"Option\(name: "(gateway[a-z-]*)".*?environment: "([A-Z0-9_]+)""#, options: [.dotMatchesLineSeparators])
        let options = pattern.matches(in: source, range: NSRange(source.startIndex..., in: source)).compactMap { match -> (String, String)? in
            guard let name = Range(match.range(at: 1), in: source), let variable = Range(match.range(at: 2), in: source) else { return nil }
            return (String(source[name]), String(source[variable]))
        }
        #expect(Set(options.map(\.0)).isSuperset(of: ["gateway", "gateway-secret-file", "gateway-max-connections"]), "\(options)")
        let rows = page.split(separator: "\n").filter { $0.hasPrefix("| `--gateway") }
        for (name, variable) in options {
            let row = rows.first { $0.hasPrefix("| `--\(name) ") || $0.hasPrefix("| `--\(name)`") }
            #expect(row?.contains("| `\(variable)` |") == true, "docs/gateway.md's flag table lacks --\(name) with \(variable): \(row ?? "no row")")
        }
    }
}
