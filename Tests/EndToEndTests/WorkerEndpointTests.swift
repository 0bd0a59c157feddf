import ChildProcess
import Foundation
import Redis
import Testing
import TestSupport

/// `/healthz`, `/readyz` and `/metrics` of a real worker, as an orchestrator and Prometheus see them.
@Suite("Worker HTTP endpoint")
struct WorkerEndpointTests {
    /// Polls `GET path` until `accept` holds (deadline-bounded: this waits on the worker).
    static func await(port: Int, path: String, within limit: Duration = .seconds(15),
                      until accept: ((status: Int, body: String)?) -> Bool) -> (status: Int, body: String)? {
        let deadline = ContinuousClock.now + limit
        var last = httpGet(port: port, path: path)
        while !accept(last), ContinuousClock.now < deadline {
            usleep(50_000)
            last = httpGet(port: port, path: path)
        }
        return last
    }

    @Test func healthReadinessAndMetricsFollowRedis() throws {
        let server = try RedisServerProcess()
        let port = try LoopbackPort.free()
        let worker = try WorkerProcess(redisURL: server.url, prefix: "http", name: "web1", extraArguments: ["--http", "127.0.0.1:\(port)"])
        defer { worker.stop() }

        let ready = Self.await(port: port, path: "/readyz") { $0?.status == 200 }
        #expect(ready?.status == 200, "worker log: \(worker.log)")
        #expect(httpGet(port: port, path: "/healthz")?.status == 200)
        #expect(httpGet(port: port, path: "/nope")?.status == 404)

        // One applied entry, one dead letter, one assignment: the counters move.
        let admin = RedisConnection(configuration: server.configuration())
        for fields in [["op", "agent.login", "agent", "a1", "session", "s"], ["op", "conversation.new", "conversation", "c1"],
                       ["op", "agent.fly", "agent", "a1"]] {
            try admin.send(RedisCommand("XADD", arguments: ["http:intake", "*", "workspace", "w"] + fields))
        }
        let metrics = Self.await(port: port, path: "/metrics") { $0?.body.contains("switchboard_dead_letters_total 1") == true }
        let body = metrics?.body ?? ""
        #expect(body.contains(#"switchboard_intake_entries_total{op="agent.login",outcome="applied"} 1"#), "\(body)")
        #expect(body.contains(#"switchboard_intake_entries_total{op="invalid",outcome="invalid"} 1"#))
        #expect(body.contains("switchboard_assignments_total 1"))
        #expect(body.contains("switchboard_intake_latency_seconds_bucket"))

        // The real Prometheus parser reads it.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/parse_metrics.py").path
        let input = NSTemporaryDirectory() + "sb-metrics-\(port).txt"
        try body.write(toFile: input, atomically: true, encoding: .utf8)
        let (parsed, status) = try ChildProcess.run("/bin/sh", ["-c", "python3 '\(script)' < '\(input)'"])
        #expect(status == 0, "\(parsed)")
        for family in ["switchboard_intake_entries counter", "switchboard_intake_latency_seconds histogram", "switchboard_ready gauge",
                       "switchboard_intake_pending_entries gauge", "switchboard_redis_connects counter", "switchboard_reclaimed_entries counter"] {
            #expect(parsed.contains(family), "\(family) in \(parsed)")
        }

        // Redis gone: alive but not ready, with the reason; back: ready again.
        server.stop()
        let down = Self.await(port: port, path: "/readyz") { $0?.status == 503 }
        #expect(down?.status == 503)
        #expect(down?.body.contains("not ready") == true)
        #expect(httpGet(port: port, path: "/healthz")?.status == 200)
        try server.start()
        #expect(Self.await(port: port, path: "/readyz") { $0?.status == 200 }?.status == 200, "worker log: \(worker.log)")
    }

    @Test func aTakenPortIsAClearErrorAtStart() throws {
        let port = try LoopbackPort.free()
        let first = try WorkerProcess(redisURL: try TestRedis.url, prefix: "httpport", name: "p1", extraArguments: ["--http", "127.0.0.1:\(port)"])
        defer { first.stop() }
        #expect(WorkerEndpointTests.await(port: port, path: "/healthz") { $0?.status == 200 }?.status == 200)
        let (output, status) = try ChildProcess.run(BuiltProducts.switchboard, ["worker", "--redis", try TestRedis.url, "--prefix", "httpport",
                                                                               "--name", "p2", "--http", "127.0.0.1:\(port)"])
        #expect(status != 0)
        #expect(output.contains("address already in use") && output.contains("--http"), "\(output)")
    }
}
