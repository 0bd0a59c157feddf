// A private redis-server for tests: its own folder, Unix socket and (optionally) TCP port.
import ChildProcess
import Foundation
import Redis

/// A `redis-server` started for tests in a temporary folder, never on the default port.
///
/// The test command (`scripts/test.sh`) starts one shared server and exports its URL as
/// `SWITCHBOARD_TEST_REDIS_URL`; tests that must restart Redis, or need `requirepass`,
/// start a dedicated one with this type.
public final class RedisServerProcess: @unchecked Sendable {
    // @unchecked: `process` is replaced only by `start`/`restart`/`stop`, which tests call
    // from one task; the other stored properties are constants.

    /// The folder holding the socket, the log and any data files.
    public let directory: URL
    /// The Unix socket path.
    public let socketPath: String
    /// The TCP port on 127.0.0.1, when one was asked for.
    public let port: Int?
    let extraArguments: [String]
    private var process: ChildProcess?

    /// Starts a server.
    /// - Parameters:
    ///   - tcp: Whether to also listen on a free TCP port on 127.0.0.1.
    ///   - arguments: Extra `redis-server` options, e.g. `["--requirepass", "s3cret"]`.
    public convenience init(tcp: Bool = false, arguments: [String] = []) throws {
        try self.init(port: tcp ? try LoopbackPort.free() : nil, arguments: arguments)
    }

    /// Starts a server on a given TCP port of 127.0.0.1 (a cluster node needs its port and
    /// the port 10000 above it, its cluster bus), or on no TCP port.
    public init(port: Int?, arguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-redis-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socketPath = directory.appendingPathComponent("redis.sock").path
        self.port = port
        extraArguments = arguments
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The server's URL (Unix socket), without credentials.
    public var url: String { "unix://\(socketPath)" }

    /// The server's TCP URL, when it listens on TCP.
    public var tcpURL: String? { port.map { "redis://127.0.0.1:\($0)" } }

    /// A configuration for this server, with an optional client name.
    public func configuration(name: String? = nil) -> RedisConfiguration {
        var configuration = RedisConfiguration(endpoint: .unixSocket(path: socketPath))
        configuration.clientName = name
        return configuration
    }

    /// Starts the server process and waits until it answers (a server still loading its data
    /// answers too: `LOADING`).
    public func start() throws {
        process = try ChildProcess(executable: try Self.redisServerExecutable(), arguments: [
            "--port", String(port ?? 0), "--bind", "127.0.0.1",
            "--unixsocket", socketPath, "--unixsocketperm", "700",
            "--dir", directory.path, "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--logfile", directory.appendingPathComponent("redis.log").path,
        ] + extraArguments)
        try waitUntilAnswering()
    }

    /// Stops the server (SIGTERM) and waits for it to exit (SIGKILL after 10 s).
    public func stop() {
        guard let process else { return }
        process.signal(SIGTERM)
        process.waitOrKill(after: .seconds(10))
        self.process = nil
    }

    /// Sends the server process a signal (`SIGSTOP` freezes it: connections are accepted by
    /// the kernel but nothing answers; `SIGCONT` thaws it).
    public func signal(_ number: Int32) { process?.signal(number) }

    /// Kills the server at once (`SIGKILL`: no shutdown, no final write) and reaps it.
    public func kill() {
        guard let process else { return }
        process.signal(SIGKILL)
        _ = process.wait()
        self.process = nil
    }

    /// Whether the server process is running.
    public var isRunning: Bool { process?.isRunning == true }

    /// Stops and starts the server on the same socket and port (data not kept).
    public func restart() throws {
        stop()
        try start()
    }

    private func waitUntilAnswering() throws {
        var configuration = self.configuration()
        configuration.connectTimeout = .milliseconds(200)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if process?.isRunning == false { break }
            // A fresh connection each time: a refused attempt would otherwise back off.
            let connection = RedisConnection(configuration: configuration)
            // A server refusing for a while (LOADING, BUSY, MASTERDOWN) is up: stop waiting.
            var refusingForAWhile = false
            connection.onWaitingForServer = { _ in refusingForAWhile = true }
            connection.interruptWait = { refusingForAWhile }
            do {
                _ = try connection.sendReturningErrors(["PING"])
                return
            } catch where error.kind == .authenticationFailed {
                return  // requirepass is set: the server is up and asking for a password
            } catch {
                if refusingForAWhile { return }
            }
            usleep(20_000)
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
        throw TestSupportError("redis-server did not start in \(directory.path). Log:\n\(log.suffix(2000))")
    }

    /// Runs `redis-cli` against this server and returns what it printed. redis-cli sends no
    /// PING first, so it reaches a server that refuses PING (`INFO` while loading, `SCRIPT
    /// KILL` while busy).
    @discardableResult
    public func cli(_ arguments: String...) throws -> String {
        try ChildProcess.run("redis-cli", ["-s", socketPath] + arguments).output
    }

    /// Waits until `redis-cli <arguments>` prints `text`; throws after `limit`.
    public func awaitCLI(_ arguments: String..., prints text: String, upTo limit: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + limit
        var output = ""
        while ContinuousClock.now < deadline {
            output = try ChildProcess.run("redis-cli", ["-s", socketPath] + arguments).output
            if output.contains(text) { return }
            usleep(20_000)
        }
        throw TestSupportError("redis-cli \(arguments.joined(separator: " ")) did not print '\(text)' within \(limit); last output: \(output)")
    }

    private static func redisServerExecutable() throws -> String {
        for candidate in ["/usr/bin/redis-server", "/usr/local/bin/redis-server"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw TestSupportError("redis-server is not installed: run scripts/test.sh, which installs it (apt-get install redis-server).")
    }
}

/// A failure in the test harness itself.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
