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
    /// An absolute goal: at least this value.
    var goalMinimum: Double? = nil
    /// An absolute goal: at most this value.
    var goalMaximum: Double? = nil

    var ratio: Double? { baseline.map { value / $0 } }
    var meetsGoal: Bool? {
        if let goalMinimum { return value >= goalMinimum }
        if let goalMaximum { return value <= goalMaximum }
        guard let ratio, let goalRatio else { return nil }
        return ratio >= goalRatio
    }

    var goalText: String {
        if let goalMinimum { return "≥ \(Self.format(goalMinimum)) \(unit)" }
        if let goalMaximum { return "≤ \(Self.format(goalMaximum)) \(unit)" }
        return goalRatio.map { String(format: "≥ %.2f×", $0) } ?? "–"
    }

    /// A Markdown table row.
    var markdown: String {
        let ratioText = ratio.map { String(format: "%.2f×", $0) } ?? "–"
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
