// One measured figure next to its baseline and goal.

/// A figure from one scenario, with the `redis-benchmark` baseline measured in the same run.
struct BenchmarkRow: Codable {
    let scenario: String
    let name: String
    let unit: String
    let value: Double
    let baseline: Double?
    /// The goal as a fraction of the baseline (e.g. 0.9 = at least 90 % of redis-benchmark).
    let goalRatio: Double?

    var ratio: Double? { baseline.map { value / $0 } }
    var meetsGoal: Bool? {
        guard let ratio, let goalRatio else { return nil }
        return ratio >= goalRatio
    }

    /// A Markdown table row.
    var markdown: String {
        let ratioText = ratio.map { String(format: "%.2f×", $0) } ?? "–"
        let goalText = goalRatio.map { String(format: "≥ %.2f×", $0) } ?? "–"
        let verdict = meetsGoal.map { $0 ? "met" : "**short**" } ?? "–"
        return "| \(scenario) | \(name) | \(Self.format(value)) \(unit) | \(baseline.map { Self.format($0) + " " + unit } ?? "–") | \(ratioText) | \(goalText) | \(verdict) |"
    }

    static let header = """
    | scenario | measure | Switchboard | redis-benchmark | ratio | goal | verdict |
    |---|---|---|---|---|---|---|
    """

    static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
    }
}
