import ChildProcess
import Foundation
import Glibc
import Testing
import TestSupport

/// Several workers started alike on one host (no `--http`, no `SWITCHBOARD_HTTP`) each take
/// their own port of 127.0.0.1:9464-9473. The only tests that start workers without an HTTP
/// setting (the others pass `--http off` or ports of their own), serialized so that one test
/// at a time owns the range. The range is the whole machine's, and `.serialized` orders tests
/// inside one process only: the suite holds an exclusive `flock()` on a fixed file, so that a
/// second test run on the host (another checkout) waits for it. A port taken by something
/// else on the machine is allowed for.
@Suite("Worker default HTTP ports", .serialized,
       .holdingFileLock("/tmp/switchboard-default-http-ports.lock", for: "the worker's default HTTP ports 127.0.0.1:9464-9473"))
struct DefaultHTTPPortTests {
    static let range = 9464...9473

    /// A worker started as in a second terminal: no HTTP setting at all.
    final class PlainWorker {
        let name: String
        let logPath: String
        let child: ChildProcess

        init(prefix: String, name: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
            self.name = name
            logPath = NSTemporaryDirectory() + "sb-worker-\(prefix)-\(name).log"
            try? FileManager.default.removeItem(atPath: logPath)
            var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") && !$0.key.hasPrefix("REDIS_") }
            inherited.merge(environment) { $1 }
            child = try ChildProcess(executable: BuiltProducts.switchboard,
                                     arguments: ["worker", "--redis", try TestRedis.url, "--prefix", prefix, "--name", name,
                                                 "--heartbeat-interval", "200ms"] + arguments,
                                     environment: inherited, outputPath: logPath)
        }

        deinit { try? FileManager.default.removeItem(atPath: logPath) }

        var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        /// The address of the worker's `http endpoint listening` line, once written (deadline-bounded).
        func awaitAddress() -> String? {
            func address() -> String? {
                let line = log.split(separator: "\n").first { $0.contains("http endpoint listening") }
                return line?.split(separator: " ").first { $0.hasPrefix("address=") }.map { String($0.dropFirst("address=".count)) }
            }
            _ = eventually { address() != nil || !child.isRunning }
            return address()
        }

        /// Waits for the process to exit on its own (killed after 15 s); nil if it did not.
        func awaitExit() -> Int32? { child.waitOrKill(after: .seconds(15)) }

        func stop() {
            child.signal(SIGTERM)
            child.waitOrKill(after: .seconds(30))
        }
    }

    static func port(of address: String?) -> Int? {
        guard let address, address.hasPrefix("127.0.0.1:") else { return nil }
        return Int(address.dropFirst("127.0.0.1:".count))
    }

    /// `switchboard inspect workers --json`: worker name → its `http` field.
    static func inspectedAddresses(prefix: String) throws -> [String: String] {
        let (output, status) = try ChildProcess.run(BuiltProducts.switchboard,
                                                    ["inspect", "workers", "--json", "--redis", try TestRedis.url, "--prefix", prefix])
        #expect(status == 0, "\(output)")
        let workers = (try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]) ?? []
        var addresses: [String: String] = [:]
        for worker in workers {
            if let name = worker["name"] as? String, let http = worker["http"] as? String { addresses[name] = http }
        }
        return addresses
    }

    /// Polls `inspect workers` until every worker of `expected` shows its address (deadline-bounded).
    static func awaitInspected(prefix: String, expected: [String: String]) throws -> [String: String] {
        var seen: [String: String] = [:]
        _ = try eventually {
            seen = try inspectedAddresses(prefix: prefix)
            return !expected.contains { seen[$0.key] != $0.value }
        }
        return seen
    }

    @Test func workersStartedAlikeEachTakeTheirOwnPortOfTheRange() throws {
        let prefix = String(TestRedis.uniquePrefix().dropLast())
        var workers: [PlainWorker] = []
        defer { workers.forEach { $0.stop() } }
        var addresses: [String: String] = [:]
        // Two workers, then three more: five on one host, each on a port of its own.
        for batch in [2, 3] {
            let first = workers.count
            let started = try (first..<first + batch).map { index in try PlainWorker(prefix: prefix, name: "plain\(index)") }
            workers += started
            for worker in started {
                let address = worker.awaitAddress()
                let port: Int = try #require(Self.port(of: address), "\(worker.name) log: \(worker.log)")
                #expect(Self.range.contains(port), "\(worker.name) took \(port)")
                #expect(WorkerEndpointTests.await(port: port, path: "/readyz") { $0?.status == 200 }?.status == 200,
                        "\(worker.name) log: \(worker.log)")
                addresses[worker.name] = address
            }
            #expect(Set(addresses.values).count == workers.count, "ports shared: \(addresses)")
            #expect(workers.allSatisfy { $0.child.isRunning })
            #expect(try Self.awaitInspected(prefix: prefix, expected: addresses).filter { addresses[$0.key] != nil } == addresses)
        }
    }

    @Test func aWorkerWithoutHTTPShowsOff() throws {
        let prefix = String(TestRedis.uniquePrefix().dropLast())
        let worker = try WorkerProcess(redisURL: try TestRedis.url, prefix: prefix, name: "quiet", extraArguments: ["--heartbeat-interval", "200ms"])
        defer { worker.stop() }
        #expect(try Self.awaitInspected(prefix: prefix, expected: ["quiet": "off"])["quiet"] == "off", "log: \(worker.log)")
    }

    @Test func everyPortOfTheRangeTakenIsAClearErrorAndAFreedOneIsFound() throws {
        let prefix = String(TestRedis.uniquePrefix().dropLast())
        // Hold what can be held; the rest is taken by something else on this machine.
        var held = Self.range.compactMap { port in LoopbackPort(port, listening: true).map { (port, $0) } }
        let refused = try PlainWorker(prefix: prefix, name: "crowded")
        let status = refused.awaitExit()
        #expect(status != nil && status != 0, "log: \(refused.log)")
        #expect(refused.log.contains("cannot listen on 127.0.0.1:9464-9473") && refused.log.contains("--http"), "\(refused.log)")

        // One port freed (its holder closed): the next worker walks the range up to it.
        guard !held.isEmpty else { return }  // every port is another program's: nothing to free
        let freed = held.removeLast().0
        let worker = try PlainWorker(prefix: prefix, name: "squeezed")
        defer { worker.stop() }
        #expect(Self.port(of: worker.awaitAddress()) == freed, "log: \(worker.log)")
        withExtendedLifetime(held) {}
    }

    @Test func aTakenAddressGivenExplicitlyIsStillAnError() throws {
        let prefix = String(TestRedis.uniquePrefix().dropLast())
        // A port of the default range: given explicitly, it must not fall through to the next.
        let (port, holder) = try #require(Self.range.lazy.compactMap { port in LoopbackPort(port, listening: true).map { (port, $0) } }.first)
        for (name, arguments, environment) in [("flag", ["--http", "127.0.0.1:\(port)"], [:]),
                                               ("env", [], ["SWITCHBOARD_HTTP": "127.0.0.1:\(port)"])] {
            let worker = try PlainWorker(prefix: prefix, name: name, arguments: arguments, environment: environment)
            let status = worker.awaitExit()
            #expect(status != nil && status != 0, "\(name): \(worker.log)")
            #expect(worker.log.contains("cannot listen on 127.0.0.1:\(port): address already in use") && worker.log.contains("--http"),
                    "\(name): \(worker.log)")
        }
        withExtendedLifetime(holder) {}
    }
}

/// Runs a suite while this process holds an exclusive `flock()` on a file shared by every test
/// run on the host.
struct HoldingFileLock: SuiteTrait, TestScoping {
    let path: String
    let purpose: String
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let lock = try FileLock(path: path, purpose: purpose)
        try await function()
        withExtendedLifetime(lock) {}
    }
}

extension Trait where Self == HoldingFileLock {
    /// The suite runs while holding the lock on `path`, taken for `purpose` (named in the
    /// error when another test run holds it too long).
    static func holdingFileLock(_ path: String, for purpose: String) -> Self { HoldingFileLock(path: path, purpose: purpose) }
}
