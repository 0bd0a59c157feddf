import ChildProcess
import Foundation
import Glibc
import Testing
import TestSupport

/// SIGTERM and SIGINT stop a worker whenever they arrive.
@Suite("Worker shutdown")
struct ShutdownTests {
    /// Waits for a child to exit, SIGKILLing it after `limit` so a hang fails the test
    /// instead of hanging the suite.
    static func exitStatus(of child: ChildProcess, within limit: Duration = .seconds(20)) -> Int32? {
        child.waitOrKill(after: limit)
    }

    /// Regression: the worker used to ignore SIGTERM between setting SIG_IGN and its
    /// Dispatch signal source becoming active, so a worker stopped right after it started
    /// ran on for ever.
    @Test func aSignalRightAfterStartStopsTheWorker() throws {
        let url = try TestRedis.url
        // No HTTP endpoint: the default ports belong to DefaultHTTPPortTests while it runs.
        for attempt in 0..<12 {
            let child = try ChildProcess(executable: BuiltProducts.switchboard,
                                         arguments: ["worker", "--redis", url, "--prefix", String(TestRedis.uniquePrefix().dropLast()), "--name", "early\(attempt)",
                                                     "--http", "off"],
                                         outputPath: "/dev/null")
            if attempt % 3 == 1 { usleep(UInt32(attempt) * 2_000) }
            child.signal(attempt % 2 == 0 ? SIGTERM : SIGINT)
            let status = Self.exitStatus(of: child)
            #expect(status != nil, "attempt \(attempt): the worker ignored the signal")
            #expect(status == 0 || status == 128 + SIGTERM || status == 128 + SIGINT, "attempt \(attempt): exit status \(String(describing: status))")
        }
    }
}
