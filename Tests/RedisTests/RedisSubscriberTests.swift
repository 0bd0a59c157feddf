import Foundation
import Testing
import TestSupport
@testable import Redis

@Suite("Subscriber")
struct RedisSubscriberTests {
    private func messages(_ events: [RedisSubscriberEvent]) -> [String] {
        events.compactMap { if case .message(let message) = $0 { message.text } else { nil } }
    }

    @Test(arguments: Topology.plainAndTLS)
    func receivesChannelAndPatternMessages(over topology: Topology) throws {
        let prefix = TestRedis.uniquePrefix()
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: try topology.configuration(name: "sb-sub"),
                                         channels: [prefix + "status"], patterns: [prefix + "p:*"]) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains { if case .ready = $0 { true } else { false } } })

        let publisher = try topology.connection()
        try publisher.send(RedisCommand("PUBLISH", prefix + "status", "hello"))
        try publisher.send(RedisCommand("PUBLISH", prefix + "p:one", [UInt8]([0, 0xFF])))
        #expect(recorder.wait { messages($0).count == 2 })
        let patterned = recorder.all.compactMap { if case .message(let m) = $0, m.pattern != nil { m } else { nil } }
        #expect(patterned.first?.channel == prefix + "p:one" && patterned.first?.payload == [0, 0xFF])
    }

    @Test(arguments: Topology.plainAndTLS)
    func aSubscriberWithoutChannelsKeepsItsConnection(over topology: Topology) throws {
        // Outside subscribe mode PING answers a plain PONG: it must count as an answer, or the
        // idle subscriber (a gateway before its first client) reconnects every other interval.
        let name = "sb-sub-idle-\(UUID().uuidString.prefix(6))"
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: try topology.configuration(name: name), pingInterval: .milliseconds(50)) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains { if case .ready = $0 { true } else { false } } })
        // The same connection, pinged every 50 ms, lives on for over 2 s (40 intervals).
        let admin = try topology.connection()
        let deadline = ContinuousClock.now + .seconds(15)
        var age = 0
        while age < 3, ContinuousClock.now < deadline {
            let list = try admin.send(["CLIENT", "LIST"]).string ?? ""
            let line = list.split(separator: "\n").first { $0.contains("name=\(name) ") }
            age = line?.split(separator: " ").first { $0.hasPrefix("age=") }.flatMap { Int($0.dropFirst(4)) } ?? 0
            if age < 3 { usleep(50_000) }
        }
        #expect(age >= 3)
        #expect(!recorder.all.contains { if case .disconnected = $0 { true } else { false } }, "\(recorder.all)")
    }

    @Test(arguments: Topology.plainAndTLS)
    func survivesAKilledConnectionAndReportsTheGap(over topology: Topology) throws {
        let prefix = TestRedis.uniquePrefix()
        let name = "sb-sub-\(UUID().uuidString.prefix(6))"
        let recorder = EventRecorder<RedisSubscriberEvent>()
        var configuration = try topology.configuration(name: name)
        configuration.reconnectBackoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))
        let subscriber = RedisSubscriber(configuration: configuration, channels: [prefix + "c"], pingInterval: .milliseconds(200)) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains { if case .ready = $0 { true } else { false } } })

        let admin = try topology.connection()
        let list = try admin.send(["CLIENT", "LIST"]).string ?? ""
        let line = try #require(list.split(separator: "\n").first { $0.contains("name=\(name)") })
        let id = try #require(line.split(separator: " ").first { $0.hasPrefix("id=") }?.dropFirst(3))
        try admin.send(RedisCommand("CLIENT", "KILL", "ID", String(id)))

        #expect(recorder.wait { $0.contains { if case .resumedAfterGap = $0 { true } else { false } } })
        #expect(recorder.all.contains { if case .disconnected = $0 { true } else { false } })
        try admin.send(RedisCommand("PUBLISH", prefix + "c", "after"))
        #expect(recorder.wait { messages($0) == ["after"] })
    }

    @Test func resubscribesAfterRedisRestart() throws {
        let server = try RedisServerProcess()
        var configuration = server.configuration()
        configuration.reconnectBackoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: configuration, channels: ["c"], pingInterval: .milliseconds(200)) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains { if case .ready = $0 { true } else { false } } })
        try server.restart()
        #expect(recorder.wait { $0.contains { if case .resumedAfterGap = $0 { true } else { false } } })
        try RedisConnection(configuration: configuration).send(RedisCommand("PUBLISH", "c", "back"))
        #expect(recorder.wait { messages($0) == ["back"] })
    }
}
