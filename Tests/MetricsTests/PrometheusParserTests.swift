// A real exposition read back by the Prometheus Python client's own parser
// (prometheus_client.parser.text_string_to_metric_families): what it understands must be
// exactly what was recorded, including escaped label values and help text.

import ChildProcess
import Foundation
import Metrics
import Testing

private struct ParsedFamily: Decodable {
    var name: String
    var type: String
    var documentation: String
    var samples: [ParsedSample]
}

private struct ParsedSample: Decodable, Equatable, CustomStringConvertible {
    var name: String
    var labels: [String: String]
    var value: String  // Python's repr of the float: "3.0", "inf", "nan", "1e-05"

    var number: Double? { Double(value) }
    var description: String { "\(name)\(labels.sorted { $0.key < $1.key }) \(value)" }
}

@Suite("Prometheus parser")
struct PrometheusParserTests {
    /// Runs Python/parse_exposition.py on `text` and returns the families it parsed.
    private func parsedByPrometheusClient(_ text: String) throws -> [ParsedFamily] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/parse_exposition.py").path
        let base = NSTemporaryDirectory() + "metrics-exposition-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer {
            try? FileManager.default.removeItem(atPath: base + ".txt")
            try? FileManager.default.removeItem(atPath: base + ".json")
        }
        try text.write(toFile: base + ".txt", atomically: true, encoding: .utf8)
        let (output, status) = try ChildProcess.run("python3", [script, base + ".txt", base + ".json"])
        try #require(status == 0, "the Prometheus parser refused the exposition: \(output)\n\(text)")
        let json = try #require(FileManager.default.contents(atPath: base + ".json"))
        return try JSONDecoder().decode([ParsedFamily].self, from: json)
    }

    @Test func realExpositionParsesToWhatWasRecorded() throws {
        let registry = MetricsRegistry()
        let tricky = "back\\slash \"quoted\"\nnext line, {braces} = émoji 🙂"
        let commands = registry.makeCounter(
            name: "sb_commands_total", help: "Commands applied, by op.\nSecond line with a \\ backslash and \"quotes\".",
            labelNames: ["op", "outcome"]
        )
        commands.increment(by: 3, labels: ["op": "agent.status", "outcome": "ok"])
        commands.increment(labels: ["op": tricky, "outcome": ""])
        let connected = registry.makeGauge(name: "sb_redis_connected", help: "1 while connected.")
        connected.set(1)
        let odd = registry.makeGauge(name: "sb_odd_values", help: "Values Prometheus spells specially.", labelNames: ["kind"])
        odd.set(.infinity, labels: ["kind": "plus_inf"])
        odd.set(-.infinity, labels: ["kind": "minus_inf"])
        odd.set(.nan, labels: ["kind": "nan"])
        odd.set(1e-05, labels: ["kind": "tiny"])
        odd.set(-2.5, labels: ["kind": "negative"])
        odd.set(1e20, labels: ["kind": "huge"])
        registry.makeGauge(name: "sb_intake_pending", help: "Entries pending.") { 12 }
        _ = registry.makeCounter(name: "sb_unused_total", help: "Never incremented.", labelNames: ["op"])
        let latency = registry.makeHistogram(name: "sb_command_seconds", help: "Time to apply a command.", labelNames: ["op"])
        let observations = [0.0001, 0.0005, 0.003, 0.003, 0.2, 0.75, 3, 42]
        for value in observations { latency.observe(value, labels: ["op": "agent.status"]) }

        let families = try parsedByPrometheusClient(registry.exposition())
        let byName = Dictionary(uniqueKeysWithValues: families.map { ($0.name, $0) })
        // The parser names a counter family without its _total suffix.
        #expect(families.map(\.name) == ["sb_command_seconds", "sb_commands", "sb_intake_pending", "sb_odd_values", "sb_redis_connected", "sb_unused"])

        let counter = try #require(byName["sb_commands"])
        #expect(counter.type == "counter")
        #expect(counter.documentation == "Commands applied, by op.\nSecond line with a \\ backslash and \"quotes\".")
        #expect(counter.samples == [
            ParsedSample(name: "sb_commands_total", labels: ["op": "agent.status", "outcome": "ok"], value: "3.0"),
            ParsedSample(name: "sb_commands_total", labels: ["op": tricky, "outcome": ""], value: "1.0"),
        ])

        let unused = try #require(byName["sb_unused"])
        #expect(unused.type == "counter" && unused.samples.isEmpty)
        #expect(byName["sb_redis_connected"]?.samples == [ParsedSample(name: "sb_redis_connected", labels: [:], value: "1.0")])
        #expect(byName["sb_intake_pending"]?.type == "gauge")
        #expect(byName["sb_intake_pending"]?.samples.first?.number == 12)

        let oddValues = Dictionary(uniqueKeysWithValues: try #require(byName["sb_odd_values"]).samples.map { ($0.labels["kind"] ?? "", $0.number) })
        #expect(oddValues["plus_inf"] == .infinity)
        #expect(oddValues["minus_inf"] == -.infinity)
        #expect(oddValues["nan"]??.isNaN == true)
        #expect(oddValues["tiny"] == 1e-05)
        #expect(oddValues["negative"] == -2.5)
        #expect(oddValues["huge"] == 1e20)

        let histogram = try #require(byName["sb_command_seconds"])
        #expect(histogram.type == "histogram")
        #expect(histogram.documentation == "Time to apply a command.")
        let buckets = histogram.samples.filter { $0.name == "sb_command_seconds_bucket" }
        #expect(buckets.allSatisfy { $0.labels["op"] == "agent.status" })
        let bounds = buckets.compactMap { $0.labels["le"] }
        #expect(bounds == ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"])
        for bucket in buckets {
            let bound = try #require(bucket.labels["le"].flatMap { $0 == "+Inf" ? .infinity : Double($0) })
            let expected = observations.filter { $0 <= bound }.count
            #expect(bucket.number == Double(expected), "le=\(bound)")
        }
        let sum = try #require(histogram.samples.first { $0.name == "sb_command_seconds_sum" }?.number)
        #expect(abs(sum - observations.reduce(0, +)) < 1e-9)
        #expect(histogram.samples.first { $0.name == "sb_command_seconds_count" }?.number == Double(observations.count))
    }
}
