// Durations as the numbers Redis commands and reports take.

extension Duration {
    /// The duration in whole milliseconds, rounded down (`PX`, `BLOCK`, socket timeouts).
    public var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// The duration in seconds, with a fraction (`BLPOP` timeouts, rates).
    public var fractionalSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension Duration {
    /// The duration as an operator types it in an option: `2s`, `500ms`, `1.5s`.
    public var shortDescription: String {
        let milliseconds = wholeMilliseconds
        if milliseconds < 1000 { return milliseconds == 0 && self > .zero ? "<1ms" : "\(milliseconds)ms" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(Double(milliseconds) / 1000)s"
    }
}
