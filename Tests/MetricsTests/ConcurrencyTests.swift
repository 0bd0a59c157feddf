// Many threads updating the same families at once while others scrape: nothing is lost.

import Dispatch
import Metrics
import Testing

@Suite("Concurrency")
struct ConcurrencyTests {
    @Test func incrementsFromManyThreadsSumExactly() {
        let registry = MetricsRegistry()
        let counter = registry.makeCounter(name: "ops_total", help: "Ops.", labelNames: ["shard"])
        let unlabelled = registry.makeCounter(name: "all_total", help: "All.")
        let gauge = registry.makeGauge(name: "in_flight", help: "In flight.")
        let histogram = registry.makeHistogram(name: "op_seconds", help: "Op time.", buckets: [0.5])
        let threads = 16
        let perThread = 5_000
        // concurrentPerform runs the iterations on Dispatch's worker threads (OS threads).
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let shard = counter.labels(["shard": String(thread % 4)])
            for index in 0..<perThread {
                if index.isMultiple(of: 2) { shard.increment() } else { counter.increment(labels: ["shard": String(thread % 4)]) }
                unlabelled.increment(by: 0.5)
                gauge.increment()
                histogram.observe(index.isMultiple(of: 4) ? 1 : 0.25)
                gauge.decrement()
                if index.isMultiple(of: 1_000) { _ = registry.exposition() }
                // New children appear while others are being updated and scraped.
                if index.isMultiple(of: 500) { counter.increment(labels: ["shard": "new-\(thread)-\(index)"]) }
            }
        }
        let total = threads * perThread
        let perShard = (0..<4).map { counter.value(labels: ["shard": String($0)]) }
        #expect(perShard == Array(repeating: Double(total / 4), count: 4))
        #expect(unlabelled.value() == Double(total) / 2)
        #expect(gauge.value() == 0)
        let snapshot = histogram.snapshot()
        #expect(snapshot.count == UInt64(total))
        #expect(snapshot.buckets.map(\.cumulativeCount) == [UInt64(total - total / 4), UInt64(total)])
        #expect(snapshot.sum == Double(total / 4) * 1 + Double(total - total / 4) * 0.25)
        #expect(registry.exposition().split(separator: "\n").filter { $0.hasPrefix("ops_total{shard=\"new-") }.count == threads * 10)
    }

    @Test func registeringFromManyThreadsYieldsOneFamily() {
        let registry = MetricsRegistry()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1_000 { registry.makeCounter(name: "shared_total", help: "Shared.").increment() }
        }
        #expect(registry.makeCounter(name: "shared_total", help: "Shared.").value() == 8_000)
        #expect(registry.exposition().ranges(of: "# TYPE shared_total counter").count == 1)
    }
}
