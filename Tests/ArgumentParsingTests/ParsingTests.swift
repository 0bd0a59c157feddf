// Successful parses: option forms, fallbacks, flags, positionals, `--` and subcommand resolution.

import ArgumentParsing
import Testing

@Suite("Parsing")
struct ParsingTests {
    @Test func optionForms() throws {
        for words in [["ping", "--redis", "redis://a"], ["ping", "--redis=redis://a"], ["ping", "-r", "redis://a"], ["ping", "-rredis://a"]] {
            let outcome = CommandLineTool.parse(Fixtures.root, arguments: ["switchboard"] + words)
            let parsed = try #require(outcome.arguments, "\(words)")
            #expect(parsed.value("redis") == "redis://a")
            #expect(parsed.source("redis") == .commandLine)
        }
    }

    @Test func equalsFormKeepsFurtherEqualsSigns() throws {
        let parsed = try #require(Fixtures.arguments("ping", "--redis=redis://h/?a=b"))
        #expect(parsed.value("redis") == "redis://h/?a=b")
    }

    @Test func lastValueWinsForSingleOptions() throws {
        let parsed = try #require(Fixtures.arguments("ping", "-r", "redis://a", "--redis", "redis://b"))
        #expect(parsed.value("redis") == "redis://b")
    }

    @Test func precedenceCommandLineThenEnvironmentThenDefault() throws {
        let environment = ["REDIS_URL": "redis://env", "SESSION_TTL": "90"]
        let given = try #require(Fixtures.arguments("worker", "--redis", "redis://cli", environment: environment))
        #expect(given.value("redis") == "redis://cli")
        #expect(given.value("session-ttl") == "90")
        #expect(given.source("session-ttl") == .environment("SESSION_TTL"))

        let fromEnvironment = try #require(Fixtures.arguments("ping", environment: environment))
        #expect(fromEnvironment.value("redis") == "redis://env")

        let fromDefault = try #require(Fixtures.arguments("worker"))
        #expect(fromDefault.value("redis") == "redis://127.0.0.1:6379")
        #expect(fromDefault.value("session-ttl") == "60")
        #expect(fromDefault.source("session-ttl") == .defaultValue)
        #expect(fromDefault.value("redis-password") == nil)
        #expect(fromDefault.source("redis-password") == .absent)
        #expect(fromDefault.value("undeclared") == nil)
        #expect(fromDefault.source("undeclared") == nil)
    }

    @Test func emptyEnvironmentValueCountsAsUnset() throws {
        let parsed = try #require(Fixtures.arguments("ping", environment: ["REDIS_URL": ""]))
        #expect(parsed.value("redis") == "redis://127.0.0.1:6379")
    }

    @Test func repeatableOptions() throws {
        let parsed = try #require(Fixtures.arguments("worker", "--tag", "a", "-t", "b", "--tag=c"))
        #expect(parsed.values("tag") == ["a", "b", "c"])
        #expect(parsed.value("tag") == "c")
        let none = try #require(Fixtures.arguments("worker"))
        #expect(none.values("tag").isEmpty)
        #expect(none.values("session-ttl") == ["60"])
    }

    @Test func flags() throws {
        let off = try #require(Fixtures.arguments("worker"))
        #expect(!off.flag("verbose") && !off.flag("dry-run"))
        let long = try #require(Fixtures.arguments("worker", "--verbose"))
        #expect(long.flag("verbose") && !long.flag("dry-run"))
        let grouped = try #require(Fixtures.arguments("worker", "-vn"))
        #expect(grouped.flag("verbose") && grouped.flag("dry-run"))
        let groupedWithValue = try #require(Fixtures.arguments("worker", "-vt", "blue"))
        #expect(groupedWithValue.flag("verbose") && groupedWithValue.values("tag") == ["blue"])
    }

    @Test(arguments: ["1", "true", "YES", "yes"])
    func flagsFromEnvironment(value: String) throws {
        let parsed = try #require(Fixtures.arguments("worker", environment: ["SWITCHBOARD_VERBOSE": value]))
        #expect(parsed.flag("verbose"))
    }

    @Test(arguments: ["0", "false", "no", "", "on?"])
    func flagsNotTurnedOnByOtherEnvironmentValues(value: String) throws {
        let parsed = try #require(Fixtures.arguments("worker", environment: ["SWITCHBOARD_VERBOSE": value]))
        #expect(!parsed.flag("verbose"))
    }

    @Test func positionalsWithOptionsBeforeAndAfter() throws {
        let parsed = try #require(Fixtures.arguments(
            "agent", "status", "--workspace", "acme", "42", "away", "--message", "lunch", "--wait"
        ))
        #expect(parsed.commandPath == ["switchboard", "agent", "status"])
        #expect(parsed.positional("agent") == "42")
        #expect(parsed.positional("status") == "away")
        #expect(parsed.value("workspace") == "acme")
        #expect(parsed.value("message") == "lunch")
        #expect(parsed.flag("wait"))
    }

    @Test func negativeNumbersAsValuesAndPositionals() throws {
        let value = try #require(Fixtures.arguments("worker", "--session-ttl", "-5"))
        #expect(value.value("session-ttl") == "-5")
        let positional = try #require(Fixtures.arguments("agent", "status", "-42", "away"))
        #expect(positional.positional("agent") == "-42")
    }

    @Test func optionalPositional() throws {
        let without = try #require(Fixtures.arguments("agent", "list"))
        #expect(without.positional("prefix") == nil)
        #expect(without.positionals("prefix").isEmpty)
        let with = try #require(Fixtures.arguments("agent", "list", "bot-"))
        #expect(with.positional("prefix") == "bot-")
    }

    @Test func variadicPositional() throws {
        let parsed = try #require(Fixtures.arguments("agent", "tag", "42", "vip", "night-shift", "fr"))
        #expect(parsed.positional("agent") == "42")
        #expect(parsed.positionals("labels") == ["vip", "night-shift", "fr"])
        #expect(parsed.positional("labels") == "vip")
    }

    @Test func doubleDashEndsOptions() throws {
        let parsed = try #require(Fixtures.arguments("agent", "tag", "42", "--", "--wait", "-h", "--help", "--"))
        #expect(parsed.positionals("labels") == ["--wait", "-h", "--help", "--"])
        let status = try #require(Fixtures.arguments("agent", "status", "--wait", "--", "-1", "--away"))
        #expect(status.flag("wait"))
        #expect(status.positional("agent") == "-1")
        #expect(status.positional("status") == "--away")
    }

    @Test func nestedSubcommandResolution() throws {
        let outcome = Fixtures.parse("inspect", "agents", "--workspace", "acme", "--json")
        guard case .run(let command, let parsed) = outcome else {
            Issue.record("expected a command, got \(outcome)")
            return
        }
        #expect(command.name == "agents")
        #expect(parsed.commandPath == ["switchboard", "inspect", "agents"])
        #expect(parsed.flag("json"))
        #expect(parsed.value("workspace") == "acme")
        #expect(try command.run?(parsed) == 0)

        let ping = try #require(Fixtures.arguments("ping"))
        #expect(ping.commandPath == ["switchboard", "ping"])
    }

    @Test func rootNameComesFromSpecNotArgvZero() throws {
        let outcome = Fixtures.parse("ping")
        #expect(outcome.arguments?.commandPath == ["switchboard", "ping"])
    }

    @Test func descriptionRedactsSecrets() throws {
        let parsed = try #require(Fixtures.arguments("worker", "--redis-password", "hunter2", "--tag", "x"))
        #expect(!parsed.description.contains("hunter2"))
        #expect(!parsed.description.contains("s3cr3t-default"))
        #expect(parsed.description.contains("--tag=x"))
    }
}
