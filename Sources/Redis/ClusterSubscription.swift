// Sharded Pub/Sub on a Redis Cluster: each channel is subscribed with SSUBSCRIBE on the primary
// owning its slot, one connection per such primary, all polled from the subscriber's thread.
import Glibc

/// The cluster side of a ``RedisSubscriber``: channels spread over the primaries that own them.
/// A channel whose slot moves away (Redis sends `sunsubscribe`, or `MOVED` answers the
/// `SSUBSCRIBE`) is subscribed again on its new primary, and the gap is reported. Channels
/// added or removed meanwhile (``ChannelRequests``) go out on their primaries at once.
struct ClusterSubscription {
    typealias Node = RedisConfiguration.Endpoint

    /// One connection to a primary holding subscribed channels.
    private final class NodeLink {
        let connection: RedisConnection
        let context: RedisWire
        /// `SSUBSCRIBE`s and `SUNSUBSCRIBE`s sent and not yet answered, in the order sent:
        /// Redis answers in order, so an error answers the oldest.
        var awaiting: [(subscribe: Bool, channel: String)] = []
        var lastHeard = ContinuousClock.now
        var pingSentAt: ContinuousClock.Instant?

        init(_ connection: RedisConnection) throws(RedisClientError) {
            self.connection = connection
            context = try connection.openContext()
        }

        func send(_ command: String, _ channel: String) throws(RedisClientError) {
            try connection.guarded { () throws(RedisClientError) in
                try context.append(RedisCommand(command, channel))
                try context.flush()
            }
            awaiting.append((command == "SSUBSCRIBE", channel))
        }
    }

    let owner: RedisConnection
    let router: ClusterRouter
    /// The channels subscribed first.
    let channels: [String]
    /// The changes callers ask meanwhile.
    let requests: ChannelRequests
    let pingInterval: Duration
    let isStopping: () -> Bool
    let deliver: (RedisSubscriberEvent) -> Void

    /// Subscribes every channel and delivers messages until stopped or a link fails;
    /// `onSubscribed` runs once every channel is confirmed, `.resumedAfterGap` is delivered
    /// each time channels that moved are confirmed again, `.subscribed` for each group that
    /// `book` owes once its channels are confirmed.
    func listen(book: inout ChannelBook, onSubscribed: () -> Void) throws(RedisClientError) {
        var links: [Node: NodeLink] = [:]
        var nodeOfChannel: [String: Node] = [:]
        defer { for link in links.values { link.connection.close() } }
        func subscribe(_ channel: String, on node: Node) throws(RedisClientError) {
            let link: NodeLink
            if let existing = links[node] {
                link = existing
            } else {
                link = try NodeLink(RedisConnection(nodeOf: owner, at: node))
                links[node] = link
            }
            try link.send("SSUBSCRIBE", channel)
            book.sentSubscribe(channel)
            nodeOfChannel[channel] = node
        }
        func subscribe(_ channel: String) throws(RedisClientError) { try subscribe(channel, on: router.primary(ofSlot: ClusterSlot.of(channel))) }
        func unsubscribe(_ channel: String) throws(RedisClientError) {
            // Every channel subscribed on this connection has its node.
            guard let node = nodeOfChannel.removeValue(forKey: channel), let link = links[node] else { return }
            try link.send("SUNSUBSCRIBE", channel)
            book.sentUnsubscribe(channel)
        }

        for channel in channels { try subscribe(channel) }
        var announced = false
        var gap = false
        let clock = ContinuousClock()
        while !isStopping() {
            // Channels whose slot moved away, gathered over everything read: a slot migration
            // unsubscribes many channels at once, and one refresh of the map serves them all.
            var movedAway: [String] = []
            for (node, link) in links {
                while let reply = try link.connection.guarded({ () throws(RedisClientError) in try link.context.bufferedReply() }) {
                    link.lastHeard = clock.now
                    if let error = reply.serverError {
                        // The answer to the oldest command not yet answered.
                        guard !link.awaiting.isEmpty else { continue }
                        let (isSubscribe, channel) = link.awaiting.removeFirst()
                        guard isSubscribe else {
                            // An unsubscribe refused where the slot no longer is: Redis
                            // dropped the channel there already.
                            _ = book.unsubscribed(channel)
                            continue
                        }
                        book.answeredSubscribe(channel, confirmed: false)
                        switch router.redirection(of: reply, from: node, routedBySlot: true) {
                        case .moved(let target)?:
                            if book.isSubscribed(channel) { try subscribe(channel, on: target) }
                            continue
                        case .tryAgain?:
                            throw RedisClientError(.connectFailed, "The Redis Cluster did not take the subscription to \(channel) for now: it is reconfiguring (\(error.code): \(error.message)).",
                                                   recoverySuggestion: "The subscriber subscribes again by itself; if this lasts, check CLUSTER INFO (cluster_state) and that every slot has a primary.")
                        default:
                            throw RedisClientError(.invalidConfiguration, "Redis refused the subscription to \(channel): \(error.message)",
                                                   recoverySuggestion: "Check the ACL rules for channels (&pattern) and the credentials.")
                        }
                    }
                    guard let parts = reply.array, let kind = parts.first?.string else { continue }
                    switch kind {
                    case "smessage" where parts.count == 3:
                        let channel = parts[1].string ?? ""
                        if book.isSubscribed(channel) {
                            deliver(.message(RedisPubSubMessage(channel: channel, pattern: nil, payload: parts[2].bytes ?? [])))
                        }
                    case "ssubscribe":
                        let channel = parts[1].string ?? ""
                        if let index = link.awaiting.firstIndex(where: { $0.subscribe && $0.channel == channel }) { link.awaiting.remove(at: index) }
                        book.answeredSubscribe(channel)
                    case "sunsubscribe":
                        let channel = parts[1].string ?? ""
                        if let index = link.awaiting.firstIndex(where: { !$0.subscribe && $0.channel == channel }) { link.awaiting.remove(at: index) }
                        // Unasked: the channel's slot moved to another primary. Follow it.
                        if book.unsubscribed(channel) {
                            gap = true
                            movedAway.append(channel)
                        }
                    case "pong":
                        link.pingSentAt = nil
                    default:
                        break
                    }
                }
            }
            if !movedAway.isEmpty {
                router.refresh()
                for channel in movedAway { try subscribe(channel) }
            }
            if book.allConfirmed {
                if !announced {
                    announced = true
                    gap = false
                    onSubscribed()
                } else if gap {
                    gap = false
                    deliver(.resumedAfterGap)
                }
            }
            if announced { for group in book.takeConfirmedGroups() { deliver(.subscribed(group)) } }
            let woken = try waitForReplies(Array(links.values))
            if woken.changes {
                for change in requests.take().changes {
                    let toSend = book.apply(change)
                    switch change {
                    case .subscribe: for channel in toSend { try subscribe(channel) }
                    case .unsubscribe: for channel in toSend { try unsubscribe(channel) }
                    }
                }
            }
            if woken.replies || woken.changes { continue }
            let now = clock.now
            for link in links.values {
                if let sent = link.pingSentAt {
                    if now - sent > pingInterval {
                        throw RedisClientError(.timeout, "Redis at \(link.connection.configuration.endpoint) did not answer the subscriber's PING within \(pingInterval).",
                                               recoverySuggestion: "The subscriber reconnects and resubscribes by itself.", commandMayHaveRun: true)
                    }
                } else if now - link.lastHeard >= pingInterval {
                    try link.connection.guarded { () throws(RedisClientError) in
                        try link.context.append(RedisCommand("PING"))
                        try link.context.flush()
                    }
                    link.pingSentAt = now
                }
            }
        }
    }

    /// Waits up to 100 ms for any link to become readable, or for channel changes, and reads
    /// what arrived; says which came (both may: a busy link never holds changes back).
    private func waitForReplies(_ links: [NodeLink]) throws(RedisClientError) -> (replies: Bool, changes: Bool) {
        var descriptors = [pollfd(fd: requests.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            + links.map { pollfd(fd: $0.context.fileDescriptor, events: Int16(POLLIN), revents: 0) }
        guard poll(&descriptors, nfds_t(descriptors.count), 100) > 0 else { return (false, false) }
        for (link, descriptor) in zip(links, descriptors.dropFirst()) where descriptor.revents != 0 {
            try link.connection.guarded { () throws(RedisClientError) in try link.context.readAvailable() }
        }
        return (descriptors.dropFirst().contains { $0.revents != 0 }, descriptors[0].revents != 0)
    }
}
