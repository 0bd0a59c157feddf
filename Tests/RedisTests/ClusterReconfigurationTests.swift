import Foundation
import Testing
import TestSupport
@testable import Redis

/// Slot moves, flushed functions, unserved slots and a killed primary, each on a private cluster.
@Suite("Cluster: redirections and failures (private clusters)")
struct ClusterReconfigurationTests {
    @Test func movedSlotIsFollowed() throws {
        let cluster = try RedisClusterProcess(primaries: 3, replicasPerPrimary: 0)
        let connection = RedisConnection(configuration: try RedisConfiguration(url: cluster.url(ofNode: 0)))
        let key = "moved:{a}"  // slot 15495: on the primary with the highest slots, the last a map refresh would ask
        try connection.send(RedisCommand("SET", key, "before"))
        let slot = ClusterSlot.of(key)
        // A second client, linked to every primary, whose map is refreshed by every MOVED.
        let others = try ClusterKeys(cluster.url(ofNode: 1))
        let elsewhere = try others.onePerPrimary().filter { try cluster.primaryPort(ofSlot: ClusterSlot.of($0)) != cluster.primaryPort(ofSlot: slot) }
        try #require(elsewhere.count == 2)
        for other in elsewhere { try others.connection.send(RedisCommand("SET", other, other)) }
        try #require(others.connection.router).refreshInterval = .zero
        let move = try SlotMove(cluster, slot: slot)
        try move.begin()
        try move.migrate([key])
        try move.finish()
        // A MOVED among replies of three nodes: the map is read again (on a link of the first
        // primary) once every reply is in, the replies stay in order.
        #expect(try others.connection.pipeline([RedisCommand("GET", key), RedisCommand("GET", elsewhere[0]), RedisCommand("GET", elsewhere[1])]).map(\.string)
                == ["before", elsewhere[0], elsewhere[1]])
        #expect(try connection.send(RedisCommand("GET", key)).string == "before")
        try connection.send(RedisCommand("SET", key, "after"))
        #expect(try cluster.cli(["-c", "GET", key], node: move.target).contains("after"))
        #expect(try connection.pipeline([RedisCommand("GET", key), RedisCommand("GET", key)]).map(\.string) == ["after", "after"])
    }

    @Test func askIsFollowedOnceForAKeyAlreadyMigrated() throws {
        let cluster = try RedisClusterProcess(primaries: 3, replicasPerPrimary: 0)
        let connection = RedisConnection(configuration: try RedisConfiguration(url: cluster.url(ofNode: 0)))
        let (moved, staying) = ("ask:{tag}:moved", "ask:{tag}:staying")
        try connection.send(RedisCommand("SET", moved, "on the target"))
        try connection.send(RedisCommand("SET", staying, "on the source"))
        let move = try SlotMove(cluster, slot: ClusterSlot.of(moved))
        try move.begin()
        try move.migrate([moved])
        #expect(try connection.send(RedisCommand("GET", moved)).string == "on the target")
        #expect(try connection.send(RedisCommand("GET", staying)).string == "on the source")
        #expect(try connection.pipeline([RedisCommand("GET", staying), RedisCommand("GET", moved), RedisCommand("GET", staying)]).map(\.string)
                == ["on the source", "on the target", "on the source"])
        // ASK moves nothing: the slot's owner is still the source for the client.
        #expect(try cluster.cli(["CLUSTER", "COUNTKEYSINSLOT", String(move.slot)], node: move.source).contains("1"))
    }

    @Test func tryAgainIsRetriedUntilTheMigrationEnds() throws {
        let cluster = try RedisClusterProcess(primaries: 3, replicasPerPrimary: 0)
        let url = cluster.url(ofNode: 0)
        let (first, second) = ("again:{tag}:1", "again:{tag}:2")
        let setup = RedisConnection(configuration: try RedisConfiguration(url: url))
        try setup.send(RedisCommand("SET", first, "1"))
        try setup.send(RedisCommand("SET", second, "2"))
        let move = try SlotMove(cluster, slot: ClusterSlot.of(first))
        try move.begin()
        try move.migrate([first])
        // A multi-key command over a slot half migrated is answered TRYAGAIN until it ends.
        let result = BackgroundResult {
            var configuration = try RedisConfiguration(url: url)
            configuration.commandTimeout = .seconds(60)
            return try RedisConnection(configuration: configuration).send(RedisCommand("MGET", first, second)).array?.map(\.string)
        }
        #expect(eventually { (try? cluster.cli(["INFO", "errorstats"], node: move.source).contains("errorstat_TRYAGAIN")) == true })
        try move.migrate([second])
        try move.finish()
        #expect(try result.value(within: .seconds(60)) == ["1", "2"])
    }

    @Test func clusterDownIsRetriedUntilTheSlotIsServed() throws {
        let cluster = try RedisClusterProcess(primaries: 3, replicasPerPrimary: 0)
        let url = cluster.url(ofNode: 0)
        let key = "down:{tag}"
        let slot = ClusterSlot.of(key)
        let owner = try #require(cluster.node(port: try cluster.primaryPort(ofSlot: slot)))
        try RedisConnection(configuration: try RedisConfiguration(url: url)).send(RedisCommand("SET", key, "x"))
        for node in cluster.nodes { try cluster.cli(["CLUSTER", "DELSLOTS", String(slot)], node: node) }
        let result = BackgroundResult {
            var configuration = try RedisConfiguration(url: url)
            configuration.commandTimeout = .seconds(60)
            return try RedisConnection(configuration: configuration).send(RedisCommand("GET", key)).string
        }
        // The client sends it to any primary (its map has no owner for the slot).
        #expect(eventually { cluster.nodes.contains { (try? cluster.cli(["INFO", "errorstats"], node: $0).contains("errorstat_CLUSTERDOWN")) == true } })
        try cluster.cli(["CLUSTER", "ADDSLOTS", String(slot)], node: owner)
        #expect(try result.value(within: .seconds(60)) == "x")
    }

    @Test func aLostLibraryIsLoadedOnTheNodeThatLacksIt() throws {
        let cluster = try RedisClusterProcess(primaries: 3, replicasPerPrimary: 0)
        let connection = RedisConnection(configuration: try RedisConfiguration(url: cluster.url(ofNode: 0)))
        let library = RedisFunctionLibrary(prefix: "flushtest", code: "redis.register_function(LIBRARY .. '_incr', function(keys) return redis.call('INCR', keys[1]) end)")
        let increment = library.function("incr")
        try connection.load(library)
        let keys = (0..<30).map { "flush:{\($0)}" }
        #expect(try connection.callPipelined(keys.map { (increment, increment.command(keys: [$0], arguments: [])) }).allSatisfy { $0 == .integer(1) })
        let flushed = try #require(cluster.node(port: try cluster.primaryPort(ofSlot: ClusterSlot.of(keys[0]))))
        try cluster.cli(["FUNCTION", "FLUSH"], node: flushed)
        #expect(try connection.call(increment, keys: [keys[0]]) == .integer(2))
        try cluster.cli(["FUNCTION", "FLUSH"], node: flushed)
        let replies = try connection.callPipelined(keys.map { (increment, increment.command(keys: [$0], arguments: [])) })
        #expect(replies == [.integer(3)] + [RedisValue](repeating: .integer(2), count: keys.count - 1))
        for node in cluster.nodes { #expect(try cluster.cli(["FUNCTION", "LIST"], node: node).contains(library.name)) }
    }

    /// A pipeline whose share for a dead primary cannot be sent, after the other primaries ran
    /// theirs, must not say that nothing ran.
    @Test func aPipelineThatRanOnSomePrimariesFailsSayingItMayHaveRun() throws {
        let cluster = try RedisClusterProcess(primaries: 3, replicasPerPrimary: 0)
        var configuration = try RedisConfiguration(url: cluster.url)
        configuration.commandTimeout = .milliseconds(300)  // no replica takes over: give up soon
        let keys = try ClusterKeys(cluster.url)
        let perPrimary = try keys.onePerPrimary()
        let connection = RedisConnection(configuration: configuration)
        _ = try connection.pipeline(perPrimary.map { RedisCommand("SET", $0, "before") })
        let dead = try #require(cluster.node(port: try cluster.primaryPort(ofSlot: ClusterSlot.of(perPrimary[2]))))
        dead.kill()
        let error = #expect(throws: RedisClientError.self) { try connection.pipeline(perPrimary.map { RedisCommand("SET", $0, "after") }) }
        #expect(error?.commandMayHaveRun == true, "\(String(describing: error))")
        #expect(try connection.send(RedisCommand("GET", perPrimary[0])).string == "after", "the live primaries ran their share")
    }

    @Test func aKilledPrimaryIsReplacedByItsReplica() throws {
        let cluster = try RedisClusterProcess(primaries: 3, replicasPerPrimary: 1)
        var configuration = try RedisConfiguration(url: cluster.url)
        configuration.commandTimeout = .seconds(30)  // time enough for the replica to take over within one call
        let connection = RedisConnection(configuration: configuration)
        let key = "killed:{tag}"
        try connection.send(RedisCommand("SET", key, "kept"))
        #expect(try connection.waitForReplicas(1, timeout: .seconds(10)) >= 1)
        let primary = try #require(cluster.node(port: try cluster.primaryPort(ofSlot: ClusterSlot.of(key))))
        primary.kill()
        // The dead primary is dropped from the map read again, and its promoted replica asked.
        let everyPrimary = try connection.sendToEveryPrimary(["PING"])
        #expect(everyPrimary.count == 3 && everyPrimary.allSatisfy { $0.reply.string == "PONG" })
        #expect(!everyPrimary.contains { $0.node == RedisConfiguration.Endpoint.tcp(host: "127.0.0.1", port: primary.port!).description })
        // Each attempt retries within the command timeout; the replica takes over within seconds.
        #expect(eventually(upTo: 60) { (try? connection.send(RedisCommand("GET", key)).string) == "kept" })
        try connection.send(RedisCommand("SET", key, "written after"))
        #expect(try connection.send(RedisCommand("GET", key)).string == "written after")
        #expect(try connection.sendToEveryPrimary(["PING"]).count == 3)
        #expect(try cluster.primaryPort(ofSlot: ClusterSlot.of(key)) != primary.port)
    }
}

/// Moves one slot from its primary to another, in the steps `redis-cli --cluster reshard` takes.
struct SlotMove {
    let cluster: RedisClusterProcess
    let slot: Int
    let source: RedisServerProcess
    let target: RedisServerProcess

    init(_ cluster: RedisClusterProcess, slot: Int) throws {
        self.cluster = cluster
        self.slot = slot
        let sourcePort = try cluster.primaryPort(ofSlot: slot)
        source = try #require(cluster.node(port: sourcePort))
        let primaries = try cluster.cli(["CLUSTER", "NODES"]).split(separator: "\n").filter { $0.contains("master") }
            .compactMap { Int($0.split(separator: " ")[1].split(separator: ":")[1].split(separator: "@")[0]) }
        let targetPort = try #require(primaries.first { $0 != sourcePort })
        target = try #require(cluster.node(port: targetPort))
    }

    private func id(of node: RedisServerProcess) throws -> String {
        try cluster.cli(["CLUSTER", "MYID"], node: node).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Marks the slot importing on the target and migrating on the source.
    func begin() throws {
        try expectOK(cluster.cli(["CLUSTER", "SETSLOT", String(slot), "IMPORTING", id(of: source)], node: target))
        try expectOK(cluster.cli(["CLUSTER", "SETSLOT", String(slot), "MIGRATING", id(of: target)], node: source))
    }

    /// Moves keys of the slot to the target.
    func migrate(_ keys: [String]) throws {
        try expectOK(cluster.cli(["MIGRATE", "127.0.0.1", String(target.port!), "", "0", "5000", "KEYS"] + keys, node: source))
    }

    /// Gives the slot to the target on every primary.
    func finish() throws {
        let targetID = try id(of: target)
        for node in [target, source] + cluster.nodes.filter({ $0 !== target && $0 !== source }) {
            try expectOK(cluster.cli(["CLUSTER", "SETSLOT", String(slot), "NODE", targetID], node: node))
        }
    }

    private func expectOK(_ output: String) throws {
        guard output.contains("OK") else { throw TestSupportError("redis-cli said: \(output)") }
    }
}

/// A value computed on a thread of its own (a blocking connection), awaited with a deadline.
final class BackgroundResult<T: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written once before `done` is signalled and read after.
    private var result: Result<T, any Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> T) {
        Thread { [self] in
            result = Result { try body() }
            done.signal()
        }.start()
    }

    func value(within limit: Duration) throws -> T {
        guard done.wait(timeout: .now() + .milliseconds(Int(limit.components.seconds) * 1000)) == .success, let result else {
            throw TestSupportError("no result within \(limit)")
        }
        return try result.get()
    }
}
