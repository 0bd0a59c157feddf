// What /healthz and /readyz report: the worker loop writes it, the HTTP thread reads it.
import Foundation
import Synchronization

/// The worker's readiness, shared between its loop and its HTTP endpoint.
public final class WorkerHealth: Sendable {
    private struct State {
        var ready = false
        var lastSuccess: ContinuousClock.Instant?
        var problem: String? = "starting"
    }
    private let state = Mutex(State())
    /// Without a successful Redis round trip for this long, the worker is not ready.
    let staleAfter: Duration

    public init(staleAfter: Duration = .seconds(5)) { self.staleAfter = staleAfter }

    /// The group exists and the function library was loaded at connect: from now on, successes count.
    func becameReady() { state.withLock { $0.ready = true; $0.lastSuccess = .now; $0.problem = nil } }
    /// A Redis round trip worked.
    func succeeded() { state.withLock { $0.lastSuccess = .now; if $0.ready { $0.problem = nil } } }
    /// Redis failed; `problem` says how, for /readyz.
    func failed(_ problem: String, linkLost: Bool) {
        state.withLock { $0.problem = problem; if linkLost { $0.ready = false } }
    }

    /// nil when ready, else the sentence /readyz answers with.
    public var notReadyReason: String? {
        state.withLock { state in
            if let problem = state.problem { return problem }
            guard state.ready, let last = state.lastSuccess else { return "starting" }
            if ContinuousClock.now - last > staleAfter { return "no successful Redis call for \(ContinuousClock.now - last)" }
            return nil
        }
    }
}
