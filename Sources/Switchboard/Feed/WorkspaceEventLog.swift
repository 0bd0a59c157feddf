// Reading a workspace's events stream for the live feed: where it ends, what came after an
// entry, and whether it still holds everything after a version a client last saw.
import Redis

/// The events after a version, or why there are none to give.
public enum EventsAfterVersion: Sendable, Equatable {
    /// The events from the asked version + 1 on, consecutive, oldest first (empty when the
    /// version is the last one).
    case events([WorkspaceEvent])
    /// The stream no longer holds the event right after the version (trimmed), or the
    /// version is beyond the last one: take a snapshot instead.
    case notHeld
}

/// Reads `sb:{<ws>}:events` (docs/protocol.md §6.3). Blocking: use it on the connection's own
/// thread, never on Swift's cooperative pool.
public struct WorkspaceEventLog {
    /// The connection it reads with.
    public let connection: RedisConnection
    /// The key layout.
    public let keys: KeySchema
    /// How many entries one `XREVRANGE` reads while looking back for a version.
    var pageSize = 500

    /// Creates a reader of the events streams under `keys`.
    public init(connection: RedisConnection, keys: KeySchema) {
        self.connection = connection
        self.keys = keys
    }

    /// The last event of the workspace: its stream id and version; `("0-0", 0)` when none.
    /// - Throws: ``IntakeRejection`` when `workspace` is not an id; a Redis error.
    public func tail(of workspace: String) throws -> (streamID: String, version: Int) {
        let stream = try eventsKey(of: workspace)
        guard let last = try entries(try connection.send(RedisCommand("XREVRANGE", stream, "+", "-", "COUNT", 1)), of: workspace, stream: stream).first else {
            return ("0-0", 0)
        }
        return (last.streamID, last.version)
    }

    /// Up to `limit` events after stream id `id` (exclusive; `"0-0"` for the first), oldest first.
    /// - Throws: ``IntakeRejection`` when `workspace` is not an id; a Redis error.
    public func events(of workspace: String, afterStreamID id: String, limit: Int) throws -> [WorkspaceEvent] {
        let stream = try eventsKey(of: workspace)
        guard limit > 0 else { return [] }
        return try entries(try connection.send(RedisCommand("XRANGE", stream, "(" + id, "+", "COUNT", limit)), of: workspace, stream: stream)
    }

    /// Up to `limit` events after version `version`, oldest first, checked consecutive; or
    /// ``EventsAfterVersion/notHeld``. Reads back from the end of the stream page by page until
    /// the event of `version` (or the stream's start), so its cost grows with how far back
    /// `version` is.
    /// - Throws: ``IntakeRejection`` when `workspace` is not an id; a Redis error.
    public func events(of workspace: String, afterVersion version: Int, limit: Int) throws -> EventsAfterVersion {
        let stream = try eventsKey(of: workspace)
        // The events after `version` read so far, oldest first, at most `limit` of them: each
        // page is older than the last, so what it adds goes in front and the newest fall off.
        var after: [WorkspaceEvent] = []
        var oldestRead: Int?
        var end = "+"
        var isFirstPage = true
        while true {
            let page = try entries(try connection.send(RedisCommand("XREVRANGE", stream, end, "-", "COUNT", pageSize)), of: workspace, stream: stream)
            if isFirstPage {
                let last = page.first?.version ?? 0
                if version > last { return .notHeld }
                if version == last { return .events([]) }
                isFirstPage = false
            }
            let newer = page.prefix { $0.version > version }
            after = Array((newer.reversed() + after).prefix(max(limit, 0)))
            oldestRead = newer.last?.version ?? oldestRead
            // Done once the stream reaches back to `version` or starts: whole only if it holds
            // the event right after `version` and all the next ones.
            if newer.count < page.count || page.count < pageSize {
                return oldestRead == version + 1 ? Self.consecutive(after, from: version + 1) : .notHeld
            }
            end = "(" + page[page.count - 1].streamID
        }
    }

    private static func consecutive(_ events: [WorkspaceEvent], from first: Int) -> EventsAfterVersion {
        for (offset, event) in events.enumerated() where event.version != first + offset { return .notHeld }
        return .events(events)
    }

    private func eventsKey(of workspace: String) throws(IntakeRejection) -> String {
        keys.workspace(try Identifier.validate(workspace, field: "workspace")).events
    }

    /// The events of an XRANGE/XREVRANGE reply, in its order.
    private func entries(_ reply: RedisValue, of workspace: String, stream: String) throws(RedisClientError) -> [WorkspaceEvent] {
        try (reply.array ?? []).map { (entry: RedisValue) throws(RedisClientError) -> WorkspaceEvent in
            guard let parts = entry.array, parts.count == 2, let id = parts[0].string,
                  let event = WorkspaceEvent(streamID: id, fields: (parts[1].array ?? []).map { $0.string ?? "" }, workspace: workspace) else {
                throw RedisClientError(.protocolError, "An entry of \(stream) has no whole-number version: \(entry).",
                                       recoverySuggestion: "Only the Switchboard functions may write to the events stream; delete entries written by hand (XDEL).")
            }
            return event
        }
    }
}
