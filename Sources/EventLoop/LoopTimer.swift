// LoopTimer: work a loop runs after a delay, kept in a binary heap by deadline.

import Synchronization

/// A pending call of ``EventLoop/schedule(after:_:)``; ``cancel()`` keeps it from running.
public final class LoopTimer: @unchecked Sendable {
    private weak var loop: EventLoop?
    let deadline: ContinuousClock.Instant
    /// Breaks ties between equal deadlines: the earlier scheduled runs first.
    var sequence: UInt64 = 0
    /// The work until it runs or is cancelled on the loop thread (then let go, with what it holds).
    private var work: (() -> Void)?
    private let cancelled = Atomic<Bool>(false)

    init(loop: EventLoop, deadline: ContinuousClock.Instant, work: @escaping () -> Void) {
        self.loop = loop
        self.deadline = deadline
        self.work = work
    }

    /// Keeps the work from running if it has not started yet. Callable from any thread; on
    /// the loop's thread the work (and what it captured) is released at once.
    public func cancel() {
        cancelled.store(true, ordering: .relaxed)
        if loop?.isCurrent == true { work = nil }
    }

    /// Whether it was cancelled.
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Runs the work unless cancelled; loop thread.
    func fire() {
        let work = self.work
        self.work = nil
        if !isCancelled { work?() }
    }

    /// Lets go of the work without running it; loop thread.
    func discard() {
        work = nil
    }
}

/// The loop's timers, earliest deadline first.
struct TimerHeap {
    private var heap: [LoopTimer] = []
    private var nextSequence: UInt64 = 0

    mutating func insert(_ timer: LoopTimer) {
        timer.sequence = nextSequence
        nextSequence += 1
        heap.append(timer)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// The epoll_wait timeout: milliseconds until the earliest live deadline (rounded up, so
    /// the loop never wakes just before it), or -1 (wait forever) without timers.
    mutating func millisecondsUntilNext() -> Int32 {
        while let first = heap.first, first.isCancelled { first.discard(); removeFirst() }
        guard let first = heap.first else { return -1 }
        let remaining = first.deadline - .now
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(min(milliseconds, Int64(Int32.max)))
    }

    /// The next timer due at `now` among those scheduled before `cutoff` (a sequence number),
    /// taken out of the heap. The loop runs them one by one, so that a timer's work may
    /// schedule others (which wait for the next turn: a timer that schedules itself with no
    /// delay cannot starve the sockets).
    mutating func popDue(now: ContinuousClock.Instant, before cutoff: UInt64) -> LoopTimer? {
        guard let first = heap.first, first.deadline <= now, first.sequence < cutoff else { return nil }
        removeFirst()
        return first
    }

    /// The sequence number the next timer scheduled will get.
    var nextSequenceNumber: UInt64 { nextSequence }

    /// Lets go of every timer without running it (the loop stops).
    mutating func removeAll() {
        for timer in heap { timer.discard() }
        heap.removeAll()
    }

    private mutating func removeFirst() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && precedes(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count && precedes(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }

    private func precedes(_ first: LoopTimer, _ second: LoopTimer) -> Bool {
        first.deadline != second.deadline ? first.deadline < second.deadline : first.sequence < second.sequence
    }
}
