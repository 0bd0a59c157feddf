// The gateway secret: long enough, read from a file with its trailing newlines removed.

import Foundation
import Testing
@testable import Tokens

@Suite("Token secret")
struct TokenSecretTests {
    typealias F = TokenFixtures

    @Test func secretsShorterThan32BytesAreRefused() throws {
        #expect(throws: TokenSecretError("The gateway secret is 31 bytes long; it must be at least 32 (e.g. openssl rand -hex 32 writes 64).")) {
            _ = try TokenSigner(secret: Array(repeating: 7, count: 31))
        }
        #expect(throws: TokenSecretError.self) { _ = try TokenSigner(secret: []) }
        _ = try TokenSigner(secret: Array(repeating: 7, count: 32))
    }

    @Test func secretFileLosesItsTrailingNewlinesOnly() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("secret").path
        let secret = " 0123456789abcdef0123456789abcdef\n0123456789abcdef "
        for ending in ["", "\n", "\n\n", "\r\n"] {
            try (secret + ending).write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try TokenSigner.loadSecret(fromFile: path) == Array(secret.utf8))
        }
    }

    @Test func missingFileIsRefusedWithWhatToDo() throws {
        let path = "/nonexistent/gateway-secret"
        #expect(throws: TokenSecretError(
            "The gateway secret file /nonexistent/gateway-secret does not exist; create it with at least 32 random bytes "
                + "(e.g. openssl rand -hex 32 > /nonexistent/gateway-secret) and give the same file to every worker and token minter.")) {
            _ = try TokenSigner.loadSecret(fromFile: path)
        }
    }

    @Test func directoryIsRefused() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: TokenSecretError("The gateway secret file \(directory.path) is a directory; pass the path of the file holding the secret.")) {
            _ = try TokenSigner.loadSecret(fromFile: directory.path)
        }
    }

    @Test func shortSecretInAFileIsRefusedNamingTheFile() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("secret").path
        try "hunter2\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TokenSecretError("The gateway secret in \(path) is 7 bytes long; it must be at least 32 (e.g. openssl rand -hex 32 writes 64).")) {
            _ = try TokenSigner.loadSecret(fromFile: path)
        }
    }
}
