// Scenario 3: from XADD of a status change to its broadcast reaching a subscriber, at a
// steady 1,000 changes per second: p50, p99, max.
import Foundation
import Redis
import Synchronization

enum StatusLatencyScenario {
    static func run(redis: BenchmarkRedis, seconds: Int) throws -> [BenchmarkRow] {
        let fleet = WorkerFleet(redis: redis, prefix: "lat")
        try fleet.start(1)
        defer { fleet.stop() }
        let samples = Mutex<[Double]>([])
        let ready = DispatchSemaphore(value: 0)
        let subscriber = RedisSubscriber(configuration: redis.configuration(name: "bench-watch"), channels: ["lat:{bench}:status"]) { event in
            switch event {
            case .ready: ready.signal()
            case .message(let message):
                if let latency = millisecondsSinceSent(message) { samples.withLock { $0.append(latency) } }
            default: break
            }
        }
        subscriber.start()
        defer { subscriber.stop() }
        ready.wait()
        let connection = RedisConnection(configuration: redis.configuration(name: "bench-producer"))
        let total = seconds * 1_000
        let start = monotonicNanoseconds()
        for index in 0..<total {
            let due = start + UInt64(index) * 1_000_000
            let now = monotonicNanoseconds()
            if due > now { usleep(UInt32((due - now) / 1_000)) }
            try connection.send(fleet.entry(["op", "agent.status", "workspace", "bench", "agent", "a\(index % 100)",
                                             "status", index % 2 == 0 ? "busy" : "away", "message", "t\(monotonicNanoseconds())"]))
        }
        try fleet.settle(on: connection)
        // Let the last broadcasts arrive (they follow the acknowledgement by microseconds).
        let deadline = monotonicNanoseconds() + 2_000_000_000
        while samples.withLock({ $0.count }) < total && monotonicNanoseconds() < deadline { usleep(1_000) }
        let sorted = samples.withLock { $0.sorted() }
        guard !sorted.isEmpty else { throw BenchmarkError("no broadcast arrived") }
        let percentile = { (p: Double) in sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return [
            BenchmarkRow(scenario: "latency", name: "XADD → broadcast p50 (1,000/s, \(sorted.count) samples)", unit: "ms", value: percentile(0.5), baseline: nil, goalRatio: nil),
            BenchmarkRow(scenario: "latency", name: "XADD → broadcast p99", unit: "ms", value: percentile(0.99), baseline: nil, goalRatio: nil, goalMaximum: 2),
            BenchmarkRow(scenario: "latency", name: "XADD → broadcast max", unit: "ms", value: sorted.last!, baseline: nil, goalRatio: nil),
        ]
    }
}

/// How long ago a broadcast's status change was written, from the monotonic time the
/// benchmark put in its message (`t<nanoseconds>`); nil for other messages.
func millisecondsSinceSent(_ message: RedisPubSubMessage) -> Double? {
    guard let range = message.text.range(of: "\"message\":\"t"),
          let sent = UInt64(message.text[range.upperBound...].prefix { $0.isNumber }) else { return nil }
    return Double(monotonicNanoseconds() - sent) / 1e6
}

func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
