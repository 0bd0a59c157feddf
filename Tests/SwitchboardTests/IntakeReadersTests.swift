import Foundation
import Redis
import Testing
import TestSupport
@testable import Switchboard

/// The reader threads a worker reads the intake with on a Redis Cluster (one per hash slot),
/// driven here over a single Redis with one group per stream, as a cluster would group them.
@Suite("Intake reader threads")
struct IntakeReadersTests {
    private let prefix = TestRedis.uniquePrefix() + "r"
    private var streams: [String] { (0..<3).map { "\(prefix):intake:\($0)" } }

    private func configuration() throws -> WorkerConfiguration {
        var configuration = WorkerConfiguration(redis: try TestRedis.configuration(), keys: KeySchema(prefix: prefix), name: "reader-test")
        configuration.batchSize = 30
        return configuration
    }

    /// Takes deliveries until `enough` holds of the records taken so far, or 15 s pass.
    private func take(from readers: IntakeReaders, until enough: ([IntakeRecord]) -> Bool) -> (records: [IntakeRecord], failures: [any Error]) {
        var records: [IntakeRecord] = []
        var failures: [any Error] = []
        let deadline = ContinuousClock.now + .seconds(15)
        while !enough(records), failures.isEmpty, ContinuousClock.now < deadline {
            for delivery in readers.take(waitingUpTo: .seconds(1)) {
                switch delivery {
                case .records(let read): records += read
                case .failure(let error): failures.append(error)
                }
            }
        }
        return (records, failures)
    }

    @Test func eachGroupIsReadByItsOwnBlockingReadAndHandedToTheLoop() throws {
        let connection = try TestRedis.connection()
        defer { _ = try? connection.send(RedisCommand("DEL", arguments: streams)) }
        for stream in streams { try connection.send(RedisCommand("XGROUP", "CREATE", stream, "switchboard", "0", "MKSTREAM")) }
        let readers = IntakeReaders(groups: streams.map { [$0] }, configuration: try configuration())
        defer { readers.stop() }

        // Entries written while every reader is blocked reach the loop, from every shard.
        var written: Set<String> = []  // stream/id: ids are unique per stream only
        for round in 0..<4 {
            for stream in streams.dropFirst() {
                written.insert(stream + "/" + (try connection.send(RedisCommand("XADD", stream, "*", "op", "agent.heartbeat", "n", round)).string ?? ""))
            }
        }
        let (records, failures) = take(from: readers) { $0.count >= written.count }
        #expect(failures.isEmpty, "\(failures)")
        #expect(records.map { $0.stream + "/" + $0.id }.sorted() == written.sorted())
        // Read through the group under the worker's name: pending until the loop acknowledges.
        let pending = try connection.pipeline(streams.map { RedisCommand("XPENDING", $0, "switchboard") }).map { $0.array?.first?.int ?? -1 }
        #expect(pending == [0, 4, 4])
    }

    /// While the loop takes back its pending entries the readers read nothing new (else under
    /// load the taking back never ends); after resume they read what was written meanwhile.
    @Test func pausedReadersReadNothingNewUntilResumed() throws {
        let connection = try TestRedis.connection()
        defer { _ = try? connection.send(RedisCommand("DEL", arguments: streams)) }
        for stream in streams { try connection.send(RedisCommand("XGROUP", "CREATE", stream, "switchboard", "0", "MKSTREAM")) }
        var configuration = try configuration()
        configuration.readBlock = .milliseconds(200)
        let readers = IntakeReaders(groups: streams.map { [$0] }, configuration: configuration)
        defer { readers.stop() }
        // The readers' connections, as Redis lists them.
        let readerClients = { () -> [Substring] in
            let clients = (try? connection.send(RedisCommand("CLIENT", "LIST")).string) ?? ""
            return clients.split(separator: "\n").filter { $0.contains("name=switchboard-worker-reader-test-reader-") }
        }
        // Every reader is connected and reading (blocked in its XREADGROUP) before the pause.
        #expect(eventually(upTo: 15) { let clients = readerClients(); return clients.count == 3 && clients.allSatisfy { $0.contains("flags=b") } })
        readers.pause()
        // Paused: after its read in hand (200 ms) no reader sends a command again, so each link
        // stays idle (an unpaused reader reads again at once).
        #expect(eventually(upTo: 15) {
            let clients = readerClients()
            return clients.count == 3 && clients.allSatisfy { !$0.contains("flags=b") && !$0.contains(" idle=0 ") }
        }, "the paused readers stopped reading")
        for stream in streams { try connection.send(RedisCommand("XADD", stream, "*", "op", "agent.heartbeat")) }
        let pending = try connection.pipeline(streams.map { RedisCommand("XPENDING", $0, "switchboard") }).map { $0.array?.first?.int ?? -1 }
        #expect(pending == [0, 0, 0], "nothing read while paused")

        readers.resume()
        let (records, failures) = take(from: readers) { $0.count >= 3 }
        #expect(failures.isEmpty, "\(failures)")
        #expect(records.count == 3)
    }

    @Test func aFailedReadIsHandedToTheLoopAndStopEndsEveryReader() throws {
        let connection = try TestRedis.connection()
        defer { _ = try? connection.send(RedisCommand("DEL", arguments: streams)) }
        // No group on the streams: each read fails with NOGROUP, which the loop must see.
        let readers = IntakeReaders(groups: streams.map { [$0] }, configuration: try configuration())
        let (_, failures) = take(from: readers) { _ in false }
        #expect((failures.first as? RedisServerError)?.code == "NOGROUP", "\(failures)")
        readers.stop()
        #expect(readers.take(waitingUpTo: .zero).count <= streams.count, "at most one delivery per reader waits")
        #expect(try eventually { !(try connection.send(RedisCommand("CLIENT", "LIST")).string ?? "").contains("reader-test-reader") },
                "every reader closed its connection")
    }
}
