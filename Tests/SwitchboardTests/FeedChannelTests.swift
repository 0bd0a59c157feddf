import Redis
import Testing
import TestSupport
@testable import Switchboard

/// The feed channel `sb:{ws}:feed`: one wake-up per function call that emitted events,
/// carrying the last version it wrote to the events stream; nothing for a call that emitted none.
@Suite("Feed channel")
struct FeedChannelTests {
    /// Applies entries that emit one event, two events and none, and checks what a
    /// subscriber to the workspace's feed channel hears.
    private func checkWakeUps(configuration: RedisConfiguration, connection: RedisConnection, schema: KeySchema) throws {
        let workspace = Identifier("w")!
        let applier = IntakeApplier(keys: schema, sessionTTL: .seconds(3600), eventsCap: 1000)
        let feed = schema.feed(workspace: workspace)
        #expect(feed == schema.workspace(workspace).feedChannel && feed.hasSuffix(":{w}:feed"))
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: configuration, channels: [feed]) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains { if case .ready = $0 { true } else { false } } }, "\(recorder.all)")
        func wakeUps(_ events: [RedisSubscriberEvent]) -> [String] {
            events.compactMap { if case .message(let message) = $0, message.channel == feed { message.text } else { nil } }
        }

        let agent = Identifier("a")!
        let entries: [(String, IntakeCommand)] = [
            ("1-0", .newConversation(conversation: Identifier("c-1")!, team: nil, priority: 0)),  // queued: v1
            ("2-0", .login(agent: agent, session: Identifier("s")!)),                              // status v2, assigned v3
            ("3-0", .heartbeat(agent: agent, session: Identifier("s")!)),                          // nothing emitted
            ("4-0", .setStatus(agent: agent, status: .busy, message: nil, actor: nil)),            // status v4
        ]
        for (id, command) in entries {
            let call = applier.call(for: IntakeEntry(workspace: workspace, command: command), entryID: id)
            #expect(try ScriptOutcome(reply: connection.call(call.function, command: call.command)).kind == .applied)
        }
        #expect(recorder.wait { wakeUps($0).contains("4") })
        #expect(wakeUps(recorder.all) == ["1", "3", "4"], "one wake-up per call that emitted, with its last version")
        #expect(try WorkspaceEventLog(connection: connection, keys: schema).tail(of: "w").version == 4)
    }

    @Test func aSubscriberHearsTheLastVersionOfEachCall() throws {
        let schema = KeySchema(prefix: "feed" + TestRedis.uniquePrefix().dropFirst(2).dropLast())
        try checkWakeUps(configuration: try TestRedis.configuration(), connection: try TestRedis.connection(), schema: schema)
    }

    @Test func onAClusterTheWakeUpsAreSharded() throws {
        let configuration = try RedisConfiguration(url: TestRedis.clusterURL)
        let connection = RedisConnection(configuration: configuration)
        connection.librariesLoadedOnConnect = [SwitchboardLibrary.library]
        let schema = KeySchema(prefix: "feed" + TestRedis.uniquePrefix().dropFirst(2).dropLast())
        // The cluster subscriber listens with SSUBSCRIBE on the workspace's primary only.
        try checkWakeUps(configuration: configuration, connection: connection, schema: schema)
    }
}
