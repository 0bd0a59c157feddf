// Sharded Pub/Sub on a Redis Cluster: each channel is subscribed with SSUBSCRIBE on the primary
// owning its slot, one connection per such primary, all polled from the subscriber's thread.
import Glibc

/// The cluster side of a ``RedisSubscriber``: channels spread over the primaries that own them.
/// A channel whose slot moves away (Redis sends `sunsubscribe`, or `MOVED` answers the
/// `SSUBSCRIBE`) is subscribed again on its new primary, and the gap is reported.
struct ClusterSubscription {
    typealias Node = RedisConfiguration.Endpoint

    /// One connection to a primary holding subscribed channels.
    private final class NodeLink {
        let connection: RedisConnection
        let context: HiredisContext
        /// Channels sent in `SSUBSCRIBE` and not yet answered, in the order sent: Redis answers in order.
        var awaiting: [String] = []
        var lastHeard = ContinuousClock.now
        var pingSentAt: ContinuousClock.Instant?

        init(_ connection: RedisConnection) throws(RedisClientError) {
            self.connection = connection
            context = try connection.openContext()
        }
    }

    let owner: RedisConnection
    let router: ClusterRouter
    let channels: [String]
    let pingInterval: Duration
    let isStopping: () -> Bool
    let deliver: (RedisSubscriberEvent) -> Void

    /// Subscribes every channel and delivers messages until stopped or a link fails;
    /// `onSubscribed` runs once every channel is confirmed, `.resumedAfterGap` is delivered
    /// each time channels that moved are confirmed again.
    func listen(onSubscribed: () -> Void) throws(RedisClientError) {
        var links: [Node: NodeLink] = [:]
        defer { for link in links.values { link.connection.close() } }
        func subscribe(_ channel: String, on node: Node) throws(RedisClientError) {
            let link: NodeLink
            if let existing = links[node] {
                link = existing
            } else {
                link = try NodeLink(RedisConnection(nodeOf: owner, at: node))
                links[node] = link
            }
            try link.context.append(RedisCommand("SSUBSCRIBE", channel))
            try link.context.flush()
            link.awaiting.append(channel)
        }

        for channel in channels { try subscribe(channel, on: router.primary(ofSlot: ClusterSlot.of(channel))) }
        var confirmed = Set<String>()
        let channelCount = Set(channels).count
        var everReady = false
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
                        // The answer to the oldest SSUBSCRIBE not yet answered.
                        guard !link.awaiting.isEmpty else { continue }
                        let channel = link.awaiting.removeFirst()
                        switch router.redirection(of: reply, from: node, routedBySlot: true) {
                        case .moved(let target)?:
                            try subscribe(channel, on: target)
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
                        deliver(.message(RedisPubSubMessage(channel: parts[1].string ?? "", pattern: nil, payload: parts[2].bytes ?? [])))
                    case "ssubscribe":
                        let channel = parts[1].string ?? ""
                        link.awaiting.removeAll { $0 == channel }
                        confirmed.insert(channel)
                        guard confirmed.count == channelCount else { break }
                        if !everReady {
                            everReady = true
                            onSubscribed()
                        } else if gap {
                            gap = false
                            deliver(.resumedAfterGap)
                        }
                    case "sunsubscribe":
                        // Unasked: the channel's slot moved to another primary. Follow it.
                        let channel = parts[1].string ?? ""
                        guard confirmed.remove(channel) != nil else { break }
                        gap = true
                        movedAway.append(channel)
                    case "pong":
                        link.pingSentAt = nil
                    default:
                        break
                    }
                }
            }
            if !movedAway.isEmpty {
                router.refresh()
                for channel in movedAway { try subscribe(channel, on: router.primary(ofSlot: ClusterSlot.of(channel))) }
            }
            if try waitForReplies(Array(links.values)) { continue }
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

    /// Waits up to 100 ms for any link to become readable and reads what arrived;
    /// returns whether something did.
    private func waitForReplies(_ links: [NodeLink]) throws(RedisClientError) -> Bool {
        var descriptors = links.map { pollfd(fd: $0.context.fileDescriptor, events: Int16(POLLIN), revents: 0) }
        guard poll(&descriptors, nfds_t(descriptors.count), 100) > 0 else { return false }
        for (link, descriptor) in zip(links, descriptors) where descriptor.revents != 0 {
            try link.connection.guarded { () throws(RedisClientError) in try link.context.readAvailable() }
        }
        return true
    }
}
