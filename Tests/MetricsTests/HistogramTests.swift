// Histograms: cumulative buckets, bounds that are inclusive, sum and count, durations.

@testable import Metrics
import Testing

@Suite("Histogram")
struct HistogramTests {
    @Test func defaultBucketsSpanHalfAMillisecondToTenSeconds() {
        let histogram = MetricsRegistry().makeHistogram(name: "latency_seconds", help: "L.")
        #expect(histogram.buckets == [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        let bounds = histogram.snapshot().buckets.map(\.upperBound)
        #expect(bounds.last == .infinity)
        #expect(bounds.count == 15)
    }

    @Test func bucketsAreCumulativeAndBoundsInclusive() {
        let histogram = MetricsRegistry().makeHistogram(name: "h", help: "H.", buckets: [1, 2, 4])
        for value in [0.5, 1, 1, 1.5, 2, 3, 4, 4.000001, 100, -7] { histogram.observe(value) }
        let snapshot = histogram.snapshot()
        #expect(snapshot.buckets == [
            Histogram.Bucket(upperBound: 1, cumulativeCount: 4),
            Histogram.Bucket(upperBound: 2, cumulativeCount: 6),
            Histogram.Bucket(upperBound: 4, cumulativeCount: 8),
            Histogram.Bucket(upperBound: .infinity, cumulativeCount: 10),
        ])
        #expect(snapshot.count == 10)
        #expect(abs(snapshot.sum - 110.000001) < 1e-9)
        let counts = snapshot.buckets.map(\.cumulativeCount)
        #expect(counts == counts.sorted())
    }

    @Test func exposedBucketsNeverDecreaseAndEndWithCount() throws {
        let registry = MetricsRegistry()
        let histogram = registry.makeHistogram(name: "req_seconds", help: "R.", labelNames: ["op"])
        var generator = SplitMix64(seed: 7)
        for index in 0..<2_000 {
            let value = Double(generator.next() % 20_000) / 1_000  // 0 to 20 s
            histogram.observe(value, labels: ["op": index % 3 == 0 ? "a" : "b"])
        }
        let lines = registry.exposition().split(separator: "\n")
        for op in ["a", "b"] {
            let buckets = lines.filter { $0.hasPrefix("req_seconds_bucket{op=\"\(op)\",") }
            #expect(buckets.count == 15)
            #expect(buckets.last?.contains("le=\"+Inf\"") == true)
            let counts = try buckets.map { try #require(UInt64($0.split(separator: " ").last!)) }
            #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 <= $1 })
            let count = try #require(lines.first { $0.hasPrefix("req_seconds_count{op=\"\(op)\"}") })
            #expect(count.split(separator: " ").last.flatMap { UInt64($0) } == counts.last)
        }
    }

    @Test func nanCountsOnlyInTheInfiniteBucket() {
        let histogram = MetricsRegistry().makeHistogram(name: "h", help: "H.", buckets: [1])
        histogram.observe(.nan)
        let snapshot = histogram.snapshot()
        #expect(snapshot.buckets.map(\.cumulativeCount) == [0, 1])
        #expect(snapshot.sum.isNaN)
    }

    @Test func durationsAreObservedInSeconds() {
        let histogram = MetricsRegistry().makeHistogram(name: "h_seconds", help: "H.", labelNames: ["op"], buckets: [0.001, 0.01])
        histogram.observe(.microseconds(500), labels: ["op": "x"])
        histogram.labels(["op": "x"]).observe(.milliseconds(5))
        histogram.observe(Duration.seconds(2), labels: ["op": "x"])
        let snapshot = histogram.snapshot(labels: ["op": "x"])
        #expect(snapshot.buckets.map(\.cumulativeCount) == [1, 2, 3])
        #expect(abs(snapshot.sum - 2.0055) < 1e-12)
    }

    @Test func trailingInfinityInBucketsIsImplicit() {
        let registry = MetricsRegistry()
        _ = registry.makeHistogram(name: "h", help: "H.", buckets: [0.5, .infinity])
        #expect(registry.exposition().ranges(of: "le=\"+Inf\"").count == 1)
    }
}

/// A small deterministic generator, so a failing run can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
