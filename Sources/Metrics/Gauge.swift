// Gauge: a family of values that go up and down (connections, queue depth), one per label set.

import Synchronization

/// A gauge family, made by ``MetricsRegistry/makeGauge(name:help:labelNames:)``.
///
/// For a value that is cheaper to read when scraped than to keep up to date (entries pending in
/// a stream), use ``MetricsRegistry/makeGauge(name:help:computing:)`` instead.
public final class Gauge: Sendable {
    /// The metric name.
    public let name: String
    /// The `# HELP` text.
    public let help: String
    /// The label names every sample carries, in output order.
    public let labelNames: [String]
    let series: SeriesTable<Child>

    init(name: String, help: String, labelNames: [String]) {
        MetricName.validate(metric: name, labelNames: labelNames)
        self.name = name
        self.help = help
        self.labelNames = labelNames
        series = SeriesTable(family: name, labelNames: labelNames) { Child() }
    }

    /// The gauge for one set of label values (created at zero on first use); `labels` must
    /// name exactly ``labelNames`` (other names are a programming error: the program stops).
    public func labels(_ labels: [String: String]) -> Child {
        series.child(labels)
    }

    /// Sets the gauge for `labels` to `value`.
    public func set(_ value: Double, labels: [String: String] = [:]) {
        series.child(labels).set(value)
    }

    /// Adds `amount` to the gauge for `labels`.
    public func increment(by amount: Double = 1, labels: [String: String] = [:]) {
        series.child(labels).increment(by: amount)
    }

    /// Subtracts `amount` from the gauge for `labels`.
    public func decrement(by amount: Double = 1, labels: [String: String] = [:]) {
        series.child(labels).decrement(by: amount)
    }

    /// The current value for `labels`.
    public func value(labels: [String: String] = [:]) -> Double {
        series.child(labels).value
    }

    func render(into text: inout String) {
        Exposition.header(name: name, help: help, type: "gauge", into: &text)
        for (labelValues, child) in series.sorted() {
            Exposition.sample(name, labelNames: labelNames, labelValues: labelValues, value: Exposition.format(child.value), into: &text)
        }
    }

    /// The gauge of one label set.
    public final class Child: Sendable {
        private let storage = Mutex<Double>(0)

        init() {}

        /// Sets the value.
        public func set(_ value: Double) {
            storage.withLock { $0 = value }
        }

        /// Adds `amount`.
        public func increment(by amount: Double = 1) {
            storage.withLock { $0 += amount }
        }

        /// Subtracts `amount`.
        public func decrement(by amount: Double = 1) {
            storage.withLock { $0 -= amount }
        }

        /// The current value.
        public var value: Double {
            storage.withLock { $0 }
        }
    }
}

/// A gauge without labels whose value a closure computes at each scrape.
final class ComputedGauge: Sendable {
    let name: String
    let help: String
    private let compute: @Sendable () -> Double

    init(name: String, help: String, compute: @escaping @Sendable () -> Double) {
        MetricName.validate(metric: name, labelNames: [])
        self.name = name
        self.help = help
        self.compute = compute
    }

    func render(into text: inout String) {
        Exposition.header(name: name, help: help, type: "gauge", into: &text)
        Exposition.sample(name, labelNames: [], labelValues: [], value: Exposition.format(compute()), into: &text)
    }
}
