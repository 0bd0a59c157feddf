// A private redis-server for one benchmark run, and redis-benchmark against it.
import ChildProcess
import Foundation
import Redis

/// The redis-server a benchmark run starts for itself (Unix socket in a temporary folder),
/// or, with `tls`, a TLS-only one on a loopback port with a CA and certificate made here.
final class BenchmarkRedis {
    let directory: String
    let socketPath: String
    /// The TLS port, for a TLS server.
    let tlsPort: Int?
    private let pidFile: String

    init(tls: Bool = false) throws {
        directory = NSTemporaryDirectory() + "switchboard-bench-\(getpid())" + (tls ? "-tls" : "")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socketPath = directory + "/redis.sock"
        pidFile = directory + "/redis.pid"
        var tlsArguments: [String] = []
        if tls {
            let port = try Self.freeLoopbackPort()
            try Self.makeCertificates(in: directory)
            tlsArguments = ["--tls-port", String(port), "--tls-cert-file", directory + "/server.crt", "--tls-key-file", directory + "/server.key",
                            "--tls-ca-cert-file", directory + "/ca.crt", "--tls-auth-clients", "no", "--bind", "127.0.0.1"]
            tlsPort = port
        } else {
            tlsPort = nil
        }
        try Shell.run("redis-server", ["--port", "0", "--unixsocket", socketPath, "--unixsocketperm", "700", "--dir", directory,
                                       "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidFile,
                                       "--logfile", directory + "/redis.log"] + tlsArguments)
        let connection = RedisConnection(configuration: configuration(name: "bench-probe"))
        for _ in 0..<200 {
            if (try? connection.send(["PING"])) != nil { return }
            usleep(25_000)
        }
        throw BenchmarkError("redis-server did not start; see \(directory)/redis.log")
    }

    /// The Unix socket, or for a TLS server `rediss://127.0.0.1:<port>` trusting its CA.
    func configuration(name: String) -> RedisConfiguration {
        var configuration = RedisConfiguration(endpoint: .unixSocket(path: socketPath))
        if let tlsPort {
            configuration.endpoint = .tcp(host: "127.0.0.1", port: tlsPort)
            configuration.tls = RedisTLSConfiguration(caFile: directory + "/ca.crt")
        }
        configuration.clientName = name
        return configuration
    }

    /// How redis-benchmark reaches the same server the same way.
    private var benchmarkAddress: [String] {
        guard let tlsPort else { return ["-s", socketPath] }
        return ["-h", "127.0.0.1", "-p", String(tlsPort), "--tls", "--cacert", directory + "/ca.crt"]
    }

    /// A CA and a server certificate for 127.0.0.1, with openssl (EC P-256).
    private static func makeCertificates(in directory: String) throws {
        let key = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"]
        try Shell.run("openssl", key + [directory + "/ca.key"])
        try Shell.run("openssl", ["req", "-x509", "-new", "-key", directory + "/ca.key", "-out", directory + "/ca.crt", "-days", "30",
                                  "-subj", "/CN=switchboard-bench CA"])
        try Shell.run("openssl", key + [directory + "/server.key"])
        try Shell.run("openssl", ["req", "-new", "-key", directory + "/server.key", "-out", directory + "/server.csr", "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        try Shell.run("openssl", ["x509", "-req", "-in", directory + "/server.csr", "-CA", directory + "/ca.crt", "-CAkey", directory + "/ca.key",
                                  "-CAcreateserial", "-out", directory + "/server.crt", "-days", "30", "-extfile", directory + "/server.ext"])
    }

    private static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BenchmarkError("no free loopback port for the TLS server") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Requests per second that `redis-benchmark` measures for one test (`-t`) or command.
    func redisBenchmark(_ arguments: [String], requests: Int) throws -> Double {
        let output = try Shell.run("redis-benchmark", benchmarkAddress + ["-n", String(requests), "--csv"] + arguments)
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
