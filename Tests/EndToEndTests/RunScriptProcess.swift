// `scripts/run.sh` as a user runs it, with the debug build `swift test` has just made.
import ChildProcess
import Foundation
import TestSupport

/// A `scripts/run.sh` started for a test: its own state folder (private Redis, logs, env,
/// gateway secret), its own HTTP and gateway ports, the `switchboard` of this build (`SWITCHBOARD_BIN`), and its output
/// (stdout and stderr) written into a pipe. A reader copies the pipe to ``log`` and, when
/// given a marker, exits after the line holding it: the pipe then has no reader, as after
/// `./scripts/run.sh | tee run.log` once tee is gone.
final class RunScriptProcess: @unchecked Sendable {
    // @unchecked: used by one test at a time; the children are Sendable.
    /// The repository, where `scripts/run.sh` lives.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A folder of the test's own, standing in for the repository folder a user opens a
    /// terminal in: it holds `.switchboard`.
    let home: String
    /// `SWITCHBOARD_DIR` (`<home>/.switchboard`): the private Redis (`redis/`), `logs/`, `env`.
    let directory: String
    /// What the reader copied from run.sh's output.
    let logPath: String
    /// The first worker's HTTP port.
    let firstPort: Int
    /// The first worker's gateway port (`SWITCHBOARD_GATEWAY_PORT`), right after the HTTP ports.
    let firstGatewayPort: Int
    private let script: ChildProcess
    private let reader: ChildProcess

    /// Starts run.sh with `workers` workers; `demo` false sets `SWITCHBOARD_DEMO=0`;
    /// `environment` adds variables (such as `REDIS_URL`).
    init(workers: Int = 2, demo: Bool, arguments: [String] = [], environment extra: [String: String] = [:],
         readerExitsAfter marker: String? = nil) throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("sb-run-\(UUID().uuidString.prefix(8))").path
        directory = home + "/.switchboard"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        logPath = home + "/output.log"
        firstPort = try Self.freePorts(2 * workers)
        firstGatewayPort = firstPort + workers
        let pipe = home + "/output.fifo"
        guard mkfifo(pipe, 0o600) == 0 else { throw TestSupportError("mkfifo \(pipe) failed") }
        // The reader first: opening the pipe for writing (run.sh's output) waits for it.
        let copy = #"while IFS= read -r line; do printf '%s\n' "$line" >> "$1"; [ -n "$2" ] && [[ $line == *"$2"* ]] && exit 0; done < "$0""#
        reader = try ChildProcess(executable: "/bin/bash", arguments: ["-c", copy, pipe, logPath, marker ?? ""])
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("REDIS_") && !$0.key.hasPrefix("SWITCHBOARD_") }
        environment["SWITCHBOARD_BIN"] = BuiltProducts.switchboard
        environment["SWITCHBOARD_DIR"] = directory
        environment["SWITCHBOARD_HTTP_PORT"] = String(firstPort)
        environment["SWITCHBOARD_GATEWAY_PORT"] = String(firstGatewayPort)
        environment["SWITCHBOARD_WORKERS"] = String(workers)
        environment["SWITCHBOARD_DEMO"] = demo ? "1" : "0"
        environment.merge(extra) { $1 }
        script = try ChildProcess(executable: "/bin/bash", arguments: [Self.repository.path + "/scripts/run.sh"] + arguments,
                                  environment: environment, outputPath: pipe)
    }

    deinit {
        // Whatever a failed test left behind: run.sh, then everything it started.
        script.signal(SIGKILL)
        script.wait()
        for pid in processes() { kill(pid, SIGKILL) }
        reader.signal(SIGKILL)
        reader.wait()
        try? FileManager.default.removeItem(atPath: home)
    }

    /// What run.sh has written so far (as far as the reader copied it).
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// run.sh's process id.
    var pid: pid_t { script.pid }

    /// Waits until the log holds `text` (false after `seconds`, or when run.sh has ended without it).
    func awaitLog(_ text: String, upTo seconds: Int = 60) -> Bool {
        if eventually(upTo: seconds, { log.contains(text) || !script.isRunning }), log.contains(text) { return true }
        // run.sh has ended: let the reader copy what it wrote last.
        _ = reader.wait(atMost: .seconds(5))
        return log.contains(text)
    }

    /// Waits until the reader has exited (false after `limit`).
    func awaitReaderExit(upTo limit: Duration = .seconds(60)) -> Bool { reader.wait(atMost: limit) != nil }

    /// Sends `signal` to run.sh only (not to the test's process group).
    func signal(_ signal: Int32) { script.signal(signal) }

    /// run.sh's exit code once it has exited; nil if it still runs after `limit`.
    func awaitExit(upTo limit: Duration = .seconds(60)) -> Int32? { script.wait(atMost: limit) }

    /// The private redis-server's process id, from its pid file (read once: Redis removes the
    /// file when it stops).
    private(set) lazy var redisPid: pid_t? = {
        let text = (try? String(contentsOfFile: directory + "/redis/redis.pid", encoding: .utf8)) ?? ""
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }()

    /// The process ids of the private cluster's nodes (`SWITCHBOARD_DEMO_CLUSTER=1`), from
    /// their pid files (read once: Redis removes each when it stops).
    private(set) lazy var clusterPids: [pid_t] = {
        let folder = directory + "/cluster"
        let nodes = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("cluster-") }
        return nodes.compactMap { node in
            let text = (try? String(contentsOfFile: "\(folder)/\(node)/redis.pid", encoding: .utf8)) ?? ""
            return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }()

    /// Every live process run.sh started: those carrying the `SWITCHBOARD_DIR` they inherited
    /// (workers keep it after `setsid`), run.sh included, and the private redis-server or
    /// cluster nodes (whose process titles overwrite their environment).
    func processes() -> [pid_t] {
        let marker = Data("SWITCHBOARD_DIR=\(directory)\0".utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var found = entries.compactMap { pid_t($0) }.filter { pid in
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return environ.range(of: marker) != nil && Self.isLive(pid)
        }
        for server in [redisPid].compactMap({ $0 }) + clusterPids
        where Self.isLive(server) && describe([server]).contains("redis-server") && !found.contains(server) {
            found.append(server)
        }
        return found
    }

    /// Whether `pid` runs (a zombie has exited; only its parent's wait is missing).
    private static func isLive(_ pid: pid_t) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !(status.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true)
    }

    /// The command lines of `pids`, for messages.
    func describe(_ pids: [pid_t]) -> String {
        pids.map { pid in
            let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
            return "\(pid): " + String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        }.joined(separator: "\n")
    }

    /// The first of `count` consecutive TCP ports that are free now on 127.0.0.1, below the
    /// ephemeral range and above the workers' default range (9464-9473). run.sh binds them a
    /// moment later; in between, every `bind` to port 0 on the host (each test's redis-server,
    /// each outgoing connection) takes its port from the ephemeral range, so only a program
    /// choosing the very same fixed ports could take them first.
    private static func freePorts(_ count: Int) throws -> Int {
        let below = LoopbackPort.ephemeralRange.lowerBound - count
        let candidates = below > 10_000 ? 10_000...below : 10_000...60_000  // an odd host: take our chances
        for _ in 0..<50 {
            let first = Int.random(in: candidates)
            if (0..<count).allSatisfy({ LoopbackPort.isFree(first + $0) }) { return first }
        }
        throw TestSupportError("found no \(count) consecutive free ports in \(candidates)")
    }
}
