// Histogram: a family of distributions (latencies) counted into buckets, one per label set.

import Synchronization

/// A histogram family, made by ``MetricsRegistry/makeHistogram(name:help:labelNames:buckets:)``.
///
/// ```swift
/// let latency = registry.makeHistogram(name: "sb_command_seconds", help: "Time to apply a command.", labelNames: ["op"])
/// let start = ContinuousClock.now
/// …
/// latency.observe(ContinuousClock.now - start, labels: ["op": "agent.status"])
/// ```
/// Exposed as cumulative `<name>_bucket{le="…"}` samples ending with `le="+Inf"`, then
/// `<name>_sum` and `<name>_count`. By convention a histogram of durations is in seconds
/// and its name ends in `_seconds`.
public final class Histogram: Sendable {
    /// Latency buckets from half a millisecond to ten seconds, in seconds.
    public static let defaultBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// The metric name.
    public let name: String
    /// The `# HELP` text.
    public let help: String
    /// The label names every sample carries, in output order (`le` is added to buckets).
    public let labelNames: [String]
    /// The upper bounds of the buckets, increasing; the `+Inf` bucket is implicit.
    public let buckets: [Double]
    let series: SeriesTable<Child>

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        MetricName.validate(metric: name, labelNames: labelNames, reserved: ["le"])
        let bounds = buckets.last == .infinity ? Array(buckets.dropLast()) : buckets
        precondition(bounds.allSatisfy(\.isFinite), "histogram \(name): bucket bounds \(buckets) must be finite numbers")
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "histogram \(name): bucket bounds \(buckets) must increase")
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.buckets = bounds
        series = SeriesTable(family: name, labelNames: labelNames) { Child(upperBounds: bounds) }
    }

    /// The histogram for one set of label values (created empty on first use); `labels` must
    /// name exactly ``labelNames`` (other names are a programming error: the program stops).
    public func labels(_ labels: [String: String]) -> Child {
        series.child(labels)
    }

    /// Counts `value` (seconds, for a latency) into the histogram for `labels`.
    public func observe(_ value: Double, labels: [String: String] = [:]) {
        series.child(labels).observe(value)
    }

    /// Counts `duration`, in seconds, into the histogram for `labels`.
    public func observe(_ duration: Duration, labels: [String: String] = [:]) {
        series.child(labels).observe(duration)
    }

    /// The buckets, sum and count for `labels`.
    public func snapshot(labels: [String: String] = [:]) -> Snapshot {
        series.child(labels).snapshot
    }

    func render(into text: inout String) {
        Exposition.header(name: name, help: help, type: "histogram", into: &text)
        let bounds = buckets.map(Exposition.format) + ["+Inf"]
        for (labelValues, child) in series.sorted() {
            let snapshot = child.snapshot
            for (bound, bucket) in zip(bounds, snapshot.buckets) {
                Exposition.sample(
                    name + "_bucket", labelNames: labelNames, labelValues: labelValues, extra: ("le", bound),
                    value: String(bucket.cumulativeCount), into: &text
                )
            }
            Exposition.sample(name + "_sum", labelNames: labelNames, labelValues: labelValues, value: Exposition.format(snapshot.sum), into: &text)
            Exposition.sample(name + "_count", labelNames: labelNames, labelValues: labelValues, value: String(snapshot.count), into: &text)
        }
    }

    /// What one histogram has counted, read at one instant.
    public struct Snapshot: Sendable, Equatable {
        /// Every bucket with the number of values at most its upper bound, the last one `+Inf`.
        public var buckets: [Bucket]
        /// The sum of the values.
        public var sum: Double
        /// How many values were counted (the `+Inf` bucket's count).
        public var count: UInt64
    }

    /// A bucket of a ``Snapshot``.
    public struct Bucket: Sendable, Equatable {
        /// The largest value counted in this bucket.
        public var upperBound: Double
        /// How many values were at most ``upperBound``.
        public var cumulativeCount: UInt64
    }

    /// The histogram of one label set.
    public final class Child: Sendable {
        private struct State {
            var counts: [UInt64]  // per bucket, not cumulative; the last one is +Inf
            var sum: Double = 0
        }

        private let upperBounds: [Double]
        private let state: Mutex<State>

        init(upperBounds: [Double]) {
            self.upperBounds = upperBounds
            state = Mutex(State(counts: Array(repeating: 0, count: upperBounds.count + 1)))
        }

        /// Counts `value` (seconds, for a latency) into the first bucket whose bound is at least `value`.
        public func observe(_ value: Double) {
            let index = bucketIndex(value)
            state.withLock { state in
                state.counts[index] += 1
                state.sum += value
            }
        }

        /// Counts `duration`, in seconds.
        public func observe(_ duration: Duration) {
            let (seconds, attoseconds) = duration.components
            observe(Double(seconds) + Double(attoseconds) * 1e-18)
        }

        /// The buckets, sum and count, consistent with each other.
        public var snapshot: Snapshot {
            let (counts, sum) = state.withLock { ($0.counts, $0.sum) }
            var buckets: [Bucket] = []
            buckets.reserveCapacity(counts.count)
            var cumulative: UInt64 = 0
            for (index, count) in counts.enumerated() {
                cumulative += count
                buckets.append(Bucket(upperBound: index < upperBounds.count ? upperBounds[index] : .infinity, cumulativeCount: cumulative))
            }
            return Snapshot(buckets: buckets, sum: sum, count: cumulative)
        }

        // Binary search for the first bound >= value; NaN is counted in +Inf only.
        private func bucketIndex(_ value: Double) -> Int {
            if value.isNaN { return upperBounds.count }
            var low = 0
            var high = upperBounds.count
            while low < high {
                let middle = (low + high) / 2
                if upperBounds[middle] < value { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }
}
