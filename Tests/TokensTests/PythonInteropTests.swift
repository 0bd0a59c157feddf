// Tokens against an independent implementation: Python's standard library (hmac, hashlib,
// base64, json), minting as a back end without a JWT library would, and checking ours.

import ChildProcess
import Crypto
import Foundation
import Testing
@testable import Tokens

@Suite("Tokens and Python's standard library")
struct PythonInteropTests {
    typealias F = TokenFixtures

    /// Mints a token from the secret file argv[1] for workspace, agent, role, exp (argv[2...5]).
    static let mint = #"""
    import base64, hashlib, hmac, json, sys

    def b64url(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    path, workspace, agent, role, exp = sys.argv[1:]
    with open(path, "rb") as f:
        secret = f.read().rstrip(b"\r\n")
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": agent, "workspace": workspace, "role": role, "exp": int(exp)}).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    print(f"{header}.{payload}.{b64url(signature)}")
    """#

    /// Checks the token argv[2] against the secret file argv[1] and prints its payload's JSON.
    static let check = #"""
    import base64, hashlib, hmac, json, sys

    def unb64url(text):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    path, token = sys.argv[1:]
    with open(path, "rb") as f:
        secret = f.read().rstrip(b"\r\n")
    header, payload, signature = token.split(".")
    assert json.loads(unb64url(header))["alg"] == "HS256"
    expected = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, unb64url(signature)):
        sys.exit("signature mismatch")
    print(json.dumps(json.loads(unb64url(payload)), sort_keys=True))
    """#

    @Test func tokenMintedByPythonIsAccepted() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try writeSecret(in: directory)
        let minted = try ChildProcess.run("python3", ["-c", Self.mint, path, "acme", "agent-7", "admin", "\(F.expiry)"])
        #expect(minted.status == 0, "\(minted.output)")
        let token = minted.output.trimmingCharacters(in: .whitespacesAndNewlines)

        let signer = try TokenSigner(secret: try TokenSigner.loadSecret(fromFile: path))
        #expect(try signer.verify(token, now: F.now)
            == WorkspaceClaims(agent: "agent-7", workspace: "acme", role: .admin, expiresAt: F.expiry))
        #expect(try F.refusal(token) != nil, "another secret must not accept it")
    }

    @Test func tokenWeSignIsAcceptedByPython() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try writeSecret(in: directory)
        let signer = try TokenSigner(secret: try TokenSigner.loadSecret(fromFile: path))
        let checked = try ChildProcess.run("python3", ["-c", Self.check, path, signer.sign(F.claims)])
        #expect(checked.status == 0, "\(checked.output)")
        #expect(checked.output == #"{"exp": 1795881600, "iat": 1795878000, "role": "supervisor", "sub": "42", "workspace": "acme"}"# + "\n")

        let rejected = try ChildProcess.run("python3", ["-c", Self.check, path, try F.signer().sign(F.claims)])
        #expect(rejected.status != 0 && rejected.output.contains("signature mismatch"))
    }

    /// A secret file as `openssl rand -hex 32` writes it: 64 hex characters and a newline.
    private func writeSecret(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("gateway-secret").path
        let hex = SecureRandom.bytes(count: 32).map { String(format: "%02x", $0) }.joined()
        try (hex + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
