import Foundation
import Testing
import TestSupport
@testable import Redis

/// Channels added and removed while a subscriber runs, on a single Redis and on a cluster.
@Suite("Subscriber: dynamic channels")
struct SubscriberChannelsTests {
    private func messages(_ events: [RedisSubscriberEvent]) -> [String] {
        events.compactMap { if case .message(let message) = $0 { message.text } else { nil } }
    }

    private func subscribedGroups(_ events: [RedisSubscriberEvent]) -> [[String]] {
        events.compactMap { if case .subscribed(let channels) = $0 { channels } else { nil } }
    }

    private func isReady(_ event: RedisSubscriberEvent) -> Bool { if case .ready = event { true } else { false } }
    private func isGap(_ event: RedisSubscriberEvent) -> Bool { if case .resumedAfterGap = event { true } else { false } }

    @Test func startsWithoutChannelsAndSubscribesLater() throws {
        let prefix = TestRedis.uniquePrefix()
        let early = prefix + "early", later = prefix + "later", other = prefix + "other"
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: try TestRedis.configuration(name: "sb-sub-dynamic")) { recorder.record($0) }
        subscriber.subscribe([early])  // before start: subscribed with the first connection
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { subscribedGroups($0) == [[early]] })
        #expect(recorder.all.firstIndex(where: isReady) == 0, "ready comes first: \(recorder.all)")

        subscriber.subscribe([later, other])
        #expect(recorder.wait { subscribedGroups($0) == [[early], [later, other]] })
        #expect(subscriber.channels == [early, later, other])
        let publisher = try TestRedis.connection()
        for channel in [early, later, other] { #expect(try publisher.send(RedisCommand("PUBLISH", channel, "to " + channel)) == .integer(1)) }
        #expect(recorder.wait { messages($0) == ["to " + early, "to " + later, "to " + other] })

        subscriber.subscribe([later])  // already subscribed: confirmed as it is
        #expect(recorder.wait { subscribedGroups($0).count == 3 })
        #expect(subscribedGroups(recorder.all).last == [later])
    }

    @Test func anUnsubscribedChannelIsNoLongerDelivered() throws {
        let prefix = TestRedis.uniquePrefix()
        let dropped = prefix + "dropped", kept = prefix + "kept", marker = prefix + "marker"
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: try TestRedis.configuration(name: "sb-sub-unsubscribe"), channels: [dropped, kept]) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains(where: isReady) })

        subscriber.unsubscribe([dropped])
        // Changes go out in order on the one connection: once the marker is confirmed, Redis
        // has taken the unsubscribe before it.
        subscriber.subscribe([marker])
        #expect(recorder.wait { subscribedGroups($0) == [[marker]] })
        #expect(subscriber.channels == [kept, marker])
        let publisher = try TestRedis.connection()
        #expect(try publisher.send(RedisCommand("PUBLISH", dropped, "lost")) == .integer(0))
        try publisher.send(RedisCommand("PUBLISH", kept, "still here"))
        #expect(recorder.wait { messages($0).contains("still here") })
        #expect(messages(recorder.all) == ["still here"], "the later message on a kept channel arrived alone")
    }

    @Test func aReconnectResubscribesTheChannelsWantedNow() throws {
        let prefix = TestRedis.uniquePrefix()
        let first = prefix + "first", added = prefix + "added", last = prefix + "last"
        let name = "sb-sub-\(UUID().uuidString.prefix(6))"
        var configuration = try TestRedis.configuration(name: name)
        configuration.reconnectBackoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: configuration, channels: [first], pingInterval: .milliseconds(200)) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains(where: isReady) })
        subscriber.subscribe([added])
        subscriber.unsubscribe([first])
        subscriber.subscribe([last])
        #expect(recorder.wait { subscribedGroups($0) == [[added], [last]] })

        let admin = try TestRedis.connection()
        let list = try admin.send(["CLIENT", "LIST"]).string ?? ""
        let line = try #require(list.split(separator: "\n").first { $0.contains("name=\(name)") })
        let id = try #require(line.split(separator: " ").first { $0.hasPrefix("id=") }?.dropFirst(3))
        try admin.send(RedisCommand("CLIENT", "KILL", "ID", String(id)))
        #expect(recorder.wait { $0.contains(where: isGap) })

        for channel in [first, added, last] { try admin.send(RedisCommand("PUBLISH", channel, "after " + channel)) }
        #expect(recorder.wait { messages($0).contains("after " + last) })
        #expect(messages(recorder.all) == ["after " + added, "after " + last], "the unsubscribed channel stayed unsubscribed")
        #expect(subscribedGroups(recorder.all) == [[added], [last]], "nothing is reported twice")
    }

    @Test func onAClusterChannelsComeAndGoOnTheirPrimaries() throws {
        let channels = try ClusterKeys().onePerPrimary()
        try #require(channels.count == 3)
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: try RedisConfiguration(url: TestRedis.clusterURL)) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains(where: isReady) }, "ready with no channel")

        subscriber.subscribe(channels)
        #expect(recorder.wait { subscribedGroups($0) == [channels] })
        let publisher = RedisConnection(configuration: try RedisConfiguration(url: TestRedis.clusterURL))
        for channel in channels { #expect(try publisher.send(RedisCommand("SPUBLISH", channel, "to " + channel)) == .integer(1)) }
        #expect(recorder.wait { Set(messages($0)) == Set(channels.map { "to " + $0 }) })

        // A marker in the dropped channel's slot goes over the same link, after the unsubscribe.
        let dropped = channels[0], marker = channels[0] + ":marker"
        subscriber.unsubscribe([dropped])
        subscriber.subscribe([marker])
        #expect(recorder.wait { subscribedGroups($0).count == 2 })
        #expect(subscribedGroups(recorder.all).last == [marker])
        #expect(try publisher.send(RedisCommand("SPUBLISH", dropped, "lost")) == .integer(0))
        #expect(try publisher.send(RedisCommand("SPUBLISH", channels[1], "still here")) == .integer(1))
        #expect(recorder.wait { messages($0).contains("still here") })
        #expect(!messages(recorder.all).contains("lost"))
    }
}
