// Scenario 5: one status change delivered to 1,000 subscribers (dashboards): p99 of the
// time from XADD to each subscriber receiving it.
import Foundation
import Redis
import Synchronization

enum FanOutScenario {
    static func run(redis: BenchmarkRedis, subscribers count: Int, changes: Int) throws -> [BenchmarkRow] {
        let fleet = WorkerFleet(redis: redis, prefix: "fan")
        try fleet.start(1)
        defer { fleet.stop() }
        let samples = Mutex<[Double]>([])
        let ready = DispatchSemaphore(value: 0)
        let subscribers = (0..<count).map { index in
            RedisSubscriber(configuration: redis.configuration(name: "bench-dashboard-\(index)"), channels: ["fan:{bench}:status"]) { event in
                switch event {
                case .ready: ready.signal()
                case .message(let message):
                    if let latency = millisecondsSinceSent(message) { samples.withLock { $0.append(latency) } }
                default: break
                }
            }
        }
        subscribers.forEach { $0.start() }
        defer { subscribers.forEach { $0.stop() } }
        for _ in 0..<count { ready.wait() }
        let connection = RedisConnection(configuration: redis.configuration(name: "bench-producer"))
        for index in 0..<changes {
            try connection.send(fleet.entry(["op", "agent.status", "workspace", "bench", "agent", "a1",
                                             "status", index % 2 == 0 ? "busy" : "away", "message", "t\(monotonicNanoseconds())"]))
            // One change at a time: wait until every dashboard has it.
            let deadline = monotonicNanoseconds() + 5_000_000_000
            while samples.withLock({ $0.count }) < (index + 1) * count && monotonicNanoseconds() < deadline { usleep(500) }
        }
        let sorted = samples.withLock { $0.sorted() }
        guard !sorted.isEmpty else { throw BenchmarkError("no broadcast reached the subscribers") }
        let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        return [
            BenchmarkRow(scenario: "fan-out", name: "one change → \(count) subscribers, p50 (\(sorted.count) deliveries)", unit: "ms",
                         value: sorted[sorted.count / 2], baseline: nil, goalRatio: nil),
            BenchmarkRow(scenario: "fan-out", name: "one change → \(count) subscribers, p99", unit: "ms", value: p99, baseline: nil, goalRatio: nil),
        ]
    }
}
