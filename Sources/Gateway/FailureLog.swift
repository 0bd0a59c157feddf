// One log line when a kind of Redis work starts failing and one when it works again, not
// one per retry (hubs retry every half second; thousands of streams write sessions).
import Logging
import Synchronization

/// Logs the first failure after a success, and the first success after a failure.
final class FailureLog: Sendable {
    private let failing = Atomic<Bool>(false)
    private let logger: Logger
    /// What fails, e.g. `gateway redis reads`.
    private let what: String

    init(_ what: String, logger: Logger) {
        self.what = what
        self.logger = logger
    }

    /// Records the outcome of one attempt: `error` nil for a success.
    func record(_ error: (any Error)?) {
        let wasFailing = failing.exchange(error != nil, ordering: .relaxed)
        if let error, !wasFailing {
            logger.error("\(what) failed; retrying", metadata: ["error": "\(error)"])
        } else if error == nil, wasFailing {
            logger.notice("\(what) working again")
        }
    }
}
