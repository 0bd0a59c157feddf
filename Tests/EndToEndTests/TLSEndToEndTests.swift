// Workers and commands over TLS: the cluster and Sentinel, client certificates, the opt-out.
import ChildProcess
import Foundation
import Redis
import Testing
import TestSupport

@Suite("TLS, end to end")
struct TLSEndToEndTests {
    /// A status change, a login and a routed conversation through `harness`'s workers.
    private func statusAndRouting(_ harness: PresenceHarness) throws {
        try harness.apply([("op", "agent.login"), ("agent", "a"), ("session", "s")], timeout: 30)
        try harness.apply([("op", "agent.login"), ("agent", "b"), ("session", "s")])
        #expect(try harness.apply([("op", "agent.status"), ("agent", "b"), ("status", "away")])["outcome"] as? String == "applied")
        #expect(try harness.apply([("op", "conversation.new"), ("conversation", "c1")])["outcome"] as? String == "applied")
        let assigned = try harness.events().filter { $0["type"] == "assigned" }
        #expect(assigned.map { $0["agent_id"] } == ["a"], "only the Online agent takes it: \(assigned)")
    }

    @Test func workersOnATLSClusterApplyAndRoute() throws {
        try statusAndRouting(try PresenceHarness(workers: 2, redisURL: TestTLS.clusterURL))
    }

    @Test func aWorkerBehindTLSSentinelsAppliesAndRoutes() throws {
        try statusAndRouting(try PresenceHarness(workers: 1, redisURL: TestTLS.sentinelURL))
    }

    @Test func aWorkerPresentsItsClientCertificateToARedisThatDemandsOne() throws {
        let prefix = "t" + String(UUID().uuidString.prefix(8).lowercased())
        let connection = RedisConnection(configuration: try TestTLS.configuration(url: TestTLS.clientAuthURL, clientCertificate: true))
        let worker = try WorkerProcess(redisURL: TestTLS.clientAuthURL, prefix: prefix, name: "w", extraArguments: [
            "--redis-tls-ca-file", try TestTLS.caFile, "--redis-tls-cert-file", try TestTLS.file("client.crt"),
            "--redis-tls-key-file", try TestTLS.file("client.key"),
        ])
        defer { worker.stop() }
        try connection.send(RedisCommand("XADD", "\(prefix):intake", "*", "op", "agent.login", "workspace", "ws", "agent", "a", "session", "s"))
        #expect(try eventually(upTo: 30) { try connection.send(RedisCommand("HGET", "\(prefix):{ws}:agent:a", "status")).string == "online" },
                "log: \(worker.log.suffix(2_000))")
    }

    @Test func withoutItsCertificateTheWorkerSaysWhatIsMissing() throws {
        let worker = try WorkerProcess(redisURL: TestTLS.clientAuthURL, prefix: "tnocert", name: "w")
        defer { worker.stop() }
        #expect(try eventually(upTo: 30) { worker.log.contains("requires a client certificate") }, "log: \(worker.log.suffix(2_000))")
        #expect(worker.log.contains("--redis-tls-cert-file"))
    }

    @Test func theEnvironmentVariablesCarryTheFiles() throws {
        let run = try ChildProcess.run("env", [
            "REDIS_URL=\(try TestTLS.clientAuthURL)", "REDIS_TLS_CA_FILE=\(try TestTLS.caFile)",
            "REDIS_TLS_CERT_FILE=\(try TestTLS.file("client.crt"))", "REDIS_TLS_KEY_FILE=\(try TestTLS.file("client.key"))",
            BuiltProducts.switchboard, "ping",
        ])
        #expect(run.status == 0 && run.output.contains("PONG"), "\(run.output)")
    }

    @Test func theInsecureOptOutConnectsAndWarnsAtEveryStart() throws {
        let server = try RedisServerProcess(tlsCertificate: "other-name")
        let url = try #require(server.tlsURL)
        let refused = try WorkerProcess(redisURL: url, prefix: "tinsecure", name: "checked")
        defer { refused.stop() }
        #expect(try eventually(upTo: 30) { refused.log.contains("does not cover the host name") }, "log: \(refused.log.suffix(2_000))")

        for start in 0..<2 {
            let worker = try WorkerProcess(redisURL: url, prefix: "tinsecure", name: "unchecked\(start)",
                                           extraArguments: ["--redis-tls-ca-file", try TestTLS.caFile, "--redis-tls-insecure-skip-verify"])
            #expect(try eventually(upTo: 30) { worker.log.contains("worker started") }, "log: \(worker.log.suffix(2_000))")
            let warning = worker.log.split(separator: "\n").first { $0.contains("event=redis.tls_verification_disabled") }
            #expect(warning?.contains("level=warning") == true, "start \(start): \(worker.log.suffix(2_000))")
            worker.stop()
        }
        let cli = try ChildProcess.run(BuiltProducts.switchboard, ["ping", "--redis", url, "--redis-tls-insecure-skip-verify"])
        #expect(cli.status == 0 && cli.output.contains("warning: TLS certificate verification is OFF"), "\(cli.output)")
    }

    @Test func tlsOptionsWithAPlainURLAreRefusedAndEveryCommandListsThem() throws {
        let run = try ChildProcess.run(BuiltProducts.switchboard, ["ping", "--redis", try TestRedis.tcpURL, "--redis-tls-ca-file", try TestTLS.caFile])
        #expect(run.status != 0 && run.output.contains("rediss://") && run.output.contains("--redis-tls-ca-file"), "\(run.output)")
        for command in [["worker"], ["ping"], ["agent", "status"], ["inspect", "workspace"], ["watch"], ["demo"]] {
            let help = try ChildProcess.run(BuiltProducts.switchboard, command + ["--help"]).output
            for option in ["--redis-tls-ca-file", "REDIS_TLS_CA_FILE", "--redis-tls-cert-file", "REDIS_TLS_CERT_FILE",
                           "--redis-tls-key-file", "REDIS_TLS_KEY_FILE", "--redis-tls-insecure-skip-verify", "REDIS_TLS_INSECURE_SKIP_VERIFY"] {
                #expect(help.contains(option), "\(command.joined(separator: " ")) --help lacks \(option)")
            }
        }
    }
}
