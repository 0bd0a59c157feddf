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
