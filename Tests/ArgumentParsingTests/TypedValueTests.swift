// require/integer/duration accessors: conversions, range checks, messages, and secret redaction.

import ArgumentParsing
import Testing

@Suite("Typed values")
struct TypedValueTests {
    private func worker(_ words: String..., environment: [String: String] = [:]) throws -> ParsedArguments {
        let outcome = CommandLineTool.parse(Fixtures.root, arguments: ["switchboard", "worker"] + words, environment: environment)
        return try #require(outcome.arguments)
    }

    /// The message of the ValidationError thrown by `body`, recording an issue if it throws nothing or something else.
    private func error(_ body: () throws -> Void) -> String {
        do {
            try body()
            Issue.record("expected a ValidationError")
        } catch let error as ValidationError {
            return error.message
        } catch {
            Issue.record("expected a ValidationError, got \(error)")
        }
        return ""
    }

    @Test func requireReturnsValueOrNamesOptionAndEnvironment() throws {
        let parsed = try worker()
        #expect(try parsed.require("redis") == "redis://127.0.0.1:6379")
        let message = error { _ = try parsed.require("redis-password") }
        #expect(message == "missing required option '--redis-password'; pass --redis-password <password> or set the REDIS_PASSWORD environment variable")
        #expect(error { _ = try parsed.require("tag") } == "missing required option '--tag'")
        #expect(try worker(environment: ["REDIS_PASSWORD": "pw"]).require("redis-password") == "pw")
    }

    @Test func integers() throws {
        #expect(try worker().integer("session-ttl") == 60)
        #expect(try worker("--session-ttl", "-5").integer("session-ttl") == -5)
        #expect(try worker("--session-ttl", "3600").integer("session-ttl", in: 1...3600) == 3600)
        #expect(try worker().integer("tag") == nil)
        #expect(try worker().integer("redis-password", in: 1...2) == nil)
    }

    @Test func integerErrors() throws {
        let notNumber = error { _ = try worker("--session-ttl", "soon").integer("session-ttl") }
        #expect(notNumber == "invalid value 'soon' for option '--session-ttl'; expected an integer")

        let outOfRange = error { _ = try worker("--session-ttl", "0").integer("session-ttl", in: 1...3600) }
        #expect(outOfRange == "value 0 for option '--session-ttl' is out of range; expected an integer from 1 to 3600")

        let fromEnvironment = error { _ = try worker(environment: ["SESSION_TTL": "1.5"]).integer("session-ttl") }
        #expect(fromEnvironment == "invalid value '1.5' for option '--session-ttl' (from environment variable SESSION_TTL); expected an integer")
    }

    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("5s", .seconds(5)),
        ("2m", .seconds(120)),
        ("1h", .seconds(3600)),
        ("7d", .seconds(604_800)),
        ("30", .seconds(30)),
        ("1.5s", .milliseconds(1500)),
        ("0.5", .milliseconds(500)),
        ("0", .zero),
    ])
    func durations(text: String, expected: Duration) throws {
        #expect(try worker("--poll-interval", text).duration("poll-interval") == expected)
    }

    @Test func durationDefaultAndAbsence() throws {
        #expect(try worker().duration("poll-interval") == .seconds(5))
        #expect(try worker().duration("tag") == nil)
    }

    @Test(arguments: ["soon", "5x", "-5s", "ms", "", "1e3", "99999999999h", "99999d", "5 s", "1w"])
    func invalidDurations(text: String) throws {
        let message = error { _ = try worker("--poll-interval=\(text)").duration("poll-interval") }
        #expect(message.hasPrefix("invalid value '\(text)' for option '--poll-interval'; expected a duration such as 250ms, 5s, 2m or 1h"))
    }

    @Test func secretValuesAreNeverEchoed() throws {
        let given = try worker("--redis-password", "hunter2")
        let notNumber = error { _ = try given.integer("redis-password") }
        #expect(!notNumber.contains("hunter2"))
        #expect(notNumber == "the value for option '--redis-password' was rejected (value not shown); expected an integer")

        let notDuration = error { _ = try given.duration("redis-password") }
        #expect(!notDuration.contains("hunter2"))
        #expect(notDuration.contains("'--redis-password'"))

        let outOfRange = error { _ = try worker("--redis-password", "12345").integer("redis-password", in: 1...10) }
        #expect(!outOfRange.contains("12345"))
        #expect(outOfRange.hasPrefix("the value for option '--redis-password' is out of range"))

        let fromEnvironment = error { _ = try worker(environment: ["REDIS_PASSWORD": "hunter2"]).integer("redis-password") }
        #expect(!fromEnvironment.contains("hunter2"))
        #expect(fromEnvironment.contains("(from environment variable REDIS_PASSWORD)"))

        let secretDefault = error { _ = try worker().integer("client-secret") }
        #expect(!secretDefault.contains("s3cr3t-default"))
    }

    @Test func sensitivity() {
        #expect(Option(name: "redis-password").isSensitive)
        #expect(Option(name: "clientSecret").isSensitive)
        #expect(!Option(name: "redis").isSensitive)
    }
}
