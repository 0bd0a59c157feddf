import ChildProcess
import Foundation
import Testing

/// The deployment files (Deploy/, docker-compose.yml, docker-compose.cluster.yml, .dockerignore) checked without a Docker
/// engine, kubectl or systemd: Python/deploy_check.py validates the compose file with
/// `check-jsonschema --builtin-schema vendor.compose-spec` (the official Compose schema, shipped
/// with that tool) and every file against Package.swift and the CLI's sources.
/// Needs python3 with PyYAML and check-jsonschema (scripts/test.sh installs both); no Redis.
@Suite("Deployment files")
struct DeployFilesTests {
    @Test func deployFilesMatchThePackageAndTheirSchemas() throws {
        let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python")
        let script = python.appendingPathComponent("deploy_check.py").path
        let repository = python.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let output = NSTemporaryDirectory() + "sb-deploy-check-\(getpid()).log"
        try? FileManager.default.removeItem(atPath: output)
        let check = try ChildProcess(executable: try #require(ChildProcess.find("python3")), arguments: [script, repository],
                                     environment: ProcessInfo.processInfo.environment, outputPath: output)
        let status = check.waitOrKill(after: .seconds(300))
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "deploy_check.py said: \(log)")
        #expect(log.contains(" 0 failed"), "deploy_check.py said: \(log)")
    }
}
