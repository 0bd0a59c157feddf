// SIGTERM and SIGINT as events, for commands that run until stopped.
import Foundation
import Glibc
import Synchronization

/// Turns SIGTERM and SIGINT into a call of a handler, without the window in which a
/// signal is lost: `install()` blocks both signals before any other thread exists (threads
/// inherit the mask) and one thread takes them with `sigwait`, so no signal is ignored
/// between a command's start and its handler. With no handler set yet (or none at all), or
/// on a second signal while stopping, the process exits as the default action would.
enum TerminationSignals {
    private static let state = Mutex<(handler: (@Sendable () -> Void)?, fired: Bool)>((nil, false))

    /// Call first in `main`, before anything starts a thread.
    static func install() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let waited = signals
        Thread.detachNewThread {
            var signals = waited
            while true {
                var number: Int32 = 0
                guard sigwait(&signals, &number) == 0 else { continue }
                let handler = state.withLock { state -> (@Sendable () -> Void)? in
                    defer { state.fired = true }
                    return state.fired ? nil : state.handler
                }
                guard let handler else { exit(128 + number) }
                handler()
            }
        }
    }

    /// Calls `handler` (on the signal thread) on the first SIGTERM or SIGINT; a second
    /// signal exits at once.
    static func onSignal(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.handler = handler }
    }
}
