// A dedicated connection that listens to channels: delivers messages, detects a dead link
// with pings, resubscribes after a reconnect and says that messages may have been missed.
// Channels can be added and removed while it runs.
import Foundation
import Glibc
import Synchronization

/// A message received on a subscribed channel.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published on.
    public let channel: String
    /// The pattern that matched, for `PSUBSCRIBE` subscriptions.
    public let pattern: String?
    /// The payload, as published.
    public let payload: [UInt8]

    /// The payload decoded as UTF-8.
    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// What a ``RedisSubscriber`` tells its handler.
public enum RedisSubscriberEvent: Sendable {
    /// Every subscription is confirmed: messages published from now on will arrive. Reported
    /// once, after the first connection (with no channels and patterns: once connected).
    case ready
    /// The channels of one ``RedisSubscriber/subscribe(_:)`` call are confirmed: messages
    /// published on them from now on will arrive. Reported after ``ready`` (or
    /// ``resumedAfterGap``), once per call, unless they were unsubscribed meanwhile.
    case subscribed([String])
    /// A message arrived.
    case message(RedisPubSubMessage)
    /// The link broke or stopped answering pings; the subscriber is reconnecting.
    case disconnected(RedisClientError)
    /// Subscribed again after a disconnect, to every channel wanted now. Messages published
    /// in between are lost (Redis Pub/Sub keeps nothing): resynchronise from durable state.
    case resumedAfterGap
}

/// Subscribes to channels and patterns on a connection and thread of its own.
///
/// On a Redis Cluster the channels are sharded: each is subscribed with `SSUBSCRIBE` on the
/// primary that owns its slot (one connection per such primary, all on the subscriber's
/// thread), so it receives what is published there with `SPUBLISH`. A channel whose slot
/// moves is followed to its new primary, and ``RedisSubscriberEvent/resumedAfterGap`` is
/// reported as after a reconnect. Patterns have no sharded form: a subscriber with patterns
/// reports ``RedisSubscriberEvent/disconnected(_:)`` with an error saying so, and stops.
///
/// Channels may be added with ``subscribe(_:)`` and removed with ``unsubscribe(_:)`` from
/// any thread, at any time (before ``start()`` too): the subscriber's thread is woken and
/// sends them at once, and reports ``RedisSubscriberEvent/subscribed(_:)`` when they are
/// confirmed. A subscriber may start with no channel at all.
///
/// The handler runs on the subscriber's thread, one event at a time, in order; it should be
/// quick. While no message arrives the subscriber sends `PING` every `pingInterval`; no
/// answer within another interval means the link is dead, and it reconnects with backoff.
///
/// ```swift
/// let subscriber = RedisSubscriber(configuration: config, channels: ["sb:{acme}:status"]) { event in … }
/// subscriber.start()
/// subscriber.subscribe(["sb:{globex}:status"])   // later: .subscribed(["sb:{globex}:status"])
/// …
/// subscriber.stop()
/// ```
public final class RedisSubscriber: Sendable {
    /// The connection settings.
    public let configuration: RedisConfiguration
    /// The channels wanted now (`SUBSCRIBE`; `SSUBSCRIBE` on a cluster): those given to
    /// `init`, plus those of ``subscribe(_:)``, minus those of ``unsubscribe(_:)``.
    public var channels: [String] { requests.channels }
    /// Patterns subscribed with `PSUBSCRIBE`.
    public let patterns: [String]
    /// How long the link may stay silent before a `PING` checks it.
    public let pingInterval: Duration

    private let handler: @Sendable (RedisSubscriberEvent) -> Void
    private let requests: ChannelRequests
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    /// Creates a subscriber; call ``start()`` to begin.
    public init(configuration: RedisConfiguration, channels: [String] = [], patterns: [String] = [],
                pingInterval: Duration = .seconds(1), handler: @escaping @Sendable (RedisSubscriberEvent) -> Void) {
        self.configuration = configuration
        requests = ChannelRequests(channels: channels)
        self.patterns = patterns
        self.pingInterval = pingInterval
        self.handler = handler
    }

    /// Starts the subscriber's thread; events begin with ``RedisSubscriberEvent/ready``.
    public func start() {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "redis subscriber"
        thread.start()
    }

    /// Adds channels, from any thread; ``RedisSubscriberEvent/subscribed(_:)`` reports them
    /// confirmed (channels already subscribed are reported too, as they are).
    public func subscribe(_ channels: [String]) {
        guard !channels.isEmpty else { return }
        requests.subscribe(channels)
    }

    /// Removes channels, from any thread: once the subscriber's thread has sent the
    /// unsubscribe (at once), no message of theirs is delivered any more.
    public func unsubscribe(_ channels: [String]) {
        guard !channels.isEmpty else { return }
        requests.unsubscribe(channels)
    }

    /// Stops listening, closes the connection and waits for the thread to end (at most a
    /// fraction of a second, or a reconnect backoff step while Redis is unreachable).
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        requests.wake()
        guard started.load(ordering: .relaxed) else { return }
        finished.wait()
        finished.signal()  // let a second stop() return too
    }

    private var isStopping: Bool { stopRequested.load(ordering: .relaxed) }

    private func run() {
        let connection = RedisConnection(configuration: configuration)
        var book = ChannelBook()
        var everReady = false
        var down = false  // reported disconnected and not yet resubscribed: report an outage once
        while !isStopping {
            do {
                // A new connection subscribes the channels wanted now; the changes asked since
                // the last one only say which `.subscribed` reports are owed.
                let (changes, wanted) = requests.take()
                book.reconnected()
                book.recordOffline(changes)
                func onSubscribed() {
                    handler(everReady ? .resumedAfterGap : .ready)
                    everReady = true
                    down = false
                }
                if let router = try connection.clusterRouter() {
                    guard patterns.isEmpty else {
                        handler(.disconnected(Self.patternsOnClusterError))
                        break
                    }
                    if down { router.refresh() }
                    try ClusterSubscription(owner: connection, router: router, channels: wanted, requests: requests, pingInterval: pingInterval,
                                            isStopping: { self.isStopping }, deliver: handler).listen(book: &book, onSubscribed: onSubscribed)
                } else {
                    try listen(on: connection, channels: wanted, book: &book, onSubscribed: onSubscribed)
                }
            } catch {
                connection.dropContext()
                if !isStopping && !down { handler(.disconnected(error)) }
                if down { waitBeforeRetry(configuration.reconnectBackoff.maximum / 4) }
                down = true
            }
        }
        connection.close()
    }

    /// Why a subscriber with patterns does not run on a Redis Cluster.
    static let patternsOnClusterError = RedisClientError(
        .invalidConfiguration, "Pattern subscriptions (PSUBSCRIBE) are not available on a Redis Cluster: sharded Pub/Sub has channels only.",
        recoverySuggestion: "Subscribe to the channels themselves (SSUBSCRIBE, one per workspace), or use a single Redis for pattern subscriptions.")

    /// Waits before another attempt after a failed one, waking early on `stop()`.
    private func waitBeforeRetry(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end && !isStopping { usleep(20_000) }
    }

    /// Subscribes and delivers messages until stopped or the link fails, applying channel
    /// changes as they are asked.
    private func listen(on connection: RedisConnection, channels wanted: [String], book: inout ChannelBook,
                        onSubscribed: () -> Void) throws(RedisClientError) {
        let context = try connection.openContext()
        func send(_ command: String, _ channels: [String]) throws(RedisClientError) {
            guard !channels.isEmpty else { return }  // without arguments, UNSUBSCRIBE means all
            try context.append(RedisCommand(command, arguments: channels))
            for channel in channels { command == "SUBSCRIBE" ? book.sentSubscribe(channel) : book.sentUnsubscribe(channel) }
        }
        try send("SUBSCRIBE", wanted)
        if !patterns.isEmpty { try context.append(RedisCommand("PSUBSCRIBE", arguments: patterns)) }
        try context.flush()

        var unconfirmedPatterns = Set(patterns)
        var announced = false
        let clock = ContinuousClock()
        var lastHeard = clock.now
        var pingSentAt: ContinuousClock.Instant?
        while !isStopping {
            while let reply = try context.bufferedReply() {
                lastHeard = clock.now
                if let error = reply.serverError {
                    throw RedisClientError(.invalidConfiguration, "Redis refused the subscription: \(error.message)",
                                           recoverySuggestion: "Check the ACL rules for channels (&pattern) and the credentials.")
                }
                guard let parts = reply.array, let kind = parts.first?.string else { continue }
                switch kind {
                case "message" where parts.count == 3:
                    let channel = parts[1].string ?? ""
                    if book.isSubscribed(channel) {
                        handler(.message(RedisPubSubMessage(channel: channel, pattern: nil, payload: parts[2].bytes ?? [])))
                    }
                case "pmessage" where parts.count == 4:
                    handler(.message(RedisPubSubMessage(channel: parts[2].string ?? "", pattern: parts[1].string, payload: parts[3].bytes ?? [])))
                case "subscribe":
                    book.answeredSubscribe(parts[1].string ?? "")
                case "unsubscribe":
                    _ = book.unsubscribed(parts[1].string ?? "")
                case "psubscribe":
                    unconfirmedPatterns.remove(parts[1].string ?? "")
                case "pong":
                    pingSentAt = nil
                default:
                    break
                }
            }
            if !announced && unconfirmedPatterns.isEmpty && book.allConfirmed {
                announced = true
                onSubscribed()
            }
            if announced { for group in book.takeConfirmedGroups() { handler(.subscribed(group)) } }

            var descriptors = [pollfd(fd: context.fileDescriptor, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: requests.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            if poll(&descriptors, 2, 100) > 0 {
                if descriptors[1].revents != 0 {
                    for change in requests.take().changes {
                        let toSend = book.apply(change)
                        if case .subscribe = change { try send("SUBSCRIBE", toSend) } else { try send("UNSUBSCRIBE", toSend) }
                    }
                    try context.flush()
                }
                if descriptors[0].revents != 0 { try context.readAvailable() }
                continue
            }
            let now = clock.now
            if let sent = pingSentAt {
                if now - sent > pingInterval {
                    throw RedisClientError(.timeout, "Redis did not answer the subscriber's PING within \(pingInterval).",
                                           recoverySuggestion: "The subscriber reconnects and resubscribes by itself.", commandMayHaveRun: true)
                }
            } else if now - lastHeard >= pingInterval {
                try context.append(RedisCommand("PING"))
                try context.flush()
                pingSentAt = now
            }
        }
    }
}
