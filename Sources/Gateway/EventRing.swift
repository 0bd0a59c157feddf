// The last events of a workspace, kept by its hub so that a resuming or newly snapshotted
// client catches up without a Redis read.

/// Consecutive events (by version), at most `capacity`, oldest dropped first.
struct EventRing {
    let capacity: Int
    private var events: [FeedEvent] = []
    private var start = 0

    init(capacity: Int) { self.capacity = capacity }

    var isEmpty: Bool { start == events.count }
    var count: Int { events.count - start }
    /// The oldest event's version.
    var firstVersion: Int? { isEmpty ? nil : events[start].version }

    /// Appends the next event; one that does not follow the last (a gap) empties the ring first.
    mutating func append(_ event: FeedEvent) {
        if let last = events.last, !isEmpty, event.version != last.version + 1 { removeAll() }
        events.append(event)
        if count > capacity { start += 1 }
        // Compact now and then: amortised O(1) per event.
        if start >= capacity { events.removeFirst(start); start = 0 }
    }

    mutating func removeAll() {
        events.removeAll(keepingCapacity: true)
        start = 0
    }

    /// Whether the ring holds every event from `version` on (the events after the ring's
    /// last are not known yet, so `version` one past the last counts as held).
    func holds(from version: Int) -> Bool {
        guard let first = firstVersion, let last = events.last?.version else { return false }
        return first <= version && version <= last + 1
    }

    /// The events with a version above `version` (call after ``holds(from:)`` said yes for `version + 1`).
    func events(after version: Int) -> ArraySlice<FeedEvent> {
        guard let first = firstVersion else { return [] }
        let offset = max(0, version + 1 - first)
        return offset >= count ? [] : events[(start + offset)...]
    }
}
