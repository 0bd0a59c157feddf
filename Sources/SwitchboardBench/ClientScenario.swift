// Scenario 1: our Redis client against redis-benchmark with one connection.
import Foundation
import Redis

/// Sequential SET and GET, and pipelined SET (64 per round trip), through the `Redis`
/// module, each next to `redis-benchmark -c 1` (with `-P 64` for the pipeline).
enum ClientScenario {
    /// `scenario` names the rows: `client` on the Unix socket, `client-tls` over TLS.
    static func run(redis: BenchmarkRedis, requests: Int, scenario: String = "client") throws -> [BenchmarkRow] {
        let connection = RedisConnection(configuration: redis.configuration(name: "bench-client"))
        try connection.connect()
        let value = [UInt8](repeating: 120, count: 3)  // redis-benchmark's default 3-byte payload
        let clock = ContinuousClock()

        let set = clock.measure {
            for i in 0..<requests { _ = try? connection.send(RedisCommand("SET", "key:\(i % 10_000)", value)) }
        }
        let get = clock.measure {
            for i in 0..<requests { _ = try? connection.send(RedisCommand("GET", "key:\(i % 10_000)")) }
        }
        let depth = 64
        let pipelined = clock.measure {
            var i = 0
            while i < requests {
                let batch = (i..<min(i + depth, requests)).map { RedisCommand("SET", "key:\($0 % 10_000)", value) }
                _ = try? connection.pipeline(batch)
                i += depth
            }
        }
        let baseSet = try redis.redisBenchmark(["-c", "1", "-t", "set"], requests: requests)
        let baseGet = try redis.redisBenchmark(["-c", "1", "-t", "get"], requests: requests)
        let basePipelined = try redis.redisBenchmark(["-c", "1", "-P", String(depth), "-t", "set"], requests: requests * 4)
        return [
            BenchmarkRow(scenario: scenario, name: "sequential SET", unit: "ops/s", value: rate(requests, set), baseline: baseSet, goalRatio: 0.9),
            BenchmarkRow(scenario: scenario, name: "sequential GET", unit: "ops/s", value: rate(requests, get), baseline: baseGet, goalRatio: 0.9),
            BenchmarkRow(scenario: scenario, name: "pipelined SET (64)", unit: "ops/s", value: rate(requests, pipelined), baseline: basePipelined, goalRatio: 0.5),
        ]
    }

    static func rate(_ count: Int, _ elapsed: Duration) -> Double {
        Double(count) / elapsed.fractionalSeconds
    }
}
