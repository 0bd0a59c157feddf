import Foundation
import Testing
import TestSupport

/// `scripts/run.sh` stops everything it started (demo, workers, private Redis) whatever
/// became of its output or terminal: a pipe whose reader is gone (`| tee` killed by the
/// same Ctrl-C), SIGHUP from a closed terminal, SIGTERM.
@Suite("scripts/run.sh start and stop")
struct RunScriptTests {
    /// The processes of a started run.sh: itself, its workers and its private redis-server.
    private func expectStarted(_ run: RunScriptProcess, workers: Int) throws {
        let redis = try #require(run.redisPid, "no pid file of the private Redis")
        let started = run.processes()
        #expect(started.contains(redis), "the private redis-server \(redis) is not among:\n\(run.describe(started))")
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
}
