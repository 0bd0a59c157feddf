import ChildProcess
import Foundation
import Testing
import TestSupport

/// The short version of `scripts/chaos.py`: 20 s of mixed load while workers are killed
/// with -9 and replaced, one is stopped with SIGTERM and Redis restarts once. The script
/// starts its own redis-server (it restarts it), not the shared test Redis, and stops by
/// itself; its checks are described in its docstring (`python3 scripts/chaos.py --help`).
/// Run with one intake stream (20 s) and with four shards (a shorter 12 s, to keep the suite's time).
@Suite("Chaos")
struct ChaosTests {
    @Test(.timeLimit(.minutes(4)), arguments: [(shards: 1, seconds: 20), (shards: 4, seconds: 12)])
    func workersSurviveKillsASigtermAndARedisRestart(run: (shards: Int, seconds: Int)) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/chaos.py").path
        let output = NSTemporaryDirectory() + "sb-chaos-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let python = try ChildProcess(executable: try #require(ChildProcess.find("python3")),
                                      arguments: [script, "--duration", String(run.seconds), "--intake-shards", String(run.shards),
                                                  "--switchboard", BuiltProducts.switchboard],
                                      outputPath: output)
        let status = python.waitOrKill(after: .seconds(180))
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "chaos.py said:\n\(log)")
        #expect(log.contains(", 0 failed"), "chaos.py said:\n\(log)")
    }
}
