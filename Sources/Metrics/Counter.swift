// Counter: a family of values that only go up (requests handled, errors), one per label set.

import Synchronization

/// A counter family, made by ``MetricsRegistry/makeCounter(name:help:labelNames:)``.
///
/// ```swift
/// let handled = registry.makeCounter(name: "sb_commands_total", help: "Commands applied.", labelNames: ["op"])
/// handled.increment(labels: ["op": "agent.status"])
/// let statusChanges = handled.labels(["op": "agent.status"])   // keep the child on hot paths
/// statusChanges.increment()
/// ```
/// By convention a counter's name ends in `_total`.
public final class Counter: Sendable {
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

    /// The counter for one set of label values (created at zero on first use); `labels` must
    /// name exactly ``labelNames`` (other names are a programming error: the program stops).
    public func labels(_ labels: [String: String]) -> Child {
        series.child(labels)
    }

    /// Adds `amount` (at least zero) to the counter for `labels`.
    public func increment(by amount: Double = 1, labels: [String: String] = [:]) {
        series.child(labels).increment(by: amount)
    }

    /// The current value for `labels`.
    public func value(labels: [String: String] = [:]) -> Double {
        series.child(labels).value
    }

    func render(into text: inout String) {
        Exposition.header(name: name, help: help, type: "counter", into: &text)
        for (labelValues, child) in series.sorted() {
            Exposition.sample(name, labelNames: labelNames, labelValues: labelValues, value: Exposition.format(child.value), into: &text)
        }
    }

    /// The counter of one label set.
    public final class Child: Sendable {
        private let storage = Mutex<Double>(0)

        init() {}

        /// Adds `amount`, which must be at least zero: a counter never goes down.
        public func increment(by amount: Double = 1) {
            precondition(amount >= 0, "a counter cannot be incremented by \(amount); use a gauge for values that go down")
            storage.withLock { $0 += amount }
        }

        /// The current value.
        public var value: Double {
            storage.withLock { $0 }
        }
    }
}
