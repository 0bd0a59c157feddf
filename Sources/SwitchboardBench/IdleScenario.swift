// Scenario 7: what costs nothing when nothing happens. A worker whose Redis is down must
// wait out its backoff, not spin; a widget's business-hours search over a sparse year must
// step from boundary to boundary, not minute by minute.
import ChildProcess
import Foundation
import Switchboard

enum IdleScenario {
    static func run(redis: BenchmarkRedis, seconds: Int) throws -> [BenchmarkRow] {
        [try cpuWhileRedisIsDown(redis: redis, seconds: seconds), try scheduleSearch()]
    }

    /// CPU share of one worker pointed at a Redis socket where nothing listens.
    static func cpuWhileRedisIsDown(redis: BenchmarkRedis, seconds: Int) throws -> BenchmarkRow {
        let worker = try ChildProcess(executable: WorkerFleet.switchboardBinary,
                                      arguments: ["worker", "--redis", "unix://\(redis.directory)/nothing-listens.sock", "--prefix", "idle",
                                                  "--name", "bench-idle", "--log-level", "warning", "--http", "off"],
                                      outputPath: redis.directory + "/worker-idle.log")
        defer {
            worker.signal(SIGTERM)
            if worker.waitOrKill(after: .seconds(10)) == nil { FileHandle.standardError.write(Data("switchboard-bench: the idle worker ignored SIGTERM\n".utf8)) }
        }
        // Past the first failures, when the backoff has grown to its usual size.
        Thread.sleep(forTimeInterval: 3)
        let before = WorkerFleet.cpuSeconds(worker.pid)
        Thread.sleep(forTimeInterval: Double(seconds))
        let share = (WorkerFleet.cpuSeconds(worker.pid) - before) / Double(seconds)
        return BenchmarkRow(scenario: "idle", name: "worker CPU while Redis is down", unit: "% CPU", value: share * 100,
                            baseline: nil, goalRatio: nil, goalMaximum: 1)
    }

    /// Mean time of one `nextChange` search over a schedule that is open one hour in 400 days.
    static func scheduleSearch() throws -> BenchmarkRow {
        let sparse = try WidgetSchedule(hours: "", timeZone: "Europe/Berlin", exceptions: "2027-01-20 10:00-11:00")
        let start = Date(timeIntervalSince1970: 1_767_614_400)  // 2026-01-05 12:00 UTC
        let searches = 200
        let began = ContinuousClock.now
        var found = 0
        for offset in 0..<searches where sparse.nextChange(after: start.addingTimeInterval(Double(offset) * 3600)) != nil { found += 1 }
        let elapsed = began.duration(to: .now)
        guard found == searches else { throw BenchmarkError("schedule search found \(found) of \(searches) changes") }
        let milliseconds = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
        return BenchmarkRow(scenario: "idle", name: "widget schedule search over 400 days", unit: "ms", value: milliseconds / Double(searches),
                            baseline: nil, goalRatio: nil, goalMaximum: 25)
    }
}
