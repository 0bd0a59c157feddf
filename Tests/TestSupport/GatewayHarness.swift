// A worker with its WebSocket/SSE gateway on, for tests that talk to the gateway from outside.
import Foundation

/// A ``PresenceHarness`` deployment whose first worker runs the gateway on a loopback port,
/// with a fresh token secret in a file of its own.
public final class GatewayHarness: @unchecked Sendable {
    // @unchecked: used by one test at a time, like the PresenceHarness it holds.
    public let presence: PresenceHarness
    /// The file the worker reads its token secret from (`--gateway-secret-file`): 64 hex
    /// characters and a newline, as `openssl rand -hex 32 > file` writes it.
    public let secretFile: String
    /// The gateway's port on 127.0.0.1.
    public let port: Int

    /// Starts one worker with `--gateway 127.0.0.1:<free port>` and waits until the gateway
    /// answers HTTP (any status).
    public init(workerArguments: [String] = []) throws {
        presence = try PresenceHarness(workers: 0)
        secretFile = NSTemporaryDirectory() + "sb-gateway-secret-\(presence.prefix)"
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max)) }.joined()
        try (secret + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        port = try LoopbackPort.free()
        let worker = try presence.startWorker(named: "gw", arguments: ["--gateway", "127.0.0.1:\(port)", "--gateway-secret-file", secretFile] + workerArguments)
        let listening = eventually(upTo: 30) { !worker.isRunning || httpGet(port: port, path: "/v1/") != nil }
        guard listening, worker.isRunning else {
            throw TestSupportError("the gateway did not answer on 127.0.0.1:\(port) within 30 s; worker log:\n\(worker.log)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: secretFile) }

    /// `127.0.0.1:<port>`.
    public var address: String { "127.0.0.1:\(port)" }

    /// The worker logs, for failure messages.
    public var workerLogs: String { presence.workers.map(\.log).joined(separator: "\n---\n") }

    /// The environment a script needs to reach this gateway and its Redis: `SB_GATEWAY`,
    /// `SB_SECRET_FILE`, `REDIS_URL`, `SB_PREFIX`, `SB_WORKSPACE`, on top of this process's.
    public var scriptEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SB_GATEWAY"] = address
        environment["SB_SECRET_FILE"] = secretFile
        environment["REDIS_URL"] = presence.redisURL
        environment["SB_PREFIX"] = presence.prefix
        environment["SB_WORKSPACE"] = presence.workspace
        return environment
    }
}
