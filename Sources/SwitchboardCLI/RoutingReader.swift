// What an operator sees of routing: queues, conversations and workspace settings, read
// straight from the keys the routing functions keep (see the header of Lua/includes/routing.lua).
import Redis
import Switchboard

/// A conversation as stored in `conversation:<id>`.
struct ConversationSnapshot: Codable, Equatable {
    var conversation: String
    /// queued, assigned or closed.
    var state: String
    /// The team, or nil for the general queue.
    var team: String?
    var priority: Int
    var agent: String?
    /// Times in ms since 1970.
    var createdAt: Int64?
    var assignedAt: Int64?
    var closedAt: Int64?
}

/// One waiting conversation of a queue.
struct QueuedConversation: Codable, Equatable {
    /// 1 for the next one to be routed.
    var position: Int
    var conversation: String
    var priority: Int
    /// When it was opened (ms since 1970); a transferred or reassigned conversation keeps its time.
    var createdAt: Int64?
}

/// A queue: its first conversations in routing order, and how many wait in all.
struct QueueSnapshot: Codable, Equatable {
    /// The team, or nil for the general queue.
    var team: String?
    var count: Int
    var conversations: [QueuedConversation]
}

/// Reads routing state for `switchboard inspect` and `switchboard settings`: one pipeline a read.
struct RoutingReader {
    let connection: RedisConnection
    let keys: KeySchema

    /// The first `limit` conversations of the general queue (`team` nil) or a team's queue.
    func queue(team: Identifier?, limit: Int, in workspace: Identifier) throws -> QueueSnapshot {
        let key = keys.workspace(workspace).queue(team: team)
        let head = try connection.pipeline([RedisCommand("ZRANGE", key, 0, limit - 1), RedisCommand("ZCARD", key)])
        let ids = (try head[0].orThrow().array ?? []).compactMap { $0.string.flatMap(Identifier.init) }
        let count = try head[1].orThrow().int ?? 0
        let fields = try connection.pipeline(ids.map { RedisCommand("HMGET", keys.workspace(workspace).conversation($0), "priority", "created_at") })
        let conversations = try ids.enumerated().map { index, id in
            let values = try fields[index].orThrow().array ?? []
            return QueuedConversation(position: index + 1, conversation: id.rawValue, priority: values.first?.string.flatMap { Int($0) } ?? 0,
                                      createdAt: values.last?.string.flatMap { Int64($0) })
        }
        return QueueSnapshot(team: team?.rawValue, count: count, conversations: conversations)
    }

    /// One conversation, or nil if the workspace does not know it (a closed one is kept a day).
    func conversation(_ id: Identifier, in workspace: Identifier) throws -> ConversationSnapshot? {
        let fields = try connection.send(RedisCommand("HGETALL", keys.workspace(workspace).conversation(id))).orThrow().stringPairs ?? [:]
        guard !fields.isEmpty else { return nil }
        let nonEmpty = { (name: String) in fields[name].flatMap { $0.isEmpty ? nil : $0 } }
        return ConversationSnapshot(
            conversation: id.rawValue, state: fields["state"] ?? "unknown", team: nonEmpty("team"),
            priority: fields["priority"].flatMap { Int($0) } ?? 0, agent: nonEmpty("agent"),
            createdAt: nonEmpty("created_at").flatMap { Int64($0) }, assignedAt: nonEmpty("assigned_at").flatMap { Int64($0) },
            closedAt: nonEmpty("closed_at").flatMap { Int64($0) })
    }

    /// The workspace's settings; those never set read as the routing scripts read them.
    func settings(in workspace: Identifier) throws -> WorkspaceSettings {
        let fields = try connection.send(RedisCommand("HGETALL", keys.workspace(workspace).settings)).orThrow().stringPairs ?? [:]
        return WorkspaceSettings(fields: fields)
    }
}
