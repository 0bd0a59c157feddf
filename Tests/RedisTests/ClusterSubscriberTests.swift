import Foundation
import Testing
import TestSupport
@testable import Redis

@Suite("Cluster: sharded Pub/Sub")
struct ClusterSubscriberTests {
    private func messages(_ events: [RedisSubscriberEvent]) -> [String] {
        events.compactMap { if case .message(let message) = $0 { message.text } else { nil } }
    }

    private func isReady(_ event: RedisSubscriberEvent) -> Bool { if case .ready = event { true } else { false } }
    private func isGap(_ event: RedisSubscriberEvent) -> Bool { if case .resumedAfterGap = event { true } else { false } }

    @Test func receivesWhatIsPublishedOnThreePrimaries() throws {
        let channels = try ClusterKeys().onePerPrimary()
        try #require(channels.count == 3)
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: try RedisConfiguration(url: TestRedis.clusterURL), channels: channels) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains(where: isReady) })

        let publisher = RedisConnection(configuration: try RedisConfiguration(url: TestRedis.clusterURL))
        for channel in channels { #expect(try publisher.send(RedisCommand("SPUBLISH", channel, "to " + channel)) == .integer(1)) }
        #expect(recorder.wait { Set(messages($0)) == Set(channels.map { "to " + $0 }) })
        let received = recorder.all.compactMap { if case .message(let message) = $0 { message } else { nil } }
        #expect(received.allSatisfy { $0.pattern == nil && $0.text == "to " + $0.channel })
    }

    @Test func followsAChannelWhoseSlotMoves() throws {
        let cluster = try RedisClusterProcess(primaries: 3, replicasPerPrimary: 0)
        let channel = "moving:{channel}"
        let recorder = EventRecorder<RedisSubscriberEvent>()
        var configuration = try RedisConfiguration(url: cluster.url(ofNode: 0))
        configuration.reconnectBackoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))
        let subscriber = RedisSubscriber(configuration: configuration, channels: [channel], pingInterval: .milliseconds(500)) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains(where: isReady) })
        let publisher = RedisConnection(configuration: try RedisConfiguration(url: cluster.url(ofNode: 1)))
        try publisher.send(RedisCommand("SPUBLISH", channel, "before"))
        #expect(recorder.wait { messages($0) == ["before"] })

        let move = try SlotMove(cluster, slot: ClusterSlot.of(channel))
        try move.finish()  // no keys in the slot: it moves at once
        #expect(recorder.wait { $0.contains(where: isGap) })
        #expect(try publisher.send(RedisCommand("SPUBLISH", channel, "after")) == .integer(1))
        #expect(recorder.wait { messages($0) == ["before", "after"] })
        #expect(try cluster.cli(["PUBSUB", "SHARDNUMSUB", channel], node: move.target).contains("1"))
        #expect(!recorder.all.contains { if case .disconnected = $0 { true } else { false } }, "followed, not reconnected")
    }

    @Test func aStaleMapIsCorrectedByMovedOnSubscribe() throws {
        let channel = try #require(try ClusterKeys().onePerPrimary().first)
        let url = try TestRedis.clusterURL
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let stop = EventRecorder<Bool>()  // stopped once it holds an event
        let corrected = BackgroundResult { () throws -> Bool in
            let connection = RedisConnection(configuration: try RedisConfiguration(url: url))
            let router = try #require(try connection.clusterRouter())
            let slot = ClusterSlot.of(channel)
            let owner = router.primary(ofSlot: slot)
            let wrong = try #require(try connection.sendToEveryPrimary(["PING"]).map(\.node).first { $0 != owner.description })
            // Plant a wrong owner, as a map read before a reshard would have it.
            _ = router.redirection(of: .error(RedisServerError(message: "MOVED \(slot) \(wrong)")), from: owner, routedBySlot: false)
            try #require(router.primary(ofSlot: slot).description == wrong)
            var correctedWhenReady = false
            var book = ChannelBook()
            try ClusterSubscription(owner: connection, router: router, channels: [channel], requests: ChannelRequests(channels: [channel]), pingInterval: .seconds(1),
                                    isStopping: { !stop.all.isEmpty }, deliver: recorder.record)
                .listen(book: &book) {
                    correctedWhenReady = router.primary(ofSlot: slot) == owner
                    recorder.record(.ready)
                }
            return correctedWhenReady
        }
        #expect(recorder.wait { $0.contains(where: isReady) })
        let publisher = RedisConnection(configuration: try RedisConfiguration(url: url))
        #expect(try publisher.send(RedisCommand("SPUBLISH", channel, "found")) == .integer(1))
        #expect(recorder.wait { messages($0) == ["found"] })
        stop.record(true)
        #expect(try corrected.value(within: .seconds(10)), "MOVED put the right owner back in the map")
    }

    @Test func patternsAreRefusedOnACluster() throws {
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: try RedisConfiguration(url: TestRedis.clusterURL), channels: ["c"], patterns: ["p:*"]) { recorder.record($0) }
        subscriber.start()
        #expect(recorder.wait { !$0.isEmpty })
        subscriber.stop()
        guard case .disconnected(let error) = recorder.all.first else { Issue.record("expected a refusal, got \(recorder.all)"); return }
        #expect(error.kind == .invalidConfiguration && error.message.contains("PSUBSCRIBE") && error.message.contains("Cluster"))
        #expect(recorder.all.count == 1, "the subscriber stops instead of trying again")
    }
}
