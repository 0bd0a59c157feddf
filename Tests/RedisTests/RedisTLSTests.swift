// The client over TLS: everything it promises on plain text, on TLS-only servers.
import Foundation
import Testing
import TestSupport
@testable import Redis

@Suite("TLS: the client over rediss://")
struct RedisTLSTests {
    private func tls(_ url: String, name: String? = nil) throws -> RedisConnection {
        RedisConnection(configuration: try TestTLS.configuration(url: url, name: name))
    }

    private func isReady(_ event: RedisSubscriberEvent) -> Bool { if case .ready = event { true } else { false } }

    private func messages(_ events: [RedisSubscriberEvent]) -> [String] {
        events.compactMap { if case .message(let message) = $0 { message.text } else { nil } }
    }

    @Test func roundTripsPipelinesScriptsAndTheClientName() throws {
        let name = "sb-tls-\(UUID().uuidString.prefix(6))"
        let connection = try tls(TestTLS.url, name: name)
        let key = TestRedis.uniquePrefix() + "k"
        let binary = [UInt8](0...255) + [UInt8](repeating: 7, count: 100_000)
        #expect(try connection.send(RedisCommand("SET", key, binary)) == .status("OK"))
        #expect(try connection.send(RedisCommand("GET", key)) == .bulk(binary), "100 KB of binary, across several TLS records")
        let replies = try connection.pipeline((0..<5_000).map { _ in RedisCommand("INCR", key + ":n") })
        #expect(replies.last == .integer(5_000) && replies.count == 5_000)
        #expect(try connection.send(RedisCommand("EVAL", "return redis.call('INCRBY', KEYS[1], ARGV[1])", 1, key + ":n", 5)) == .integer(5_005))
        let echo = RedisFunctionLibrary(prefix: "sbtest", code: "-- \(TestRedis.uniquePrefix())\n"
            + "redis.register_function{function_name = LIBRARY .. '_echo', callback = function(keys, args) return args[1] end}\n").function("echo")
        #expect(try connection.call(echo, keys: [key], arguments: ["over tls"]).string == "over tls")
        let list = try connection.send(["CLIENT", "LIST"]).string ?? ""
        #expect(list.contains("name=\(name) "), "CLIENT SETNAME over TLS")
        #expect(connection.connectCount == 1, "one TLS connection served every command")
    }

    @Test func reconnectsAfterClientKill() throws {
        let name = "sb-tls-kill-\(UUID().uuidString.prefix(6))"
        let connection = try tls(TestTLS.url, name: name)
        let id = try #require(try connection.send(["CLIENT", "ID"]).int)
        #expect(try tls(TestTLS.url).send(RedisCommand("CLIENT", "KILL", "ID", id)) == .integer(1))
        // The idle check before the next command sees the closed link and reopens it.
        #expect(try connection.send(["PING"]) == .status("PONG"))
        #expect(connection.connectCount == 2)
    }

    @Test func reconnectsAfterARestartWithPasswordAndNameReapplied() throws {
        let server = try RedisServerProcess(tlsCertificate: "server", arguments: ["--requirepass", "tls-s3cret"])
        let url = try #require(server.tlsURL)
        var configuration = try TestTLS.configuration(url: url, name: "sb-tls-restart")
        configuration.password = "tls-s3cret"
        configuration.reconnectBackoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))
        let connection = RedisConnection(configuration: configuration)
        #expect(try connection.send(["PING"]) == .status("PONG"))
        try server.restart()
        _ = try? connection.send(["PING"])
        #expect(try connection.send(["CLIENT", "GETNAME"]).string == "sb-tls-restart")
        #expect(connection.connectCount == 2)
    }

    @Test func aCommandTimeoutDropsTheLinkAndTheNextCommandWorks() throws {
        var configuration = try TestTLS.configuration(url: TestTLS.url)
        configuration.commandTimeout = .milliseconds(200)
        let connection = RedisConnection(configuration: configuration)
        let key = TestRedis.uniquePrefix() + "never"
        #expect {
            try connection.send(RedisCommand("BLPOP", key, 5))
        } throws: { error in
            (error as? RedisClientError)?.kind == .timeout
        }
        #expect(try connection.send(["PING"]) == .status("PONG"))
    }

    @Test func theSubscriberReceivesOverTLSAndFollowsNewChannels() throws {
        let prefix = TestRedis.uniquePrefix()
        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: try TestTLS.configuration(url: TestTLS.url, name: "sb-tls-sub"),
                                         channels: [prefix + "a"]) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains(where: isReady) })
        let publisher = try tls(TestTLS.url)
        // Many messages at once: several arrive in one TLS read, and none may wait for the next.
        for index in 0..<200 { try publisher.send(RedisCommand("PUBLISH", prefix + "a", "m\(index)")) }
        #expect(recorder.wait { messages($0).count == 200 })
        subscriber.subscribe([prefix + "b"])
        #expect(recorder.wait { $0.contains { if case .subscribed(let channels) = $0 { channels.contains(prefix + "b") } else { false } } })
        try publisher.send(RedisCommand("PUBLISH", prefix + "b", "later"))
        #expect(recorder.wait { messages($0).contains("later") })
    }

    @Test func aClusterOverTLSRoutesToEveryPrimaryAndDeliversShardedMessages() throws {
        let configuration = try TestTLS.configuration(url: TestTLS.clusterURL, name: "sb-tls-cluster")
        let channels = try ClusterKeys(configuration: configuration).onePerPrimary()
        try #require(channels.count == 3)
        let connection = RedisConnection(configuration: configuration)
        let prefix = TestRedis.uniquePrefix()
        let keys = (0..<200).map { "\(prefix)\($0)" }
        #expect(try connection.pipeline(keys.map { RedisCommand("SET", $0, $0) }).allSatisfy { $0 == .status("OK") })
        #expect(try connection.pipeline(keys.map { RedisCommand("GET", $0) }).map(\.string) == keys)

        let recorder = EventRecorder<RedisSubscriberEvent>()
        let subscriber = RedisSubscriber(configuration: configuration, channels: channels) { recorder.record($0) }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(recorder.wait { $0.contains(where: isReady) })
        for channel in channels { #expect(try connection.send(RedisCommand("SPUBLISH", channel, "to " + channel)) == .integer(1)) }
        #expect(recorder.wait { Set(messages($0)) == Set(channels.map { "to " + $0 }) })
    }

    @Test func sentinelsAndThePrimaryOverTLS() throws {
        let connection = try tls(TestTLS.sentinelURL, name: "sb-tls-sentinel")
        #expect(try connection.send(["ROLE"]).array?.first?.string == "master")
        let key = TestRedis.uniquePrefix() + "k"
        #expect(try connection.send(RedisCommand("SET", key, "v")) == .status("OK"))
    }

    // MARK: - Each failure says what it is

    private func connectError(_ configuration: RedisConfiguration) -> RedisClientError? {
        do {
            _ = try RedisConnection(configuration: configuration).send(["PING"])
            return nil
        } catch let error as RedisClientError {
            return error
        } catch {
            return nil
        }
    }

    @Test func aServerSignedByAnUnknownCAIsRefused() throws {
        let stranger = try RedisServerProcess(tlsCertificate: "stranger")
        let url = try #require(stranger.tlsURL)
        let error = try #require(connectError(try TestTLS.configuration(url: url)))
        #expect(error.kind == .connectFailed && error.message.contains("not signed by a CA this client trusts"), "\(error)")
        #expect(error.recoverySuggestion.contains("--redis-tls-ca-file"))
        // The system store (no CA file) does not know the test CA either.
        var systemStore = try RedisConfiguration(url: TestTLS.url)
        systemStore.connectTimeout = .seconds(2)
        #expect(connectError(systemStore)?.message.contains("not signed by a CA this client trusts") == true)
    }

    @Test(arguments: ["127.0.0.1", "localhost"])
    func aCertificateForAnotherNameIsRefused(host: String) throws {
        let server = try RedisServerProcess(tlsCertificate: "other-name")
        let port = try #require(server.tlsURL?.split(separator: ":").last)
        let error = try #require(connectError(try TestTLS.configuration(url: "rediss://\(host):\(port)")))
        #expect(error.kind == .connectFailed && error.message.contains("does not cover the host name '\(host)'"), "\(error)")
    }

    @Test func anExpiredCertificateIsRefused() throws {
        let server = try RedisServerProcess(tlsCertificate: "expired")
        let url = try #require(server.tlsURL)
        let error = try #require(connectError(try TestTLS.configuration(url: url)))
        #expect(error.kind == .connectFailed && error.message.contains("certificate has expired"), "\(error)")
    }

    @Test func aServerWithoutTLSIsNamedAsSuch() throws {
        let port = try #require(try TestRedis.tcpURL.split(separator: ":").last)
        var configuration = try TestTLS.configuration(url: "rediss://127.0.0.1:\(port)")
        configuration.connectTimeout = .milliseconds(300)
        let error = try #require(connectError(configuration))
        #expect(error.kind == .connectFailed && error.message.contains("does not speak TLS"), "\(error)")
    }

    @Test func aServerThatRequiresAClientCertificateSaysSo() throws {
        // A TLS 1.3 server judges the certificate after the client's half of the handshake:
        // its refusal arrives as an alert, or, when the client's set-up (here CLIENT SETNAME
        // and PING) crosses it, as a reset. Both must name the cause; a few attempts see both.
        for attempt in 0..<5 {
            let error = try #require(connectError(try TestTLS.configuration(url: TestTLS.clientAuthURL, name: "sb-tls-nocert")))
            #expect(error.kind == .connectFailed && error.message.contains("requires a client certificate"), "attempt \(attempt): \(error)")
            #expect(error.recoverySuggestion.contains("--redis-tls-cert-file") && error.recoverySuggestion.contains("--redis-tls-key-file"))
        }
        let withCertificate = RedisConnection(configuration: try TestTLS.configuration(url: TestTLS.clientAuthURL, clientCertificate: true))
        #expect(try withCertificate.send(["PING"]) == .status("PONG"))
    }

    /// TLS 1.2 is accepted (the lowest version the client allows); there a server refuses a
    /// missing client certificate inside the handshake, not after it as TLS 1.3 does.
    @Test func aTLS12ServerWorksAndItsClientCertificateRefusalIsNamedToo() throws {
        let open = try RedisServerProcess(tlsCertificate: "server", arguments: ["--tls-protocols", "TLSv1.2"])
        let openURL = try #require(open.tlsURL)
        #expect(try RedisConnection(configuration: try TestTLS.configuration(url: openURL)).send(["PING"]) == .status("PONG"))
        let demanding = try RedisServerProcess(tlsCertificate: "server", authClients: true, arguments: ["--tls-protocols", "TLSv1.2"])
        let demandingURL = try #require(demanding.tlsURL)
        let error = try #require(connectError(try TestTLS.configuration(url: demandingURL)))
        #expect(error.kind == .connectFailed && error.message.contains("requires a client certificate"), "\(error)")
        let withCertificate = RedisConnection(configuration: try TestTLS.configuration(url: demandingURL, clientCertificate: true))
        #expect(try withCertificate.send(["PING"]) == .status("PONG"))
    }

    @Test func noMessageHoldsThePasswordOrTheKey() throws {
        let key = try String(contentsOfFile: TestTLS.file("client.key"), encoding: .utf8)
        let keyBody = try #require(key.split(separator: "\n").dropFirst().first)
        var failures: [RedisClientError] = []
        let plainPort = try #require(try TestRedis.tcpURL.split(separator: ":").last)
        for url in [try TestTLS.clientAuthURL, "rediss://127.0.0.1:\(plainPort)"] {
            var configuration = try TestTLS.configuration(url: url.replacingOccurrences(of: "rediss://", with: "rediss://ops:pa55-w0rd@"))
            configuration.connectTimeout = .milliseconds(300)
            failures += [connectError(configuration)].compactMap { $0 }
        }
        var mismatched = try TestTLS.configuration(url: TestTLS.url)
        mismatched.tls?.certificateFile = try TestTLS.file("server.crt")
        mismatched.tls?.keyFile = try TestTLS.file("client.key")
        failures += [connectError(mismatched)].compactMap { $0 }
        #expect(failures.count == 3)
        for failure in failures {
            let text = "\(failure) \(failure.recoverySuggestion)"
            #expect(!text.contains("pa55-w0rd") && !text.contains(keyBody), "\(text)")
        }
    }

    @Test func unreadableOrMismatchedFilesAreConfigurationErrors() throws {
        var missingCA = try TestTLS.configuration(url: TestTLS.url)
        missingCA.tls?.caFile = "/nonexistent/ca.crt"
        let missing = try #require(connectError(missingCA))
        #expect(missing.kind == .invalidConfiguration && missing.message.contains("/nonexistent/ca.crt") && missing.message.contains("No such file"))

        var mismatched = try TestTLS.configuration(url: TestTLS.url)
        mismatched.tls?.certificateFile = try TestTLS.file("client.crt")
        mismatched.tls?.keyFile = try TestTLS.file("server.key")
        let mismatch = try #require(connectError(mismatched))
        #expect(mismatch.kind == .invalidConfiguration && mismatch.message.contains("does not belong to the certificate"), "\(mismatch)")

        var alone = try TestTLS.configuration(url: TestTLS.url)
        alone.tls?.certificateFile = try TestTLS.file("client.crt")
        let halfGiven = try #require(connectError(alone))
        #expect(halfGiven.kind == .invalidConfiguration && halfGiven.recoverySuggestion.contains("--redis-tls-key-file"))
    }

    @Test func theInsecureOptOutAcceptsAnyCertificate() throws {
        for certificate in ["other-name", "stranger"] {
            let server = try RedisServerProcess(tlsCertificate: certificate)
            var configuration = try RedisConfiguration(url: try #require(server.tlsURL))
            configuration.tls?.verifiesServer = false
            #expect(try RedisConnection(configuration: configuration).send(["PING"]) == .status("PONG"), "\(certificate)")
        }
    }
}
