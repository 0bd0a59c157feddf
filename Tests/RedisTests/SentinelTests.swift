import ChildProcess
import Foundation
import Testing
import TestSupport
@testable import Redis

/// A connection through Redis Sentinel finds the primary by itself, on its first connect and
/// after a failover, and says clearly when it cannot.
@Suite("Redis Sentinel")
struct SentinelTests {
    /// The sentinels' addresses and master name of the shared group's URL.
    private func sharedGroup() throws -> (sentinels: [RedisConfiguration.Endpoint], masterName: String) {
        guard case .sentinel(let name, let sentinels) = try RedisConfiguration(url: try TestRedis.sentinelURL).endpoint else {
            throw TestSupportError("the shared Sentinel URL is not a redis-sentinel:// URL")
        }
        return (sentinels, name)
    }

    private func url(_ sentinels: [RedisConfiguration.Endpoint], _ masterName: String) -> String {
        "redis-sentinel://" + sentinels.map(\.description).joined(separator: ",") + "/" + masterName
    }

    @Test func findsThePrimaryTheSentinelsName() throws {
        let connection = RedisConnection(configuration: try RedisConfiguration(url: try TestRedis.sentinelURL))
        let key = TestRedis.uniquePrefix() + "resolved"
        try connection.send(RedisCommand("SET", key, "here", "EX", 60))
        #expect(try connection.send(RedisCommand("GET", key)).string == "here")
        #expect(try connection.send(["ROLE"]).array?.first?.string == "master")
    }

    @Test func aDeadSentinelIsSkipped() throws {
        let (sentinels, name) = try sharedGroup()
        let dead = RedisConfiguration.Endpoint.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
        let connection = RedisConnection(configuration: try RedisConfiguration(url: url([dead] + sentinels, name)))
        #expect(try connection.send(["ROLE"]).array?.first?.string == "master")
    }

    @Test func theSentinelThatAnsweredIsAskedFirstOnTheNextConnect() throws {
        let (sentinels, name) = try sharedGroup()
        // A "sentinel" that hangs up on every connection, and counts them.
        let hangingUp = try RefusingSocket(path: FileManager.default.temporaryDirectory.appendingPathComponent("sb-sentinel-\(UUID().uuidString.prefix(8)).sock").path)
        defer { hangingUp.stop() }
        let connection = RedisConnection(configuration: RedisConfiguration(endpoint: .sentinel(masterName: name, sentinels: [.unixSocket(path: hangingUp.path)] + sentinels)))
        try connection.send(["PING"])
        #expect(hangingUp.attempts.wait(until: { $0.count == 1 }), "the first connect asked the sentinels in the URL's order")
        connection.dropContext()
        try connection.send(["PING"])
        #expect(connection.connectCount == 2)
        #expect(hangingUp.attempts.all.count == 1, "the second connect asked the sentinel that answered the first")
    }

    @Test func anUnknownMasterNameIsAConfigurationError() throws {
        let (sentinels, _) = try sharedGroup()
        let connection = RedisConnection(configuration: try RedisConfiguration(url: url(sentinels, "no-such-primary")))
        #expect {
            try connection.send(["PING"])
        } throws: { error in
            let error = error as! RedisClientError
            return error.kind == .invalidConfiguration && error.message.contains("no primary named 'no-such-primary'")
                && error.recoverySuggestion.contains("SENTINEL MASTERS")
        }
    }

    @Test func noSentinelReachableSaysWhichWereTried() throws {
        let ports = [try LoopbackPort.free(), try LoopbackPort.free()]
        var configuration = try RedisConfiguration(url: "redis-sentinel://127.0.0.1:\(ports[0]),127.0.0.1:\(ports[1])/switchboard")
        configuration.reconnectBackoff = Backoff(initial: .milliseconds(1), maximum: .milliseconds(1), jitter: 0)
        let connection = RedisConnection(configuration: configuration)
        #expect {
            try connection.send(["PING"])
        } throws: { error in
            let error = error as! RedisClientError
            return error.kind == .connectFailed && error.message.contains("No sentinel answered")
                && ports.allSatisfy { error.message.contains("127.0.0.1:\($0)") }
        }
    }

    @Test func aNamedNodeThatIsAReplicaIsRefusedAndItsREADONLYDropsTheLink() throws {
        // A replica whose primary is gone still answers; a lone sentinel names it as "stale".
        let replica = try RedisServerProcess(tcp: true, arguments: ["--replicaof", "127.0.0.1", String(try LoopbackPort.free())])
        let sentinel = try LoneSentinel(monitoring: "stale", port: replica.port!)
        var configuration = try RedisConfiguration(url: "redis-sentinel://127.0.0.1:\(sentinel.port)/stale")
        configuration.connectTimeout = .milliseconds(300)
        #expect {
            try RedisConnection(configuration: configuration).send(["PING"])
        } throws: { error in
            let error = error as! RedisClientError
            return error.kind == .connectFailed && error.message.contains("The primary of 'stale' that the sentinels name (127.0.0.1:\(replica.port!))")
                && error.message.contains("is not a primary (ROLE: slave)") && error.recoverySuggestion.contains("SENTINEL MASTER stale")
        }

        // A link that reaches a replica anyway (a primary demoted after the connect) is dropped
        // by the READONLY, so the next command connects anew instead of writing to it for ever.
        let direct = RedisConnection(configuration: try RedisConfiguration(url: "redis://127.0.0.1:\(replica.port!)"))
        #expect(throws: RedisServerError.self) { try direct.send(RedisCommand("SET", "k", "v")) }
        #expect(!direct.isConnected)
        #expect(try direct.send(["PING"]) == .status("PONG"))
        #expect(direct.connectCount == 2)
    }

    @Test func aUserNotAllowedROLEIsToldSo() throws {
        let server = try RedisServerProcess(tcp: true)
        _ = try server.cli("ACL", "SETUSER", "no-role", "on", ">pw", "~*", "+@all", "-role")
        let sentinel = try LoneSentinel(monitoring: "acl", port: server.port!)
        let connection = RedisConnection(configuration: try RedisConfiguration(url: "redis-sentinel://no-role:pw@127.0.0.1:\(sentinel.port)/acl"))
        #expect {
            try connection.send(["PING"])
        } throws: { error in
            let error = error as! RedisClientError
            return error.kind == .authenticationFailed && error.message.contains("refused ROLE") && error.recoverySuggestion.contains("+role")
        }
    }

    @Test func afterTheKillOfThePrimaryTheConnectionReachesThePromotedReplicaByItself() throws {
        let group = try RedisSentinelGroup(masterName: "killed")
        let connection = RedisConnection(configuration: try RedisConfiguration(url: group.url))
        try connection.send(RedisCommand("SET", "before", "1"))
        #expect(try connection.send(RedisCommand("WAIT", 1, 5000)).int == 1)
        let old = try group.primaryPort()
        group.server(port: old)!.kill()
        let promoted = try group.awaitPrimary(otherThan: old)

        // The caller only retries; the connection asks the sentinels again by itself.
        let (wrote, lastError) = awaitWrite(on: connection)
        #expect(wrote, "no write reached the promoted replica: \(String(describing: lastError))")
        #expect(try connection.info("server")["tcp_port"] == String(promoted))
        #expect(try connection.send(RedisCommand("GET", "before")).string == "1")
    }

    @Test func aFailoverThatDemotesThePrimaryIsFollowed() throws {
        let group = try RedisSentinelGroup(masterName: "demoted")
        let connection = RedisConnection(configuration: try RedisConfiguration(url: group.url))
        try connection.send(RedisCommand("SET", "before", "1"))
        let old = try group.primaryPort()
        _ = try ChildProcess.run("redis-cli", ["-p", String(group.sentinels[0].port), "SENTINEL", "FAILOVER", group.masterName])
        let promoted = try group.awaitPrimary(otherThan: old)
        // The sentinels turn the old primary into a replica some seconds after the switch.
        try group.server(port: old)!.awaitCLI("ROLE", prints: "slave", upTo: .seconds(40))

        // Whether the sentinels cut the old link or the demoted primary answers READONLY, the
        // writes go to the new primary within a few tries, never to the replica for ever.
        let (wrote, lastError) = awaitWrite(on: connection)
        #expect(wrote, "no write reached the new primary: \(String(describing: lastError))")
        #expect(try connection.info("server")["tcp_port"] == String(promoted))
    }

    /// Retries `SET after 2` for up to 30 s: whether one got through, and the last error.
    private func awaitWrite(on connection: RedisConnection) -> (Bool, (any Error)?) {
        var lastError: (any Error)?
        let wrote = eventually(upTo: 30) {
            do {
                try connection.send(RedisCommand("SET", "after", "2"))
                return true
            } catch {
                lastError = error
                return false
            }
        }
        return (wrote, lastError)
    }
}

/// One sentinel of its own, monitoring a node under a name, for cases a real group does not
/// show on demand (a named node that is a replica).
private final class LoneSentinel {
    let port: Int
    private let process: ChildProcess
    private let directory: URL

    init(monitoring name: String, port monitored: Int) throws {
        port = try LoopbackPort.free()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-lone-sentinel-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("sentinel.conf")
        try """
            port \(port)
            bind 127.0.0.1
            dir \(directory.path)
            sentinel monitor \(name) 127.0.0.1 \(monitored) 1

            """.write(to: config, atomically: true, encoding: .utf8)
        process = try ChildProcess(executable: "/usr/bin/redis-server", arguments: [config.path, "--sentinel"],
                                   outputPath: directory.appendingPathComponent("sentinel.log").path)
        let probe = RedisConnection(configuration: RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port)))
        guard eventually(upTo: 10, { (try? probe.send(RedisCommand("SENTINEL", "get-master-addr-by-name", name)))?.array != nil }) else {
            throw TestSupportError("the sentinel on port \(port) did not start")
        }
    }

    deinit {
        process.signal(SIGTERM)
        _ = process.waitOrKill(after: .seconds(5))
        try? FileManager.default.removeItem(at: directory)
    }

}
