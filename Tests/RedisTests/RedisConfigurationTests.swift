import Foundation
import Testing
@testable import Redis

@Suite("Redis URLs")
struct RedisConfigurationTests {
    @Test func tcpURLWithUserPasswordAndDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis://worker:p%40ss@cache.internal:6380/2")
        #expect(configuration.endpoint == .tcp(host: "cache.internal", port: 6380))
        #expect(configuration.username == "worker")
        #expect(configuration.password == "p@ss")
        #expect(configuration.database == 2)
    }

    @Test func defaultsToPort6379AndDatabaseZero() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.endpoint == .tcp(host: "localhost", port: 6379))
        #expect(configuration.database == 0)
        #expect(configuration.password == nil)
    }

    @Test func passwordWithoutUser() throws {
        let bare = try RedisConfiguration(url: "redis://:secret@127.0.0.1:7000")
        #expect(bare.username == nil && bare.password == "secret")
        // A name alone is an ACL user (with the password from a file); never a password.
        let userOnly = try RedisConfiguration(url: "redis://switchboard-worker@127.0.0.1:7000")
        #expect(userOnly.username == "switchboard-worker" && userOnly.password == nil)
        let questionMark = try RedisConfiguration(url: "redis://u:se?cr/et@127.0.0.1:7000/2")
        #expect(questionMark.password == "se?cr/et" && questionMark.database == 2)
    }

    @Test func ipv6Host() throws {
        let configuration = try RedisConfiguration(url: "redis://[::1]:6390")
        #expect(configuration.endpoint == .tcp(host: "::1", port: 6390))
        #expect(configuration.description == "redis://[::1]:6390")
    }

    @Test func unixSocketWithDatabase() throws {
        let configuration = try RedisConfiguration(url: "unix:///tmp/redis.sock?db=3")
        #expect(configuration.endpoint == .unixSocket(path: "/tmp/redis.sock"))
        #expect(configuration.database == 3)
    }

    @Test func unixSocketWithCredentials() throws {
        let configuration = try RedisConfiguration(url: "unix://ops:pw@/run/redis.sock")
        #expect(configuration.endpoint == .unixSocket(path: "/run/redis.sock"))
        #expect(configuration.username == "ops" && configuration.password == "pw")
    }

    @Test func redissMeansTLSWithVerificationAndKeepsItsScheme() throws {
        let single = try RedisConfiguration(url: "rediss://ops:pw@redis.example.net:6380/2")
        #expect(single.endpoint == .tcp(host: "redis.example.net", port: 6380) && single.database == 2)
        #expect(single.tls == RedisTLSConfiguration(), "verified against the system store, no client certificate")
        #expect(single.tls?.verifiesServer == true)
        #expect(single.description == "rediss://ops:***@redis.example.net:6380/2")
        let seeds = try RedisConfiguration(url: "rediss://a:7000,b:7001")
        #expect(seeds.tls != nil && seeds.otherSeeds == [.tcp(host: "b", port: 7001)])
        let sentinel = try RedisConfiguration(url: "rediss-sentinel://s1:26380,s2/main?sentinel_password=x")
        #expect(sentinel.tls != nil && sentinel.endpoint == .sentinel(masterName: "main", sentinels: [.tcp(host: "s1", port: 26380), .tcp(host: "s2", port: 26379)]))
        #expect(sentinel.description == "rediss-sentinel://s1:26380,s2:26379/main?sentinel_password=***")
        #expect(try RedisConfiguration(url: "redis://h:6379").tls == nil)
        #expect(try RedisConfiguration(url: "redis-sentinel://s/main").tls == nil)
        #expect(try RedisConfiguration(url: "unix:///run/redis.sock").tls == nil)
    }

    @Test(arguments: ["localhost:6379", "http://x", "redis://:6379", "redis://h:0", "redis://h:99999", "redis://h:6379/x", "unix://relative.sock"])
    func malformedURLsAreRejected(_ text: String) {
        #expect(throws: RedisClientError.self) { try RedisConfiguration(url: text) }
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let configuration = try RedisConfiguration(url: "redis://worker:topsecret@h:1/4")
        #expect(configuration.description == "redis://worker:***@h:1/4")
        do {
            _ = try RedisConfiguration(url: "redis://u:topsecret@h:notaport")
            Issue.record("expected an error")
        } catch {
            #expect(!"\(error)".contains("topsecret"))
        }
        #expect(!RedisConfiguration.redacted("ftp://u:topsecret@h").contains("topsecret"))
        #expect(!RedisConfiguration.redacted(":topsecret@h:6379").contains("topsecret"), "no scheme, still masked")
    }

    @Test func passwordFromFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID())")
        try "from-file\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let configuration = try RedisConfiguration(url: "redis://h").withPassword(fromFile: file.path)
        #expect(configuration.password == "from-file")
        #expect(throws: RedisClientError.self) { try RedisConfiguration(url: "redis://h").withPassword(fromFile: "/nonexistent/pw") }
    }

    @Test func backoffGrowsAndIsCapped() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5), jitter: 0)
        #expect(backoff.delay(afterFailures: 1) == .milliseconds(100))
        #expect(backoff.delay(afterFailures: 2) == .milliseconds(200))
        #expect(backoff.delay(afterFailures: 4) == .milliseconds(800))
        #expect(backoff.delay(afterFailures: 50) == .seconds(5))
        let jittered = Backoff(initial: .seconds(1), maximum: .seconds(1), jitter: 0.5)
        for _ in 0..<100 {
            let delay = jittered.delay(afterFailures: 3)
            #expect(delay >= .milliseconds(750) && delay <= .milliseconds(1250))
        }
    }

    @Test func sha1MatchesKnownVectors() {
        #expect(SHA1.hexDigest("".utf8) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hexDigest("abc".utf8) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hexDigest(String(repeating: "a", count: 1000).utf8) == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }
}
