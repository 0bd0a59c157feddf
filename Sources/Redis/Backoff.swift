// Delays between reconnection attempts: exponential, capped, jittered.

/// Exponential backoff with jitter, e.g. 100 ms, 200 ms, 400 ms … up to 5 s.
///
/// Jitter spreads the reconnections of many workers after a Redis restart so they do not
/// all knock at the same instant.
public struct Backoff: Sendable, Hashable {
    /// The first delay.
    public var initial: Duration
    /// The largest delay.
    public var maximum: Duration
    /// The fraction of each delay that is randomised (0 = none, 0.5 = ±25 %).
    public var jitter: Double

    /// Creates a backoff policy.
    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5), jitter: Double = 0.5) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The delay before attempt `failures + 1`, after `failures` consecutive failures (≥ 1).
    public func delay(afterFailures failures: Int) -> Duration {
        let exponent = min(max(failures - 1, 0), 30)
        let base = min(initial * (1 << exponent), maximum)
        guard jitter > 0 else { return base }
        let spread = Double.random(in: -jitter / 2...jitter / 2)
        return base + base * spread
    }
}
