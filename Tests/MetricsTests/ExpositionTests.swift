// The text format: exact output of a small registry, escaping, numbers, ordering, registration.

@testable import Metrics
import Testing

@Suite("Exposition")
struct ExpositionTests {
    @Test func smallRegistryExactText() {
        let registry = MetricsRegistry()
        let commands = registry.makeCounter(name: "sb_commands_total", help: "Commands applied.", labelNames: ["op", "outcome"])
        commands.increment(labels: ["op": "agent.status", "outcome": "ok"])
        commands.increment(by: 2, labels: ["outcome": "ok", "op": "agent.login"])
        commands.labels(["op": "agent.status", "outcome": "rejected"]).increment()
        registry.makeGauge(name: "sb_redis_connected", help: "1 while connected to Redis.").set(1)
        registry.makeGauge(name: "sb_intake_pending", help: "Entries read but not acknowledged.") { 7 }
        let latency = registry.makeHistogram(
            name: "sb_command_seconds", help: "Time to apply a command.", labelNames: ["op"], buckets: [0.25, 0.5, 1]
        )
        for seconds in [0.125, 0.5, 2] { latency.observe(seconds, labels: ["op": "agent.status"]) }

        #expect(registry.exposition() == """
            # HELP sb_command_seconds Time to apply a command.
            # TYPE sb_command_seconds histogram
            sb_command_seconds_bucket{op="agent.status",le="0.25"} 1
            sb_command_seconds_bucket{op="agent.status",le="0.5"} 2
            sb_command_seconds_bucket{op="agent.status",le="1"} 2
            sb_command_seconds_bucket{op="agent.status",le="+Inf"} 3
            sb_command_seconds_sum{op="agent.status"} 2.625
            sb_command_seconds_count{op="agent.status"} 3
            # HELP sb_commands_total Commands applied.
            # TYPE sb_commands_total counter
            sb_commands_total{op="agent.login",outcome="ok"} 2
            sb_commands_total{op="agent.status",outcome="ok"} 1
            sb_commands_total{op="agent.status",outcome="rejected"} 1
            # HELP sb_intake_pending Entries read but not acknowledged.
            # TYPE sb_intake_pending gauge
            sb_intake_pending 7
            # HELP sb_redis_connected 1 while connected to Redis.
            # TYPE sb_redis_connected gauge
            sb_redis_connected 1

            """)
    }

    @Test func emptyRegistryIsEmptyText() {
        #expect(MetricsRegistry().exposition() == "")
    }

    @Test func unlabelledFamiliesStartAtZeroAndLabelledOnesWithoutSamples() {
        let registry = MetricsRegistry()
        _ = registry.makeCounter(name: "a_total", help: "A.")
        _ = registry.makeCounter(name: "b_total", help: "B.", labelNames: ["op"])
        _ = registry.makeHistogram(name: "c_seconds", help: "C.", buckets: [1])
        #expect(registry.exposition() == """
            # HELP a_total A.
            # TYPE a_total counter
            a_total 0
            # HELP b_total B.
            # TYPE b_total counter
            # HELP c_seconds C.
            # TYPE c_seconds histogram
            c_seconds_bucket{le="1"} 0
            c_seconds_bucket{le="+Inf"} 0
            c_seconds_sum 0
            c_seconds_count 0

            """)
    }

    @Test func labelValuesAreEscaped() {
        let registry = MetricsRegistry()
        let counter = registry.makeCounter(name: "x_total", help: "X.", labelNames: ["v"])
        counter.increment(labels: ["v": "back\\slash \"quoted\"\nnew line"])
        counter.increment(labels: ["v": "crlf\r\nend"])
        counter.increment(labels: ["v": "émoji 🙂 {braces}, comma=equals"])
        counter.increment(labels: ["v": ""])
        let samples = registry.exposition().split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(samples == [
            #"x_total{v=""} 1"#,
            #"x_total{v="back\\slash \"quoted\"\nnew line"} 1"#,
            "x_total{v=\"crlf\r\\nend\"} 1",
            #"x_total{v="émoji 🙂 {braces}, comma=equals"} 1"#,
        ])
    }

    @Test func helpTextIsEscapedButQuotesAreNot() {
        let registry = MetricsRegistry()
        _ = registry.makeGauge(name: "g", help: "C:\\dir \"quoted\"\nsecond line")
        let help = registry.exposition().split(separator: "\n").first
        #expect(help == #"# HELP g C:\\dir "quoted"\nsecond line"#)
    }

    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (1, "1"), (-3, "-3"), (42, "42"), (123_456_789_012, "123456789012"),
        (0.5, "0.5"), (2.5, "2.5"), (0.0005, "0.0005"), (0.1, "0.1"), (1e-05, "1e-05"), (1e20, "1e+20"),
        (-1.25, "-1.25"), (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"),
    ])
    func numbers(value: Double, expected: String) {
        #expect(Exposition.format(value) == expected)
    }

    @Test func familiesSortByNameAndSeriesByLabelValues() {
        let registry = MetricsRegistry()
        let gauge = registry.makeGauge(name: "m_b", help: "B.", labelNames: ["k"])
        for key in ["b", "a", "B", "aa", "ä"] { gauge.set(1, labels: ["k": key]) }
        _ = registry.makeGauge(name: "m_a", help: "A.")
        _ = registry.makeGauge(name: "M_c", help: "C.")
        let lines = registry.exposition().split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("# TYPE") } == ["# TYPE M_c gauge", "# TYPE m_a gauge", "# TYPE m_b gauge"])
        #expect(lines.filter { $0.hasPrefix("m_b{") }.map { $0.split(separator: "\"")[1] } == ["B", "a", "aa", "b", "ä"])
        #expect(registry.exposition() == registry.exposition())
    }

    @Test func computedGaugeIsEvaluatedAtEachScrape() {
        let registry = MetricsRegistry()
        let source = registry.makeGauge(name: "source", help: "Source.")
        registry.makeGauge(name: "pending", help: "Pending.") {
            // The closure may use the registry: it runs outside the registry's lock.
            registry.makeGauge(name: "source", help: "Source.").value() * 2
        }
        source.set(3)
        #expect(registry.exposition().contains("\npending 6\n"))
        source.set(-0.25)
        #expect(registry.exposition().contains("\npending -0.5\n"))
    }

    @Test func makingAFamilyAgainReturnsTheSameOne() {
        let registry = MetricsRegistry()
        let first = registry.makeCounter(name: "c_total", help: "C.", labelNames: ["op"])
        let second = registry.makeCounter(name: "c_total", help: "Other help.", labelNames: ["op"])
        #expect(first === second)
        second.increment(labels: ["op": "x"])
        #expect(first.value(labels: ["op": "x"]) == 1)
        let histogram = registry.makeHistogram(name: "h", help: "H.", buckets: [1, 2])
        #expect(registry.makeHistogram(name: "h", help: "H.", buckets: [1, 2, .infinity]) === histogram)
        #expect(registry.exposition().ranges(of: "# HELP c_total").count == 1)
    }

    @Test func gaugeGoesUpAndDown() {
        let gauge = MetricsRegistry().makeGauge(name: "g", help: "G.", labelNames: ["k"])
        gauge.increment(by: 5, labels: ["k": "a"])
        gauge.decrement(labels: ["k": "a"])
        gauge.labels(["k": "a"]).decrement(by: 0.5)
        #expect(gauge.value(labels: ["k": "a"]) == 3.5)
        gauge.set(-2, labels: ["k": "a"])
        #expect(gauge.labels(["k": "a"]).value == -2)
    }

    @Test(arguments: ["1abc", "", "with-dash", "with space", "é"])
    func invalidMetricNamesAreRefused(name: String) {
        #expect(!MetricName.isValidMetricName(name))
    }

    @Test(arguments: ["abc", "_x", "a:b", "sb_commands_total", "A1"])
    func validMetricNamesAreAccepted(name: String) {
        #expect(MetricName.isValidMetricName(name))
    }

    @Test func labelNamesRules() {
        #expect(MetricName.isValidLabelName("op"))
        #expect(MetricName.isValidLabelName("_op2"))
        #expect(!MetricName.isValidLabelName("__name__"))
        #expect(!MetricName.isValidLabelName("a:b"))
        #expect(!MetricName.isValidLabelName("2a"))
    }

    @Test func misuseStopsTheProgramWithAMessage() async {
        await #expect(processExitsWith: .failure) {
            _ = MetricsRegistry().makeCounter(name: "bad-name", help: "")
        }
        await #expect(processExitsWith: .failure) {
            MetricsRegistry().makeCounter(name: "c_total", help: "", labelNames: ["op"]).increment(labels: ["other": "x"])
        }
        await #expect(processExitsWith: .failure) {
            let registry = MetricsRegistry()
            _ = registry.makeCounter(name: "c", help: "")
            _ = registry.makeGauge(name: "c", help: "")
        }
        await #expect(processExitsWith: .failure) {
            let registry = MetricsRegistry()
            _ = registry.makeHistogram(name: "h", help: "")
            _ = registry.makeCounter(name: "h_count", help: "")
        }
        await #expect(processExitsWith: .failure) {
            _ = MetricsRegistry().makeHistogram(name: "h", help: "", labelNames: ["le"])
        }
        await #expect(processExitsWith: .failure) {
            MetricsRegistry().makeCounter(name: "c_total", help: "").increment(by: -1)
        }
    }
}
