// The Redis key layout, as Swift names it: Lua/includes/keys.lua names the same keys for
// the functions (a test keeps the two equal). docs/keys.md documents it for operators.

/// The global keys of a Switchboard deployment, under a prefix (default `sb`).
public struct KeySchema: Sendable, Hashable {
    /// The prefix of every key, `sb` by default.
    public let prefix: String

    /// Creates the schema for a prefix.
    public init(prefix: String = "sb") { self.prefix = prefix }

    /// The intake stream every producer writes to, when the intake is one stream (one shard).
    public var intake: String { "\(prefix):intake" }
    /// The most intake shards a deployment may use.
    public static let maximumIntakeShards = 1024
    /// Which of `count` intake shards a workspace's entries belong on: the IEEE CRC-32 of its
    /// id's UTF-8 bytes (as zlib computes it) modulo `count`.
    public static func intakeShard(of workspace: String, count: Int) -> Int {
        precondition((1...maximumIntakeShards).contains(count), "intake shard count \(count) is outside 1…\(maximumIntakeShards)")
        return Int(CRC32.checksum(workspace) % UInt32(count))
    }
    /// The intake stream of one shard out of `count`: `sb:intake` when there is one shard
    /// (unchanged for existing producers), else `sb:intake:<shard>`.
    public func intake(shard: Int, of count: Int) -> String { count == 1 ? intake : "\(intake):\(shard)" }
    /// Every intake stream of a deployment with `count` shards, shard 0 first.
    public func intakeShards(_ count: Int) -> [String] { (0..<count).map { intake(shard: $0, of: count) } }
    /// The intake stream a workspace's entries go to, with `count` shards.
    public func intake(forWorkspace workspace: String, shards count: Int) -> String {
        intake(shard: Self.intakeShard(of: workspace, count: count), of: count)
    }
    /// The streams workers read with `count` shards: the shards and, when there are several,
    /// also `sb:intake`, so an entry a producer still writes there is dead-lettered (it belongs
    /// on a shard) instead of waiting unread for ever.
    public func intakeStreamsRead(shards count: Int) -> [String] { count == 1 ? [intake] : intakeShards(count) + [intake] }
    /// Hash: the deployment's settings every worker and producer must agree on
    /// (`intake_shards`), recorded by the first worker.
    public var config: String { "\(prefix):config" }
    /// The consumer group of the workers on the intake stream.
    public var consumerGroup: String { "switchboard" }
    /// The stream of rejected intake entries, with one intake shard.
    public var deadLetters: String { "\(prefix):dead" }
    /// The dead letters of the entries of intake stream `stream`, named after it as its
    /// replies are: `sb:dead` for `sb:intake`, `sb:dead:<n>` for shard `sb:intake:<n>`. Each
    /// shard writes its own, so no one key (nor one Redis Cluster node) takes every write.
    public func deadLetters(stream: String) -> String {
        guard stream.hasPrefix(intake + ":") else { return deadLetters }
        return "\(deadLetters):\(stream.dropFirst(intake.count + 1))"
    }
    /// Every dead-letter stream of a deployment with `count` shards, one per intake stream read.
    public func deadLetterStreams(shards count: Int) -> [String] { intakeStreamsRead(shards: count).map { deadLetters(stream: $0) } }
    /// Sorted set: workspace → the earliest time (ms) a session of it may expire, with one
    /// intake shard.
    public var sweepSchedule: String { "\(prefix):sweep" }
    /// Set of every workspace that has had a session, for the slow safety sweep, with one
    /// intake shard.
    public var workspaces: String { "\(prefix):workspaces" }
    /// Sorted set: workspace → when (ms) its widget's business hours next change, or when a
    /// worker must compute them (a settings change); claimed with a lease like the sweep. With
    /// one intake shard.
    public var widgetSchedule: String { "\(prefix):widget-schedule" }
    /// The sweep schedule, the safety sweep's set of workspaces and the widget schedule of
    /// intake shard `shard` of `count`: written per entry, they are spread as the intake is
    /// (`sb:sweep` with one shard, else `sb:sweep:<n>`), each holding the workspaces of its shard.
    public func schedules(shard: Int, of count: Int) -> ShardSchedules {
        let suffix = count == 1 ? "" : ":\(shard)"
        return ShardSchedules(sweep: sweepSchedule + suffix, workspaces: workspaces + suffix, widgets: widgetSchedule + suffix)
    }
    /// The schedules of every intake shard, shard 0 first.
    public func schedules(shards count: Int) -> [ShardSchedules] { (0..<count).map { schedules(shard: $0, of: count) } }
    /// The schedules workers claim from with `count` intake shards: every shard's and, when
    /// there are several, also the un-numbered ones, so that a member written there while the
    /// intake was one stream is still claimed (a claimed sweep member is rescheduled into its
    /// own shard's key) instead of waiting for ever.
    public func schedulesClaimed(shards count: Int) -> [ShardSchedules] {
        count == 1 ? schedules(shards: 1) : schedules(shards: count) + [schedules(shard: 0, of: 1)]
    }
    /// The schedules a workspace belongs in, with `count` intake shards (its intake shard's).
    public func schedules(forWorkspace workspace: String, shards count: Int) -> ShardSchedules {
        schedules(shard: Self.intakeShard(of: workspace, count: count), of: count)
    }
    /// String: which worker holds the safety sweep for the current interval (expires).
    public var safetySweepLease: String { "\(prefix):safety-sweep" }
    /// Hash: one live worker's heartbeat (name, host, pid, version, started, last seen,
    /// counts); expires when the worker stops refreshing it.
    public func worker(_ name: String) -> String { "\(prefix):worker:\(name)" }
    /// Sorted set: worker name → its last heartbeat (ms); workers gone a day are dropped.
    public var workers: String { "\(prefix):workers" }
    /// The list an intake entry of `sb:intake` pushes its outcome to when it asked for a reply.
    public func reply(entryID: String) -> String { "\(prefix):reply:\(entryID)" }
    /// The reply list of an entry of intake stream `stream`: `sb:reply:<entry id>` for
    /// `sb:intake`, `sb:reply:<n>:<entry id>` for shard `sb:intake:<n>`, since entry ids are
    /// unique within one stream only.
    public func reply(entryID: String, stream: String) -> String {
        guard stream.hasPrefix(intake + ":") else { return reply(entryID: entryID) }
        return "\(prefix):reply:\(stream.dropFirst(intake.count + 1)):\(entryID)"
    }

    /// The keys of one workspace.
    public func workspace(_ id: Identifier) -> WorkspaceKeys { WorkspaceKeys(prefix: prefix, workspace: id) }
    /// The feed channel of a workspace (``WorkspaceKeys/feedChannel``).
    public func feed(workspace: Identifier) -> String { self.workspace(workspace).feedChannel }
}

/// The global keys one intake shard's workspaces are scheduled in.
public struct ShardSchedules: Sendable, Hashable {
    /// Sorted set: workspace → the earliest time (ms) a session of it may expire.
    public let sweep: String
    /// Set of every workspace that has had a session or business hours, for the safety sweep.
    public let workspaces: String
    /// Sorted set: workspace → when (ms) its widget's business hours next change.
    public let widgets: String
}

/// The keys of one workspace. All share the hash tag `{workspace}` so one script can touch
/// them atomically, on one Redis Cluster slot.
public struct WorkspaceKeys: Sendable, Hashable {
    /// The workspace.
    public let workspace: Identifier
    /// `sb:{acme}:`, the start of every key of the workspace.
    public let base: String

    init(prefix: String, workspace: Identifier) {
        self.workspace = workspace
        base = "\(prefix):{\(workspace.rawValue)}:"
    }

    /// Hash: the workspace's counters (`version`).
    public var meta: String { base + "meta" }
    /// A key that never exists, declared by every function call beside `meta`: while the
    /// workspace's slot migrates to another Redis Cluster node, a command declaring an
    /// existing and a missing key of that slot is refused with `TRYAGAIN` before it runs, so
    /// no function starts there (it could fail half-way, on a key already moved, after
    /// writing). The call is retried once the slot has moved.
    public var slotGuard: String { base + "slot-guard" }
    /// The keys every workspace function call declares: `meta`, then ``slotGuard``.
    public var functionKeys: [String] { [meta, slotGuard] }
    /// Set: every agent id of the workspace.
    public var agents: String { base + "agents" }
    /// Sorted set: `agent/session` → expiry time in ms.
    public var sessions: String { base + "sessions" }
    /// Stream: every outcome, capped.
    public var events: String { base + "events" }
    /// Pub/Sub channel: status broadcasts.
    public var statusChannel: String { base + "status" }
    /// Pub/Sub channel: one JSON per assignment.
    public var assignmentsChannel: String { base + "assignments" }
    /// Pub/Sub channel: a wake-up per function call that emitted events, carrying the last
    /// version written to ``events`` (a decimal); readers catch up from the stream.
    public var feedChannel: String { base + "feed" }
    /// Hash: routing settings (`routing`, `busy_fallback`, `default_capacity`, `ai_chat`).
    public var settings: String { base + "settings" }
    /// Hash: the chat widget's `state` (online/offline), `reason`, `since`, and the business
    /// hours as last computed by a worker: `schedule_open` (1/0) and `schedule_next` (ms).
    public var widget: String { base + "widget" }
    /// Set: agents available for the widget: Online, in the routing pool, with a session.
    public var available: String { base + "available" }
    /// Set: every team seen, so a settings change can drain every queue.
    public var teams: String { base + "teams" }
    /// Sorted set: the conversations waiting for a team's agents (`nil`: the general queue).
    public func queue(team: Identifier?) -> String { base + "queue" + (team.map { ":" + $0.rawValue } ?? "") }
    /// Sorted set: Online agents with room, serving a team (`nil`: the general queue).
    public func pool(team: Identifier?) -> String { base + "pool" + (team.map { ":" + $0.rawValue } ?? "") }
    /// Sorted set: the same for Busy agents (routing reads it only with `busy_fallback`).
    public func busyPool(team: Identifier?) -> String { base + "busy" + (team.map { ":" + $0.rawValue } ?? "") }
    /// Hash: a conversation's state, team, priority, agent and times.
    public func conversation(_ id: Identifier) -> String { base + "conversation:" + id.rawValue }
    /// Set: an agent's open conversations.
    public func agentConversations(_ id: Identifier) -> String { base + "agent:" + id.rawValue + ":conversations" }
    /// Hash: an agent's status and profile.
    public func agent(_ id: Identifier) -> String { base + "agent:" + id.rawValue }
    /// Hash: an agent's live sessions, session → expiry (ms since 1970).
    public func agentSessions(_ id: Identifier) -> String { base + "agent:" + id.rawValue + ":sessions" }
    /// Hash: an agent's recent events, to put late entries in order (the replay window).
    public func agentLog(_ id: Identifier) -> String { base + "agent:" + id.rawValue + ":log" }
}
