import ChildProcess
import Foundation
import Redis
import Testing
import TestSupport

/// `switchboard functions` and `functions prune` against a private Redis (FUNCTION DELETE
/// and FUNCTION FLUSH there cannot touch other suites' workers), with a real worker.
@Suite("switchboard functions")
struct FunctionsCommandTests {
    /// An older release's library, as a worker of that release would have loaded it.
    static let old = "switchboard_000000000000"

    static func libraries(_ connection: RedisConnection) throws -> [String] {
        try connection.send(RedisCommand("FUNCTION", "LIST")).array?.compactMap { $0.array?[1].string }.sorted() ?? []
    }

    @Test func listsVersionsWithTheirWorkersAndPrunesOnlyUnusedOnes() throws {
        let server = try RedisServerProcess()
        let connection = RedisConnection(configuration: server.configuration(name: "sb-test-functions"))
        let worker = try WorkerProcess(redisURL: server.url, prefix: "fn", name: "fn-worker")
        defer { worker.stop() }
        var library: String?
        #expect(try eventually {
            library = try connection.send(RedisCommand("HGET", "fn:worker:fn-worker", "library")).string
            return library != nil
        }, "the worker names its library in its heartbeat: \(worker.log)")
        let own = try #require(library)
        #expect(own.hasPrefix("switchboard_") && own.count == "switchboard_".count + 12)
        #expect(try Self.libraries(connection) == [own], "readiness means loaded")
        try connection.send(RedisCommand("FUNCTION", "LOAD", """
        #!lua name=\(Self.old)
        redis.register_function{function_name = '\(Self.old)_agent_event', callback = function() return 1 end}
        """))

        let listed = try ChildProcess.run(BuiltProducts.switchboard, ["functions", "--redis", server.url, "--prefix", "fn"])
        #expect(listed.status == 0, "\(listed.output)")
        // Columns are two or more spaces apart; no cell holds two spaces in a row.
        let rows = listed.output.split(separator: "\n").map { $0.split(separator: "  ").map { $0.trimmingCharacters(in: .whitespaces) } }
        let registered = try #require(try connection.send(RedisCommand("FUNCTION", "LIST", "LIBRARYNAME", own)).array?.first?.array?[5].array?.count)
        #expect(rows.first == ["LIBRARY", "FUNCTIONS", "LIVE WORKERS"], "\(listed.output)")
        #expect(rows.contains { $0 == [own + " (this build)", String(registered), "fn-worker"] }, "\(listed.output)")
        #expect(rows.contains { $0 == [Self.old, "1", "none (prune removes it)"] }, "\(listed.output)")

        let json = try ChildProcess.run(BuiltProducts.switchboard, ["functions", "--redis", server.url, "--prefix", "fn", "--json"])
        let versions = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]], "\(json.output)")
        let mine = try #require(versions.first { $0["library"] as? String == own })
        #expect(mine["this_build"] as? Bool == true && mine["loaded"] as? Bool == true && mine["workers"] as? [String] == ["fn-worker"])
        #expect((mine["functions"] as? [String])?.contains(own + "_agent_event") == true)

        let pruned = try ChildProcess.run(BuiltProducts.switchboard, ["functions", "prune", "--redis", server.url, "--prefix", "fn"])
        #expect(pruned.status == 0 && pruned.output.contains("deleted \(Self.old)"), "\(pruned.output)")
        #expect(try Self.libraries(connection) == [own], "the used version stays")
        let again = try ChildProcess.run(BuiltProducts.switchboard, ["functions", "prune", "--redis", server.url, "--prefix", "fn"])
        #expect(again.status == 0 && again.output.contains("nothing to prune"), "\(again.output)")
    }

    /// FUNCTION FLUSH under a live worker: its next call loads the library again and the
    /// entry is applied, not dead-lettered.
    @Test func aWorkerLoadsItsLibraryAgainAfterFunctionFlush() throws {
        let server = try RedisServerProcess()
        let connection = RedisConnection(configuration: server.configuration(name: "sb-test-function-flush"))
        let worker = try WorkerProcess(redisURL: server.url, prefix: "ff", name: "ff-worker")
        defer { worker.stop() }
        func apply(_ agent: String) throws -> String? {
            let id = try #require(try connection.send(RedisCommand("XADD", "ff:intake", "*", "op", "agent.login", "workspace", "acme",
                                                                   "agent", agent, "session", "s", "reply", "1")).string)
            return try connection.send(RedisCommand("BLPOP", "ff:reply:\(id)", 15), timeout: .seconds(17)).array?.last?.string
        }
        #expect(try apply("a1")?.contains("\"outcome\":\"applied\"") == true, "\(worker.log)")
        try connection.send(["FUNCTION", "FLUSH"])
        #expect(try apply("a2")?.contains("\"outcome\":\"applied\"") == true, "\(worker.log)")
        #expect(try connection.send(RedisCommand("XLEN", "ff:dead")).int == 0)
        #expect(try Self.libraries(connection).count == 1)
    }

    @Test func everySubcommandHasHelp() throws {
        let list = try ChildProcess.run(BuiltProducts.switchboard, ["functions", "--help"])
        #expect(list.status == 0 && list.output.contains("prune") && list.output.contains("switchboard_<version>"), "\(list.output)")
        let prune = try ChildProcess.run(BuiltProducts.switchboard, ["functions", "prune", "--help"])
        #expect(prune.status == 0 && prune.output.contains("FUNCTION DELETE"), "\(prune.output)")
    }
}
