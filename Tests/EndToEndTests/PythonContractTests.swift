import ChildProcess
import Foundation
import Testing
import TestSupport

@Suite("Contract from a non-Swift client")
struct PythonContractTests {
    /// With one intake stream and with four shards: the script reads the recorded count, as documented.
    @Test(arguments: [1, 4])
    func redisPyDrivesPresenceAndReadsTheBroadcast(shards: Int) throws {
        let harness = try PresenceHarness(shards: shards)
        try harness.awaitRecordedShardCount()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/presence_contract.py").path
        var environment = ProcessInfo.processInfo.environment
        environment["REDIS_URL"] = harness.redisURL
        environment["SB_PREFIX"] = harness.prefix
        environment["SB_WORKSPACE"] = harness.workspace
        let output = NSTemporaryDirectory() + "sb-python-\(harness.prefix).log"
        let python = try ChildProcess(executable: try #require(ChildProcess.find("python3")), arguments: [script],
                                      environment: environment, outputPath: output)
        let status = python.waitOrKill(after: .seconds(120))
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "python said: \(log)")
        #expect(log.contains("4 passed, 0 failed"))
    }
}
