// An OS thread of its own that runs blocking jobs one after another.
import Foundation

/// One OS thread that runs submitted jobs in order, for blocking work (a hiredis
/// connection) that must stay on one thread and off Swift's cooperative pool.
public final class DedicatedThread: Sendable {
    private let state = NSCondition()
    // Guarded by `state`: written and read only while `state` is locked.
    nonisolated(unsafe) private var jobs: [@Sendable () -> Void] = []
    nonisolated(unsafe) private var stopping = false
    nonisolated(unsafe) private var finished = false
    nonisolated(unsafe) private var threadID: pthread_t?

    /// Starts the thread.
    /// - Parameter name: The thread name shown by debuggers and `top -H`.
    public init(name: String) {
        let thread = Thread { [self] in runLoop() }
        thread.name = name
        thread.start()
    }

    /// Queues a job; it runs on the thread after the jobs queued before it.
    /// Returns false (and drops the job) once the thread is stopping.
    @discardableResult
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        state.lock()
        defer { state.unlock() }
        guard !stopping else { return false }
        jobs.append(job)
        state.signal()
        return true
    }

    /// Runs a job on the thread and returns its result to async code.
    /// - Throws: What the job throws, or `CancellationError` if the thread has stopped.
    public func run<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = submit {
                do { continuation.resume(returning: try job()) } catch { continuation.resume(throwing: error) }
            }
            if !accepted { continuation.resume(throwing: CancellationError()) }
        }
    }

    /// Lets queued jobs finish, then ends the thread; waits until it has ended, except
    /// when called from a job on the thread itself (which would wait for itself forever).
    public func stop() {
        state.lock()
        stopping = true
        state.broadcast()
        let onOwnThread = threadID.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        while !finished && !onOwnThread { state.wait() }
        state.unlock()
    }

    /// Lets queued jobs finish, then ends the thread, without waiting.
    public func requestStop() {
        state.lock()
        stopping = true
        state.broadcast()
        state.unlock()
    }

    private func runLoop() {
        state.lock()
        threadID = pthread_self()
        state.unlock()
        while true {
            state.lock()
            while jobs.isEmpty && !stopping { state.wait() }
            if jobs.isEmpty {
                finished = true
                state.broadcast()
                state.unlock()
                return
            }
            let job = jobs.removeFirst()
            state.unlock()
            job()
        }
    }
}
