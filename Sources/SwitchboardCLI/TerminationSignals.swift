// SIGTERM and SIGINT as events, for commands that run until stopped.
import Dispatch
import Glibc

/// Calls `handler` (on a Dispatch queue) on SIGTERM or SIGINT instead of dying; keep the
/// returned sources alive for as long as the handler should fire, then cancel them.
func onTerminationSignals(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
    [SIGTERM, SIGINT].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }
}
