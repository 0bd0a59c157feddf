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
    public private(set) var workers: [WorkerProcess] = []

    /// Starts `workers` workers with a fresh prefix and workspace.
    public init(workers count: Int = 2, workerArguments: [String] = []) throws {
        let tag = UUID().uuidString.prefix(8).lowercased()
        prefix = "t\(tag)"
        workspace = "ws-\(tag)"
        redisURL = try TestRedis.url
        connection = RedisConnection(configuration: try TestRedis.configuration(name: "sb-test-harness"))
        for index in 0..<count { try startWorker(named: "w\(index)", arguments: workerArguments) }
    }

    deinit { for worker in workers where worker.isRunning { worker.stop() } }

    @discardableResult
    public func startWorker(named name: String, arguments: [String] = []) throws -> WorkerProcess {
        let worker = try WorkerProcess(redisURL: redisURL, prefix: prefix, name: name, extraArguments: arguments)
        workers.append(worker)
        return worker
    }

    /// The key of this workspace named `suffix`, e.g. `agent:42` → `t1234:{ws-1234}:agent:42`.
    public func key(_ suffix: String) -> String { "\(prefix):{\(workspace)}:\(suffix)" }

    /// Writes an intake entry (adding `workspace` unless given) and returns its id.
    @discardableResult
    public func submit(_ fields: [(String, String)], reply: Bool = false) throws -> String {
        var command = RedisCommand("XADD", "\(prefix):intake", "*")
        var all = fields
        if !all.contains(where: { $0.0 == "workspace" }) { all.insert(("workspace", workspace), at: 0) }
        if reply { all.append(("reply", "1")) }
        for (name, value) in all { command.append(name); command.append(value) }
        return try connection.send(command).string!
    }

    /// Writes an entry and waits for a worker's outcome; returns the outcome JSON object.
    @discardableResult
    public func apply(_ fields: [(String, String)], timeout: Double = 15) throws -> [String: Any] {
        let id = try submit(fields, reply: true)
        let reply = try connection.send(RedisCommand("BLPOP", "\(prefix):reply:\(id)", String(timeout)), timeout: .seconds(Int64(timeout) + 2))
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

    /// Every event of the workspace's events stream, as field dictionaries.
    public func events() throws -> [[String: String]] {
        (try connection.send(RedisCommand("XRANGE", key("events"), "-", "+")).array ?? []).compactMap { $0.array?.last?.stringPairs }
    }

    /// Every dead letter written under this prefix.
    public func deadLetters() throws -> [[String: String]] {
        (try connection.send(RedisCommand("XRANGE", "\(prefix):dead", "-", "+")).array ?? []).compactMap { $0.array?.last?.stringPairs }
    }

    /// A subscriber to the workspace's status channel, recording every broadcast's JSON text
    /// (decode with ``PresenceHarness/decode(_:)``).
    public func subscribe() throws -> (RedisSubscriber, EventRecorder<String>) {
        let recorder = EventRecorder<String>()
        let ready = EventRecorder<Bool>()
        let subscriber = RedisSubscriber(configuration: try TestRedis.configuration(name: "sb-test-watch"), channels: [key("status")]) { event in
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
