import ChildProcess
import Foundation
import Testing

/// scripts/check-self-contained.sh, which scripts/test.sh runs first: it passes on this
/// repository and fails, naming each one, on planted references to files outside a repository.
@Suite("Self-contained repository")
struct SelfContainedTests {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private static let check = repository.appendingPathComponent("scripts/check-self-contained.sh").path

    @Test func thisRepositoryRefersToNothingOutsideIt() throws {
        let run = try ChildProcess.run("bash", [Self.check, Self.repository.path])
        #expect(run.status == 0, "\(run.output)")
    }

    @Test func plantedReferencesOutsideARepositoryAreEachNamed() throws {
        let planted = FileManager.default.temporaryDirectory.appendingPathComponent("sb-self-contained-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: planted) }
        let files = [
            // Written in pieces so that the check does not flag this file itself.
            "Tests/schema_check.py": "schema = open(\"../" + "sha" + "red/sch" + "emas/compose-spec.json\")\n",
            "docs/notes.md": "As the design says ([design](../../DESIGN" + ".md)), and see [keys](../docs/keys.md).\n",
            "scripts/build.sh": "cp ../../" + "../outside/file .\n",
            "README.md": "Nothing outside here: [docs](docs/notes.md).\n",
        ]
        for (path, text) in files {
            let url = planted.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let run = try ChildProcess.run("bash", [Self.check, planted.path])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("Tests/schema_check.py:1:"), "\(run.output)")
        #expect(run.output.contains("docs/notes.md:1:"), "\(run.output)")
        #expect(run.output.contains("scripts/build.sh:1: ../../" + "../outside/file climbs above the repository"), "\(run.output)")
        #expect(!run.output.contains("README.md"), "a path inside the repository was flagged: \(run.output)")
        #expect(!run.output.contains("../docs/keys.md climbs"), "a parent path that stays inside was flagged: \(run.output)")
    }
}
