// Collects events from another thread and lets a test wait for one, with a deadline.
import Foundation

/// A thread-safe list of events that a test can wait on.
///
/// Waiting is event-driven (a condition variable signalled on every append); the deadline
/// only bounds a test that would otherwise hang when the awaited event never comes.
public final class EventRecorder<Event: Sendable>: @unchecked Sendable {
    // @unchecked: `events` is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var events: [Event] = []

    public init() {}

    /// Records an event and wakes waiters.
    public func record(_ event: Event) {
        condition.lock()
        events.append(event)
        condition.broadcast()
        condition.unlock()
    }

    /// Every event so far.
    public var all: [Event] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    /// Waits until `predicate` holds for the recorded events, or the deadline passes.
    /// - Returns: Whether the predicate held.
    @discardableResult
    public func wait(upTo seconds: Double = 10, until predicate: ([Event]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(events) {
            if !condition.wait(until: deadline) { return predicate(events) }
        }
        return true
    }
}
