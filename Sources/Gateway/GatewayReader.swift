// The hubs' Redis reads (tails, events, snapshots), run on one thread of their own and
// answered on the loop.
import Foundation
import Logging
import Redis
import Switchboard

/// Answers ``HubReading`` from Redis.
final class GatewayReader: HubReading {
    /// How many events before a snapshot's version are searched for its recent assignments.
    static let recentWindow = 500
    /// The most assignments a snapshot lists.
    static let recentAssignments = 20

    private let thread: RedisThread
    private let keys: KeySchema
    private let failures: FailureLog
    private let onLoop: @Sendable (@escaping @Sendable () -> Void) -> Void

    /// `onLoop` runs a closure on the loop thread (``EventLoop/execute(_:)``).
    init(thread: RedisThread, keys: KeySchema, logger: Logger, onLoop: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void) {
        self.thread = thread
        self.keys = keys
        failures = FailureLog("gateway redis reads", logger: logger)
        self.onLoop = onLoop
    }

    /// Runs `read` on the Redis thread and hands its result to `done` on the loop.
    private func read<T: Sendable, U>(_ read: @escaping @Sendable (RedisConnection) throws -> T, convert: @escaping (T) -> U,
                                      then done: @escaping (Result<U, any Error>) -> Void) {
        let done = LoopBound(done), convert = LoopBound(convert), onLoop = self.onLoop, failures = self.failures
        thread.run { connection in
            let result = Result { try read(connection) }
            if case .failure(let error) = result { failures.record(error) } else { failures.record(nil) }
            onLoop { done.value(result.map(convert.value)) }
        }
    }

    func tail(of workspace: Identifier, then done: @escaping (Result<(streamID: String, version: Int), any Error>) -> Void) {
        let keys = self.keys
        read({ connection in
            let tail = try WorkspaceEventLog(connection: connection, keys: keys).tail(of: workspace.rawValue)
            return TailBox(streamID: tail.streamID, version: tail.version)
        }, convert: { (streamID: $0.streamID, version: $0.version) }, then: done)
    }

    func events(of workspace: Identifier, afterStreamID streamID: String, limit: Int, then done: @escaping (Result<[FeedEvent], any Error>) -> Void) {
        let keys = self.keys
        read({ connection in
            try WorkspaceEventLog(connection: connection, keys: keys).events(of: workspace.rawValue, afterStreamID: streamID, limit: limit)
        }, convert: { $0.map(FeedEvent.init) }, then: done)
    }

    func events(of workspace: Identifier, afterVersion version: Int, limit: Int, then done: @escaping (Result<HeldEvents, any Error>) -> Void) {
        let keys = self.keys
        read({ connection in
            try WorkspaceEventLog(connection: connection, keys: keys).events(of: workspace.rawValue, afterVersion: version, limit: limit)
        }, convert: { held in
            switch held {
            case .events(let events): .events(events.map(FeedEvent.init))
            case .notHeld: .notHeld
            }
        }, then: done)
    }

    func snapshot(of workspace: Identifier, then done: @escaping (Result<SnapshotMessage, any Error>) -> Void) {
        let keys = self.keys
        read({ connection in try Self.snapshot(of: workspace, on: connection, keys: keys) }, convert: { $0 }, then: done)
    }

    /// The workspace snapshot (docs/protocol.md §6.1) with its last assignments, as the
    /// members of the stream's first message.
    static func snapshot(of workspace: Identifier, on connection: RedisConnection, keys: KeySchema) throws -> SnapshotMessage {
        let snapshot = try WorkspaceSnapshotReader(connection: connection, keys: keys).snapshot(of: workspace)
        let version = Int(snapshot.version)
        // The assignments at or before the snapshot's version, from the events just before it.
        var recent: [[UInt8]] = []
        if version > 0 {
            let log = WorkspaceEventLog(connection: connection, keys: keys)
            if case .events(let events) = try log.events(of: workspace.rawValue, afterVersion: max(0, version - recentWindow), limit: recentWindow) {
                recent = events.filter { $0.type == "assigned" && $0.version <= version }.suffix(recentAssignments).map(\.json)
            }
        }
        let encoder = JSONEncoder()
        // The contract's names, as the CLI's --json writes the same snapshot.
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let body = Array(try encoder.encode(snapshot))
        var members = Array(#","recent_assignments":["#.utf8)
        for (index, json) in recent.enumerated() {
            if index > 0 { members.append(UInt8(ascii: ",")) }
            members += json
        }
        members += Array("],".utf8)
        members += body.dropFirst()  // the snapshot object's members, without its `{`
        return SnapshotMessage(version: version, members: members)
    }
}

/// A tail read, as it crosses threads.
private struct TailBox: Sendable {
    let streamID: String
    let version: Int
}

extension FeedEvent {
    convenience init(_ event: WorkspaceEvent) {
        self.init(streamID: event.streamID, version: event.version, type: event.type, json: event.json)
    }
}
