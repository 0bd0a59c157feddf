// MetricsRegistry: the metric families of a process and their Prometheus text exposition.
// Deliberately small (a swift-prometheus look-alike) because the package takes no dependencies.

import Synchronization

/// Creates and holds counters, gauges and histograms, and renders them all in the Prometheus
/// text format 0.0.4 for a `/metrics` endpoint. Safe to use from any thread.
///
/// ```swift
/// let registry = MetricsRegistry()
/// let commands = registry.makeCounter(name: "sb_commands_total", help: "Commands applied.", labelNames: ["op"])
/// commands.increment(labels: ["op": "agent.status"])
/// registry.makeGauge(name: "sb_intake_pending", help: "Entries read but not acknowledged.") { Double(pending()) }
/// let body = registry.exposition()   // serve with Content-Type MetricsRegistry.contentType
/// ```
///
/// Making a family with the name of one already registered returns the existing family when
/// its kind, label names (and buckets) are the same; otherwise, and for invalid names, the
/// program stops with a message: metric names come from source code.
public final class MetricsRegistry: Sendable {
    /// The `Content-Type` of ``exposition()``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let families = Mutex<[String: Family]>([:])

    /// Creates an empty registry.
    public init() {}

    /// Registers (or returns the registered) counter family `name`.
    /// - Parameters:
    ///   - name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, conventionally ending in `_total`.
    ///   - help: One line saying what is counted.
    ///   - labelNames: The labels each sample carries, e.g. `["op"]`; none by default.
    public func makeCounter(name: String, help: String, labelNames: [String] = []) -> Counter {
        let registered = register(.counter(Counter(name: name, help: help, labelNames: labelNames)))
        guard case .counter(let counter) = registered, counter.labelNames == labelNames else {
            preconditionFailure(conflict(registered, wanted: "counter", labelNames: labelNames))
        }
        return counter
    }

    /// Registers (or returns the registered) gauge family `name`.
    /// - Parameters:
    ///   - name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    ///   - help: One line saying what is measured.
    ///   - labelNames: The labels each sample carries; none by default.
    public func makeGauge(name: String, help: String, labelNames: [String] = []) -> Gauge {
        let registered = register(.gauge(Gauge(name: name, help: help, labelNames: labelNames)))
        guard case .gauge(let gauge) = registered, gauge.labelNames == labelNames else {
            preconditionFailure(conflict(registered, wanted: "gauge", labelNames: labelNames))
        }
        return gauge
    }

    /// Registers a gauge without labels whose value `value` computes at each scrape, e.g. the
    /// entries currently pending. `value` runs on the thread that calls ``exposition()``, outside
    /// the registry's lock (so it may use the registry), and should return quickly.
    /// A second registration of the same name stops the program.
    public func makeGauge(name: String, help: String, computing value: @escaping @Sendable () -> Double) {
        let gauge = ComputedGauge(name: name, help: help, compute: value)
        let registered = register(.computedGauge(gauge))
        guard case .computedGauge(let existing) = registered, existing === gauge else {
            preconditionFailure(conflict(registered, wanted: "computed gauge", labelNames: []))
        }
    }

    /// Registers (or returns the registered) histogram family `name`.
    /// - Parameters:
    ///   - name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, conventionally ending in `_seconds` for durations.
    ///   - help: One line saying what is measured.
    ///   - labelNames: The labels each sample carries (not `le`); none by default.
    ///   - buckets: Increasing finite upper bounds; `+Inf` is always added.
    ///     ``Histogram/defaultBuckets`` span 0.5 ms to 10 s.
    public func makeHistogram(
        name: String, help: String, labelNames: [String] = [], buckets: [Double] = Histogram.defaultBuckets
    ) -> Histogram {
        let candidate = Histogram(name: name, help: help, labelNames: labelNames, buckets: buckets)
        let registered = register(.histogram(candidate))
        guard case .histogram(let histogram) = registered, histogram.labelNames == labelNames,
              histogram.buckets == candidate.buckets else {
            preconditionFailure(conflict(registered, wanted: "histogram with buckets \(candidate.buckets)", labelNames: labelNames))
        }
        return histogram
    }

    /// Every family in the Prometheus text format 0.0.4: families sorted by name, each with
    /// `# HELP` and `# TYPE` lines, then its samples sorted by label values.
    public func exposition() -> String {
        // Render outside the lock: a computed gauge's closure may itself use the registry.
        let snapshot = families.withLock { Array($0.values) }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var text = ""
        for family in snapshot { family.render(into: &text) }
        return text
    }

    /// Inserts `family` unless its name is taken, and returns the family registered under its name.
    private func register(_ family: Family) -> Family {
        families.withLock { families in
            if let existing = families[family.name] { return existing }
            let names = family.sampleNames
            for other in families.values where !other.sampleNames.isDisjoint(with: names) {
                preconditionFailure("metric \(family.name) would write samples named like those of \(other.name) (\(other.sampleNames.intersection(names).sorted()))")
            }
            families[family.name] = family
            return family
        }
    }

    private func conflict(_ registered: Family, wanted: String, labelNames: [String]) -> String {
        "metric \(registered.name) is already registered as a \(registered.description); cannot make it a \(wanted) with labels \(labelNames)"
    }
}

/// A registered family of any kind.
private enum Family: Sendable, CustomStringConvertible {
    case counter(Counter)
    case gauge(Gauge)
    case computedGauge(ComputedGauge)
    case histogram(Histogram)

    var name: String {
        switch self {
        case .counter(let counter): counter.name
        case .gauge(let gauge): gauge.name
        case .computedGauge(let gauge): gauge.name
        case .histogram(let histogram): histogram.name
        }
    }

    /// The names its sample lines use; two families may not share one.
    var sampleNames: Set<String> {
        switch self {
        case .histogram(let histogram): [histogram.name + "_bucket", histogram.name + "_sum", histogram.name + "_count"]
        default: [name]
        }
    }

    var description: String {
        switch self {
        case .counter(let counter): "counter with labels \(counter.labelNames)"
        case .gauge(let gauge): "gauge with labels \(gauge.labelNames)"
        case .computedGauge: "computed gauge"
        case .histogram(let histogram): "histogram with labels \(histogram.labelNames) and buckets \(histogram.buckets)"
        }
    }

    func render(into text: inout String) {
        switch self {
        case .counter(let counter): counter.render(into: &text)
        case .gauge(let gauge): gauge.render(into: &text)
        case .computedGauge(let gauge): gauge.render(into: &text)
        case .histogram(let histogram): histogram.render(into: &text)
        }
    }
}
