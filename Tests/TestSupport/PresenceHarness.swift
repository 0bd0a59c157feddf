// Drives a running Switchboard through its public contract: intake entries in, outcomes,
// broadcasts and keys out. Every wait is for an event (a reply list, a broadcast).
import Foundation
import Redis

/// A test's view of one Switchboard deployment: its own key prefix, its workers, and a
/// connection for writing intake entries and reading keys.
public final class PresenceHarness: @unchecked Sendable {
    // @unchecked: used by one test at a time; `connection` is only touched from that test.
    public let prefix: String
    public let workspace: String
    public let redisURL: String
    public let connection: RedisConnection
    /// How many streams the intake is split into; every worker started here uses it.
    public let shards: Int
    public private(set) var workers: [WorkerProcess] = []

    /// Starts `workers` workers with a fresh prefix and workspace, over `shards` intake streams,
    /// on `topology`'s shared Redis (on the cluster, successive harnesses put their workspace
    /// on the next primary in turn: see ``Topology/freshTag()``), or on the Redis at `redisURL`
    /// (any URL a worker takes, e.g. a private cluster's; then the tag is random).
    public init(workers count: Int = 2, workerArguments: [String] = [], shards: Int = 1, topology: Topology = .standalone, redisURL: String? = nil) throws {
        let tag = redisURL == nil ? try topology.freshTag() : String(UUID().uuidString.prefix(8).lowercased())
        prefix = "t\(tag)"
        workspace = "ws-\(tag)"
        self.shards = shards
        self.redisURL = try redisURL ?? topology.url
        connection = RedisConnection(configuration: try Self.configuration(url: self.redisURL, name: "sb-test-harness"))
        for index in 0..<count { try startWorker(named: "w\(index)", arguments: workerArguments) }
    }

    /// The intake stream of `workspace` (this harness's by default), by the documented rule
    /// (docs/protocol.md §1), computed here as any producer would.
    public func intake(for workspace: String? = nil) -> String {
        IntakeShardRule.key(prefix: prefix, workspace: workspace ?? self.workspace, shards: shards)
    }

    /// The reply list of entry `id` of `workspace` (this harness's by default).
    public func replyKey(_ id: String, workspace: String? = nil) -> String {
        IntakeShardRule.replyKey(stream: intake(for: workspace), id: id)
    }

    /// Every intake stream the workers read.
    public var intakeStreams: [String] { IntakeShardRule.streamsRead(prefix: prefix, shards: shards) }

    /// Waits (up to `timeout` seconds) until a worker has recorded the shard count in
    /// `<prefix>:config`, which producers that read it need.
    public func awaitRecordedShardCount(timeout: Double = 15) throws {
        let end = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < end {
            if try connection.send(RedisCommand("HGET", "\(prefix):config", "intake_shards")).string == String(shards) { return }
            usleep(10_000)
        }
        throw TestSupportError("no worker recorded \(shards) intake shards within \(timeout)s; worker logs:\n" + workers.map(\.log).joined(separator: "\n---\n"))
    }

    /// Waits (up to `timeout` seconds) until every intake stream is empty with nothing pending;
    /// returns whether that happened. (A reply is pushed just before its entry is acknowledged.)
    public func awaitDrained(timeout: Double = 60) throws -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < end {
            if try intakeDrained() { return true }
            usleep(20_000)
        }
        return try intakeDrained()
    }

    /// Whether every intake stream is empty with nothing pending: all applied and acknowledged.
    public func intakeDrained() throws -> Bool {
        let replies = try connection.pipeline(intakeStreams.flatMap { [RedisCommand("XLEN", $0), RedisCommand("XPENDING", $0, "switchboard")] })
        return replies.allSatisfy { reply in
            if reply.serverError != nil { return false }
            return (reply.int ?? reply.array?.first?.int ?? 0) == 0
        }
    }

    deinit { for worker in workers where worker.isRunning { worker.stop() } }

    @discardableResult
    public func startWorker(named name: String, arguments: [String] = []) throws -> WorkerProcess {
        let worker = try WorkerProcess(redisURL: redisURL, prefix: prefix, name: name, extraArguments: ["--intake-shards", String(shards)] + arguments)
        workers.append(worker)
        return worker
    }

    /// A configuration for this deployment's Redis.
    public func configuration(name: String? = nil) throws -> RedisConfiguration { try Self.configuration(url: redisURL, name: name) }

    private static func configuration(url: String, name: String?) throws -> RedisConfiguration {
        try TestTLS.configuration(url: url, name: name)
    }

    /// The key of this workspace named `suffix`, e.g. `agent:42` → `t1234:{ws-1234}:agent:42`.
    public func key(_ suffix: String) -> String { workspaceKey(suffix, of: workspace) }

    /// The key of `workspace` named `suffix`, under this harness's prefix.
    public func workspaceKey(_ suffix: String, of workspace: String) -> String { "\(prefix):{\(workspace)}:\(suffix)" }

    /// Writes an intake entry (adding `workspace` unless given) and returns its id.
    @discardableResult
    public func submit(_ fields: [(String, String)], reply: Bool = false) throws -> String {
        var all = fields
        if !all.contains(where: { $0.0 == "workspace" }) { all.insert(("workspace", workspace), at: 0) }
        var command = RedisCommand("XADD", intake(for: all.first { $0.0 == "workspace" }?.1), "*")
        if reply { all.append(("reply", "1")) }
        for (name, value) in all { command.append(name); command.append(value) }
        return try connection.send(command).string!
    }

    /// Writes an entry and waits for a worker's outcome; returns the outcome JSON object.
    @discardableResult
    public func apply(_ fields: [(String, String)], timeout: Double = 15) throws -> [String: Any] {
        let id = try submit(fields, reply: true)
        let reply = try connection.send(RedisCommand("BLPOP", replyKey(id, workspace: fields.first { $0.0 == "workspace" }?.1), String(timeout)), timeout: .seconds(Int64(timeout) + 2))
        guard let text = reply.array?.last?.string,
              let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestSupportError("no worker applied entry \(id) \(fields) within \(timeout)s; worker logs:\n" + workers.map(\.log).joined(separator: "\n---\n"))
        }
        return object
    }

    /// An agent's hash.
    public func agent(_ id: String) throws -> [String: String] {
        try connection.send(RedisCommand("HGETALL", key("agent:\(id)"))).stringPairs ?? [:]
    }

    /// An agent's live session ids.
    public func sessions(_ id: String) throws -> Set<String> {
        Set((try connection.send(RedisCommand("HKEYS", key("agent:\(id):sessions"))).array ?? []).compactMap(\.string))
    }

    /// Every event of the workspace's (or `workspace`'s) events stream, as field dictionaries.
    public func events(workspace: String? = nil) throws -> [[String: String]] {
        (try connection.send(RedisCommand("XRANGE", workspaceKey("events", of: workspace ?? self.workspace), "-", "+")).array ?? []).compactMap { $0.array?.last?.stringPairs }
    }

    /// The dead-letter streams of this prefix: `<prefix>:dead`, and with several intake shards
    /// also each shard's `<prefix>:dead:<n>` (docs/keys.md).
    public var deadLetterStreams: [String] { ["\(prefix):dead"] + (shards == 1 ? [] : (0..<shards).map { "\(prefix):dead:\($0)" }) }

    /// Every dead letter written under this prefix, over every dead-letter stream.
    public func deadLetters() throws -> [[String: String]] {
        try connection.pipeline(deadLetterStreams.map { RedisCommand("XRANGE", $0, "-", "+") })
            .flatMap { try $0.orThrow().array ?? [] }.compactMap { $0.array?.last?.stringPairs }
    }

    /// A subscriber to the workspace's status channel, recording every broadcast's JSON text
    /// (decode with ``PresenceHarness/decode(_:)``).
    public func subscribe() throws -> (RedisSubscriber, EventRecorder<String>) {
        let recorder = EventRecorder<String>()
        let ready = EventRecorder<Bool>()
        let subscriber = RedisSubscriber(configuration: try configuration(name: "sb-test-watch"), channels: [key("status")]) { event in
            switch event {
            case .ready: ready.record(true)
            case .message(let message): recorder.record(message.text)
            default: break
            }
        }
        subscriber.start()
        guard ready.wait(until: { !$0.isEmpty }) else { throw TestSupportError("subscriber did not become ready") }
        return (subscriber, recorder)
    }

    /// Decodes a broadcast's JSON text.
    public static func decode(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }
}
