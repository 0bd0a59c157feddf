// A private redis-server for one benchmark run, and redis-benchmark against it.
import ChildProcess
import Foundation
import Redis

/// The redis-server a benchmark run starts for itself (Unix socket in a temporary folder).
final class BenchmarkRedis {
    let directory: String
    let socketPath: String
    private let pidFile: String

    init() throws {
        directory = NSTemporaryDirectory() + "switchboard-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socketPath = directory + "/redis.sock"
        pidFile = directory + "/redis.pid"
        try Shell.run("redis-server", ["--port", "0", "--unixsocket", socketPath, "--unixsocketperm", "700", "--dir", directory,
                                       "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidFile,
                                       "--logfile", directory + "/redis.log"])
        let connection = RedisConnection(configuration: configuration(name: "bench-probe"))
        for _ in 0..<200 {
            if (try? connection.send(["PING"])) != nil { return }
            usleep(25_000)
        }
        throw BenchmarkError("redis-server did not start; see \(directory)/redis.log")
    }

    func configuration(name: String) -> RedisConfiguration {
        var configuration = RedisConfiguration(endpoint: .unixSocket(path: socketPath))
        configuration.clientName = name
        return configuration
    }

    /// Requests per second that `redis-benchmark` measures for one test (`-t`) or command.
    func redisBenchmark(_ arguments: [String], requests: Int) throws -> Double {
        let output = try Shell.run("redis-benchmark", ["-s", socketPath, "-n", String(requests), "--csv"] + arguments)
        // CSV: "test","rps",... one line per test after the header.
        for line in output.split(separator: "\n").dropFirst() {
            // The test name may itself hold commas (a script's JSON argument): rps is the
            // seventh field from the end.
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            if fields.count >= 8, let rps = Double(fields[fields.count - 7]) { return rps }
        }
        throw BenchmarkError("could not read redis-benchmark's output:\n\(output)")
    }

    func stop() {
        if let pid = try? String(contentsOfFile: pidFile, encoding: .utf8), let number = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(number, SIGTERM)
            while kill(number, 0) == 0 { usleep(10_000) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Shell {
    /// Runs a program from PATH and returns its output; throws if it fails.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let (output, status) = try ChildProcess.run(program, arguments)
        guard status == 0 else { throw BenchmarkError("\(program) exited with \(status): \(output.suffix(500))") }
        return output
    }
}
