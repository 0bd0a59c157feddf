import ChildProcess
import Foundation
import Testing
import TestSupport

/// `scripts/run.sh` prints a link to the demo's team view on the workers' gateways, and
/// stops everything it started (demo, workers, private Redis or Redis
/// Cluster with `SWITCHBOARD_DEMO_CLUSTER=1`) whatever
/// became of its output or terminal: a pipe whose reader is gone (`| tee` killed by the
/// same Ctrl-C), SIGHUP from a closed terminal, SIGTERM.
@Suite("scripts/run.sh start and stop")
struct RunScriptTests {
    /// The processes of a started run.sh: itself, its workers and its private redis-server
    /// (or the servers given).
    private func expectStarted(_ run: RunScriptProcess, workers: Int, redis servers: [pid_t]? = nil) throws {
        let redis = try servers ?? [#require(run.redisPid, "no pid file of the private Redis")]
        let started = run.processes()
        #expect(redis.allSatisfy(started.contains), "the private redis-server(s) \(redis) are not among:\n\(run.describe(started))")
        #expect(started.contains(run.pid))
        let workerCount = started.filter { run.describe([$0]).contains("switchboard worker") }.count
        #expect(workerCount == workers, "\(run.describe(started))")
    }

    private func expectAllGone(_ run: RunScriptProcess) {
        let left = run.processes()
        #expect(left.isEmpty, "left behind:\n\(run.describe(left))\nrun.sh said:\n\(run.log)")
    }

    @Test(arguments: [SIGINT, SIGHUP, SIGTERM])
    func aSignalStopsEverythingAfterTheOutputPipeLostItsReader(signal: Int32) throws {
        let run = try RunScriptProcess(demo: false, readerExitsAfter: "Ctrl-C stops everything")
        try #require(run.awaitReaderExit(), "run.sh did not get ready:\n\(run.log)")
        try expectStarted(run, workers: 2)

        run.signal(signal)
        let status = run.awaitExit()
        #expect(status == 128 + signal, "run.sh must end through its trap, not die writing to the pipe (141 is SIGPIPE)")
        expectAllGone(run)
    }

    @Test func aSignalToTheScriptAloneStopsTheRunningDemoToo() throws {
        // A closed terminal's SIGHUP, or a supervisor's SIGTERM, may reach run.sh only.
        let run = try RunScriptProcess(demo: true)
        try #require(run.awaitLog(" workers=2 online="), "the demo did not start:\n\(run.log)")
        try expectStarted(run, workers: 2)

        run.signal(SIGHUP)
        #expect(run.awaitExit() == 128 + SIGHUP)
        expectAllGone(run)
        #expect(run.awaitLog("switchboard: stopping the private Redis"), "\(run.log)")
    }

    @Test func theDemoStopsWhenNobodyReadsItsOutputAndTakesEverythingWithIt() throws {
        let run = try RunScriptProcess(demo: true, readerExitsAfter: " workers=2 online=")
        try #require(run.awaitReaderExit(), "the demo did not start:\n\(run.log)")
        #expect(run.awaitExit() == 0)
        expectAllGone(run)
    }

    @Test func itPrintsALinkToTheTeamViewWithATokenForTheDemoSupervisor() throws {
        let run = try RunScriptProcess(demo: true)
        try #require(run.awaitLog(" workers=2 online="), "the demo did not start:\n\(run.log)")
        // The link, printed once before the demo and shown under its view.
        let prefix = "http://127.0.0.1:\(run.firstGatewayPort)/app/#token="
        let line = try #require(run.log.split(separator: "\n").first { $0.contains("team view of workspace demo") }, "\(run.log)")
        let link = try #require(line.split(separator: " ").last.map(String.init), "\(line)")
        try #require(link.hasPrefix(prefix), "not a link to the first worker's team view: \(line)")
        // The demo's view shows it under the table on a terminal (a pipe gets status lines only):
        // it is among the demo's arguments.
        let demo = run.describe(run.processes()).split(separator: "\n").filter { $0.contains("switchboard demo") }
        #expect(demo.contains { $0.contains("team view in a browser: \(link)") }, "the demo is not given the link:\n\(demo)")

        // The page is there, on every worker's gateway.
        for port in [run.firstGatewayPort, run.firstGatewayPort + 1] {
            let page = try #require(httpGet(port: port, path: "/app/"), "nothing answers on the gateway port \(port)")
            #expect(page.status == 200 && page.body.lowercased().contains("<html"), "GET /app/ on \(port): \(page.status) \(page.body.prefix(200))")
        }

        // The token: the demo's supervisor in the demo workspace, signed with the run's key,
        // which only its user may read and the tour's env names.
        let secretFile = run.directory + "/gateway-secret"
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: secretFile)[.posixPermissions] as? Int)
        #expect(mode == 0o600, "the gateway key is readable by others: \(String(mode, radix: 8))")
        let environmentFile = try String(contentsOfFile: run.directory + "/env", encoding: .utf8)
        #expect(environmentFile.contains("export SWITCHBOARD_GATEWAY_SECRET_FILE='\(secretFile)'"), "\(environmentFile)")
        let token = String(link.dropFirst(prefix.count))
        let check = try ChildProcess.run("python3", [GatewayDocsTests.checker, secretFile, token])
        #expect(check.status == 0, "\(check.output)")
        let claims = try GatewayDocsTests.claims(check.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(claims["sub"] as? String == "ana" && claims["workspace"] as? String == "demo" && claims["role"] as? String == "supervisor", "\(claims)")

        run.signal(SIGTERM)
        #expect(run.awaitExit() == 128 + SIGTERM)
        expectAllGone(run)
    }

    @Test func theDemoRunsOnAPrivateClusterWhichStopsWithEverythingElse() throws {
        let run = try RunScriptProcess(demo: true, environment: ["SWITCHBOARD_DEMO_CLUSTER": "1"])
        try #require(run.awaitLog(" workers=2 online="), "the demo did not start on the cluster:\n\(run.log)")
        #expect(run.log.contains("started a private Redis Cluster of 3 primaries at redis://127.0.0.1:"), "\(run.log)")
        #expect(run.redisPid == nil, "no single private Redis beside the cluster")
        #expect(run.clusterPids.count == 3, "\(run.clusterPids)")
        try expectStarted(run, workers: 2, redis: run.clusterPids)
        let environmentFile = try String(contentsOfFile: run.directory + "/env", encoding: .utf8)
        #expect(environmentFile.contains("export REDIS_URL='redis://127.0.0.1:") && environmentFile.contains("redis-cli -c -p "), "\(environmentFile)")

        run.signal(SIGTERM)
        #expect(run.awaitExit() == 128 + SIGTERM)
        expectAllGone(run)
        #expect(run.awaitLog("switchboard: stopping the private Redis Cluster"), "\(run.log)")
    }

    @Test func anInheritedRedisURLIsNamedWithoutItsPasswordBeforeAnythingIsWritten() throws {
        let server = try RedisServerProcess(tcp: true, arguments: ["--requirepass", "run-secret"])
        let port = try #require(server.port)
        let run = try RunScriptProcess(demo: false, environment: ["REDIS_URL": "redis://:run-secret@127.0.0.1:\(port)"],
                                       readerExitsAfter: "Ctrl-C stops everything")
        try #require(run.awaitReaderExit(), "run.sh did not get ready:\n\(run.log)")
        let lines = run.log.split(separator: "\n").map(String.init)
        let named = try #require(lines.firstIndex { $0.contains("using the Redis in REDIS_URL: redis://:***@127.0.0.1:\(port)") }, "\(run.log)")
        let ready = try #require(lines.firstIndex { $0.contains("workers ready") }, "\(run.log)")
        #expect(named < ready, "named before the workers write their group and heartbeats:\n\(run.log)")
        #expect(!run.log.contains("run-secret"))
        #expect(!FileManager.default.fileExists(atPath: run.directory + "/redis"), "no private Redis with REDIS_URL set")
        let environmentFile = try String(contentsOfFile: run.directory + "/env", encoding: .utf8)
        #expect(!environmentFile.contains("run-secret"), "the tour's env file leaves a URL with a password out:\n\(environmentFile)")

        run.signal(SIGTERM)
        #expect(run.awaitExit() == 128 + SIGTERM)
        expectAllGone(run)
    }

    @Test func thePrivateRedisIsReadyOnlyWhenItAnswersPONGNotWhileItLoads() throws {
        // The second start of run.sh finds an AOF to load; here a dataset slow to load stands in.
        let loaded = try SlowLoadingRedis()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sb-private-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: loaded.server.directory.appendingPathComponent("dump.rdb"), to: folder.appendingPathComponent("dump.rdb"))

        let prerequisites = RunScriptProcess.repository.path + "/scripts/lib/prerequisites.sh"
        let script = """
            . "$0"
            trap stop_private_redis EXIT
            start_private_redis "$1" --save "" --appendonly no --key-load-delay 750 --loading-process-events-interval-bytes 1024
            redis-cli -s "$REDIS_SOCKET" DBSIZE
            """
        let run = try ChildProcess.run("bash", ["-c", script, prerequisites, folder.path])
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n")
        #expect(lines.last == "\(loaded.keys)", "start_private_redis returned before the data was loaded:\n\(run.output)")
    }
}
