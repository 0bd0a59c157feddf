// A child process started with posix_spawn and reaped with waitpid.
//
// Foundation's `Process.waitUntilExit` spins a run loop and was seen to hang forever when
// called from a test running on Swift's cooperative pool; plain posix calls do not.
import Foundation

/// A child process: start it, signal it, wait for it. Used by tests (redis-server, workers)
/// and by the benchmark.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `exitStatus` is written by `wait()` only, under `lock`.
    /// The process id.
    public let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments`; its output goes to `outputPath` (or nowhere).
    public init(executable: String, arguments: [String], environment: [String: String]? = nil, outputPath: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let target = outputPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, target, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        // The spawning thread may be a Dispatch or test-runner thread that blocks signals;
        // a child inherits that mask, and a redis-server with SIGTERM blocked never stops.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, env)
        guard status == 0 else { throw ChildProcessError(description: "could not start \(executable): \(String(cString: strerror(status)))") }
        self.pid = pid
    }

    /// Sends a signal (SIGTERM by default).
    public func signal(_ signal: Int32 = SIGTERM) {
        lock.lock()
        defer { lock.unlock() }
        if exitStatus == nil { kill(pid, signal) }  // once reaped, the pid may be someone else's
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// Whether the process is still running (reaps it if it has exited).
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        if exitStatus != nil { return false }
        var status: Int32 = 0
        switch waitpid(pid, &status, WNOHANG) {
        case pid: exitStatus = status; return false
        case 0: return true
        default: exitStatus = 0x7F00; return false  // not our child any more: treat as gone
        }
    }

    /// Waits at most `limit` for the process to exit; returns its exit code as ``wait()`` does,
    /// or `nil` if it is still running when the limit has passed (it is left running).
    public func wait(atMost limit: Duration) -> Int32? {
        let deadline = ContinuousClock.now + limit
        while isRunning {
            if ContinuousClock.now >= deadline { return nil }
            usleep(10_000)
        }
        return wait()
    }

    /// Waits at most `limit` for the process to exit, then kills it (SIGKILL) if it has not;
    /// returns its exit code, or `nil` when it had to be killed.
    public func waitOrKill(after limit: Duration) -> Int32? {
        if let status = wait(atMost: limit) { return status }
        signal(SIGKILL)
        wait()
        return nil
    }

    /// Waits for the process to exit and returns its exit code (128 + signal if killed).
    @discardableResult
    public func wait() -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        if exitStatus == nil {
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &status, 0) } while result == -1 && errno == EINTR
            exitStatus = result == pid ? status : 0x7F00  // 127: could not be waited for
        }
        let status = exitStatus!
        let signalled = status & 0x7F
        return signalled == 0 ? (status >> 8) & 0xFF : 128 + signalled
    }
}

/// A child process could not be started.
public struct ChildProcessError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension ChildProcess {
    /// The absolute path of `program` found on PATH, or `nil`.
    public static func find(_ program: String) -> String? {
        if program.contains("/") { return program }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program from PATH to completion and returns its standard output and exit code.
    /// - Throws: ``ChildProcessError`` when it cannot start, or when it runs longer than
    ///   `limit` (it is killed then, and the error carries what it printed).
    public static func run(_ program: String, _ arguments: [String], limit: Duration = .seconds(120)) throws -> (output: String, status: Int32) {
        guard let executable = find(program) else { throw ChildProcessError(description: "\(program) is not installed (not found on PATH)") }
        let outputPath = NSTemporaryDirectory() + "child-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let child = try ChildProcess(executable: executable, arguments: arguments, outputPath: outputPath)
        let status = child.waitOrKill(after: limit)
        let output = FileManager.default.contents(atPath: outputPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard let status else {
            throw ChildProcessError(description: "\(program) \(arguments.joined(separator: " ")) did not finish within \(limit); killed. Its output:\n\(output.suffix(4000))")
        }
        return (output, status)
    }
}
