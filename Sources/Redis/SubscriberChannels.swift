// The channels of a RedisSubscriber that change while it runs: what callers ask from any
// thread (ChannelRequests), and what its thread has sent and seen confirmed (ChannelBook).
import Glibc
import Synchronization

/// A change of channels asked of a subscriber.
enum ChannelChange: Sendable, Equatable {
    case subscribe([String])
    case unsubscribe([String])
}

/// The channels callers want, and the changes its thread has not applied yet. Any thread asks;
/// a pipe wakes the subscriber's poll so a change goes out at once.
final class ChannelRequests: Sendable {
    private struct State {
        var channels: [String]  // wanted now, in the order first asked
        var changes: [ChannelChange] = []
    }
    private let state: Mutex<State>
    /// Readable while changes wait (or `stop()` was asked): poll it beside the Redis sockets.
    let wakeDescriptor: Int32
    private let wakeWriter: Int32

    init(channels: [String]) {
        var unique: [String] = []
        for channel in channels where !unique.contains(channel) { unique.append(channel) }
        state = Mutex(State(channels: unique))
        var ends: [Int32] = [-1, -1]
        precondition(pipe(&ends) == 0, "pipe failed (errno \(errno)): the process is out of file descriptors")
        for end in ends {
            _ = fcntl(end, F_SETFL, O_NONBLOCK)  // neither a wake nor a drain ever blocks
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wakeDescriptor = ends[0]
        wakeWriter = ends[1]
    }

    deinit {
        close(wakeDescriptor)
        close(wakeWriter)
    }

    /// The channels wanted now.
    var channels: [String] { state.withLock { $0.channels } }

    func subscribe(_ channels: [String]) {
        state.withLock { state in
            for channel in channels where !state.channels.contains(channel) { state.channels.append(channel) }
            state.changes.append(.subscribe(channels))
        }
        wake()
    }

    func unsubscribe(_ channels: [String]) {
        let gone = Set(channels)
        state.withLock { state in
            state.channels.removeAll { gone.contains($0) }
            state.changes.append(.unsubscribe(channels))
        }
        wake()
    }

    /// Makes the subscriber's poll return now.
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)  // a full pipe is awake already
    }

    /// The changes asked since the last call, oldest first; with the channels wanted after
    /// them (what a new connection subscribes).
    func take() -> (changes: [ChannelChange], channels: [String]) {
        var drained = [UInt8](repeating: 0, count: 256)
        while read(wakeDescriptor, &drained, drained.count) == drained.count {}
        return state.withLock { state in
            defer { state.changes.removeAll() }
            return (state.changes, state.channels)
        }
    }
}

/// What a subscriber's thread knows of its channels on the current connection, plus the
/// `.subscribed` reports it still owes callers (kept across reconnects).
struct ChannelBook {
    /// Channels subscribed on this connection (sent, not unsubscribed since).
    private(set) var channels: Set<String> = []
    /// Channels whose subscription Redis has confirmed and that are still subscribed.
    private var confirmed: Set<String> = []
    /// Subscribe commands sent per channel and not answered yet.
    private var unanswered: [String: Int] = [:]
    /// Unsubscribe commands sent per channel and not answered yet (to tell them from the
    /// unasked `sunsubscribe` of a slot that moved).
    private var unansweredUnsubscribes: [String: Int] = [:]
    /// Groups asked with `subscribe(_:)`, reported once all of their channels are confirmed.
    private var owed: [[String]] = []

    /// A new connection: nothing is subscribed on it yet; the reports owed stay.
    mutating func reconnected() {
        channels = []
        confirmed = []
        unanswered = [:]
        unansweredUnsubscribes = [:]
    }

    /// Takes a caller's change: the channels to send a subscribe or unsubscribe for.
    mutating func apply(_ change: ChannelChange) -> [String] {
        switch change {
        case .subscribe(let group):
            owed.append(group)
            var added: [String] = []
            for channel in group where !channels.contains(channel) && !added.contains(channel) { added.append(channel) }
            return added
        case .unsubscribe(let group):
            let gone = Set(group)
            owed = owed.map { $0.filter { !gone.contains($0) } }.filter { !$0.isEmpty }
            return group.filter { channels.contains($0) }
        }
    }

    /// A subscribe command for `channel` went out.
    mutating func sentSubscribe(_ channel: String) {
        channels.insert(channel)
        unanswered[channel, default: 0] += 1
    }

    /// An unsubscribe command for `channel` went out.
    mutating func sentUnsubscribe(_ channel: String) {
        channels.remove(channel)
        confirmed.remove(channel)
        unansweredUnsubscribes[channel, default: 0] += 1
    }

    /// Redis answered a subscribe of `channel` (confirmed it, or refused it with a redirection).
    mutating func answeredSubscribe(_ channel: String, confirmed isConfirmed: Bool = true) {
        let left = max((unanswered[channel] ?? 1) - 1, 0)
        unanswered[channel] = left == 0 ? nil : left
        if isConfirmed, left == 0, channels.contains(channel) { confirmed.insert(channel) }
    }

    /// Redis unsubscribed `channel`: the answer to an unsubscribe sent, or unasked (a Redis
    /// Cluster does so when the channel's slot moves away). Returns whether the channel must be
    /// subscribed again (unasked, and still wanted).
    mutating func unsubscribed(_ channel: String) -> Bool {
        if let count = unansweredUnsubscribes[channel] {
            unansweredUnsubscribes[channel] = count == 1 ? nil : count - 1
            return false
        }
        return confirmed.remove(channel) != nil
    }

    /// Whether a message of `channel` is for a channel subscribed now.
    func isSubscribed(_ channel: String) -> Bool { channels.contains(channel) }

    /// Whether every channel subscribed on this connection is confirmed.
    var allConfirmed: Bool { confirmed.count == channels.count }

    /// The owed groups whose channels are all confirmed now, to report.
    mutating func takeConfirmedGroups() -> [[String]] {
        let ready = owed.filter { $0.allSatisfy(confirmed.contains) }
        owed.removeAll { $0.allSatisfy(confirmed.contains) }
        return ready
    }

    /// Takes changes asked while no connection was up: they only change what is owed, since
    /// the new connection subscribes the channels wanted after them.
    mutating func recordOffline(_ changes: [ChannelChange]) {
        for change in changes { _ = apply(change) }
    }
}
