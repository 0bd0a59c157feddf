// Scenario 10: 5,000 WebSocket dashboards on one worker's gateway, each a session of one of
// 200 agents; status changes one at a time, each delivered to every client. The clients are
// Python `websockets` in one asyncio process (Tests/EndToEndTests/Python/gateway_load.py,
// shared with the end-to-end test), so the yardstick is the same clients against a WebSocket
// fan-out that does next to nothing per client: what the latency would be if the gateway
// cost nothing, on this machine, in this run.
import ChildProcess
import Foundation

enum GatewayScenario {
    /// What gateway_load.py's bench mode prints (one `RESULT` line of JSON).
    struct Measured: Decodable {
        struct Yardstick: Decodable {
            let p50Ms: Double
            let p99Ms: Double
            let pythonCpuUsPerDelivery: Double
        }

        let clients: Int
        let agents: Int
        let held: Int
        let connectSeconds: Double
        let changes: Int
        let deliveries: Int
        let p50Ms: Double
        let p99Ms: Double
        let maxMs: Double
        let pythonCpuUsPerDelivery: Double
        let workerCpuUsPerDelivery: Double
        let rssIdleMb: Double
        let rssConnectedMb: Double
        let rssAfterMb: Double
        let yardstick: Yardstick
    }

    /// The load script in the source tree this benchmark was built from.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/EndToEndTests/Python/gateway_load.py").path

    static func run(redis: BenchmarkRedis, clients: Int, changes: Int) throws -> [BenchmarkRow] {
        guard FileManager.default.fileExists(atPath: script) else {
            throw BenchmarkError("the gateway scenario needs \(script) (run the benchmark from a checkout of the repository)")
        }
        guard let python = ChildProcess.find("python3"), (try? ChildProcess.run(python, ["-c", "import websockets, redis"]))?.status == 0 else {
            throw BenchmarkError("the gateway scenario needs python3 with the websockets and redis modules: pip install websockets redis (./scripts/test.sh installs them)")
        }
        let secret = redis.directory + "/gateway.secret"
        try ((0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() + "\n")
            .write(toFile: secret, atomically: true, encoding: .utf8)
        let port = try freeLoopbackPort()
        let fleet = WorkerFleet(redis: redis, prefix: "gw")
        try fleet.start(1, extraArguments: ["--gateway", "127.0.0.1:\(port)", "--gateway-secret-file", secret])
        defer { fleet.stop() }
        var environment = ProcessInfo.processInfo.environment
        environment["GATEWAY_URL"] = "http://127.0.0.1:\(port)"
        environment["SECRET_FILE"] = secret
        environment["REDIS_URL"] = "unix://\(redis.socketPath)"
        environment["SB_PREFIX"] = fleet.prefix
        environment["SB_WORKSPACE"] = "bench"
        environment["SB_INTAKE"] = fleet.intakeKey(workspace: "bench")
        environment["CLIENTS"] = String(clients)
        environment["CHANGES"] = String(changes)
        environment["WORKER_PID"] = String(fleet.pids[0])
        let logPath = redis.directory + "/gateway-load.log"
        let load = try ChildProcess(executable: python, arguments: [script, "bench"], environment: environment, outputPath: logPath)
        let status = load.waitOrKill(after: .seconds(1_200))
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        guard status == 0, let line = log.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }) else {
            throw BenchmarkError("gateway_load.py failed (exit \(status.map(String.init) ?? "killed after 20 min")): \(log.suffix(2_000))")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let m = try decoder.decode(Measured.self, from: Data(line.dropFirst("RESULT ".count).utf8))
        let yardstick = m.yardstick
        func row(_ name: String, _ unit: String, _ value: Double, _ baseline: Double? = nil) -> BenchmarkRow {
            BenchmarkRow(scenario: "gateway", name: name, unit: unit, value: value, baseline: baseline, goalRatio: nil)
        }
        return [
            row("\(m.clients) WebSocket clients (\(m.agents) agents) connected, each with its snapshot", "s", m.connectSeconds),
            row("connections held through \(m.changes) changes", "connections", Double(m.held)),
            row("one change → \(m.clients) clients, delivery p50 (\(m.deliveries) deliveries; vs a fan-out doing nothing per client)", "ms",
                m.p50Ms, yardstick.p50Ms),
            row("delivery p99", "ms", m.p99Ms, yardstick.p99Ms),
            row("delivery max", "ms", m.maxMs),
            row("Python client CPU per delivery", "µs", m.pythonCpuUsPerDelivery, yardstick.pythonCpuUsPerDelivery),
            row("worker CPU per delivery (the intake entry, the feed, the frames)", "µs", m.workerCpuUsPerDelivery),
            row("worker RSS idle", "MB", m.rssIdleMb),
            row("worker RSS with \(m.clients) clients", "MB", m.rssConnectedMb),
            row("worker RSS after they closed", "MB", m.rssAfterMb),
        ]
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now (the system picks it).
    private static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchmarkError("cannot open a socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw BenchmarkError("cannot bind a loopback port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
