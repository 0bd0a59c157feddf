// One measured figure next to its baseline and goal.

/// A figure from one scenario, with the `redis-benchmark` baseline measured in the same run.
struct BenchmarkRow: Codable {
    let scenario: String
    let name: String
    let unit: String
    let value: Double
    let baseline: Double?
    /// The goal as a fraction of the baseline (e.g. 0.9 = at least 90 % of redis-benchmark).
    /// A row may have it and an absolute goal: it meets its goal when it meets both.
    let goalRatio: Double?
    /// An absolute goal: at least this value.
    var goalMinimum: Double? = nil
    /// An absolute goal: at most this value.
    var goalMaximum: Double? = nil

    var ratio: Double? { baseline.map { value / $0 } }
    /// Whether every goal the row has is met; nil without a goal.
    var meetsGoal: Bool? {
        var checks: [Bool] = []
        if let goalRatio, let ratio { checks.append(ratio >= goalRatio) }
        if let goalMinimum { checks.append(value >= goalMinimum) }
        if let goalMaximum { checks.append(value <= goalMaximum) }
        return checks.isEmpty ? nil : !checks.contains(false)
    }

    var goalText: String {
        var goals: [String] = []
        if let goalRatio, baseline != nil { goals.append(String(format: "≥ %.2f×", goalRatio)) }
        if let goalMinimum { goals.append("≥ \(Self.format(goalMinimum)) \(unit)") }
        if let goalMaximum { goals.append("≤ \(Self.format(goalMaximum)) \(unit)") }
        return goals.isEmpty ? "–" : goals.joined(separator: " and ")
    }

    /// A Markdown table row.
    var markdown: String {
        let ratioText = ratio.map { String(format: "%.2f×", $0) } ?? "–"
        let verdict = meetsGoal.map { $0 ? "met" : "**short**" } ?? "–"
        return "| \(scenario) | \(name) | \(Self.format(value)) \(unit) | \(baseline.map { Self.format($0) + " " + unit } ?? "–") | \(ratioText) | \(goalText) | \(verdict) |"
    }

    static let header = """
    | scenario | measure | Switchboard | yardstick (redis-benchmark) | ratio | goal | verdict |
    |---|---|---|---|---|---|---|
    """

    static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
    }
}
