// Help and version output: sections, annotations, alignment, and help requested at every level.

import ArgumentParsing
import Testing

@Suite("Help")
struct HelpTests {
    /// The help text for `words`, recording an issue unless it is on stdout with exit 0.
    private func help(_ words: String...) -> String {
        let outcome = CommandLineTool.parse(Fixtures.root, arguments: ["switchboard"] + words, version: "1.2.3")
        guard case .exit(0, let text, .standardOutput) = outcome else {
            Issue.record("expected help for \(words), got \(outcome)")
            return ""
        }
        return text
    }

    @Test func rootHelp() {
        let text = help("--help")
        #expect(text.contains("OVERVIEW: Presence and routing for live chat."))
        #expect(text.contains("USAGE: switchboard <subcommand>"))
        #expect(text.contains("SUBCOMMANDS:"))
        #expect(text.contains("  ping        Check that Redis answers."))
        #expect(text.contains("  agent       Manage agents."))
        #expect(text.contains("--version"))
        #expect(text.contains("-h, --help"))
        #expect(!text.contains("ARGUMENTS:"))
        #expect(help("-h") == text)
    }

    @Test func leafHelpWithArgumentsAndOptions() {
        let text = help("agent", "status", "--help")
        #expect(text.contains("USAGE: switchboard agent status [options] <agent> <status>"))
        #expect(text.contains("OVERVIEW: Set an agent's status."))
        #expect(text.contains("ARGUMENTS:\n  <agent>"))
        #expect(text.contains("OPTIONS:"))
        #expect(text.contains("-w, --workspace <name>  Workspace identifier. (env: SWITCHBOARD_WORKSPACE)"))
        #expect(text.contains("-m, --message <text>"))
        #expect(text.contains("--wait"))
        #expect(text.contains("-h, --help"))
        #expect(!text.contains("--version"))
        #expect(!text.contains("SUBCOMMANDS:"))
    }

    @Test func annotationsAndDiscussion() {
        let text = help("worker", "-h")
        #expect(text.contains("Workers share nothing.\nStart as many as you like."))
        #expect(text.contains("Redis server URL. (env: REDIS_URL) (default: redis://127.0.0.1:6379)"))
        #expect(text.contains("Session lifetime. (env: SESSION_TTL) (default: 60)"))
        #expect(text.contains("Tag for this worker. (repeatable)"))
        #expect(text.contains("Log more. (env: SWITCHBOARD_VERBOSE)"))
        #expect(!text.contains("s3cr3t-default"), "defaults of secret options are not shown")
    }

    @Test func columnsAreAligned() throws {
        let text = help("worker", "--help")
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("  -") }
        #expect(rows.count >= 8)
        let columns = Set(rows.compactMap { row -> Int? in
            guard let range = row.range(of: #"\S  +\S"#, options: .regularExpression) else { return nil }
            return row.distance(from: row.startIndex, to: range.upperBound)
        })
        #expect(columns.count == 1, "help descriptions start in one column: \(rows)")
    }

    @Test func groupHelpListsSubcommandsAndUsage() {
        let text = help("agent", "--help")
        #expect(text.contains("USAGE: switchboard agent <subcommand>"))
        #expect(text.contains("SUBCOMMANDS:"))
        #expect(text.contains("status"))
        #expect(text.contains("Set an agent's status."))
        #expect(text.contains("tag"))
    }

    @Test func usageMarksOptionalAndVariadicPositionals() {
        #expect(help("agent", "list", "--help").contains("USAGE: switchboard agent list [options] [<prefix>]"))
        #expect(help("agent", "tag", "--help").contains("USAGE: switchboard agent tag <agent> <labels> ..."))
    }

    @Test func helpAnywhereShowsTheDeepestCommandReached() {
        let expected = help("agent", "status", "--help")
        #expect(help("agent", "status", "42", "--help") == expected)
        #expect(help("agent", "status", "--workspace", "acme", "-h", "42") == expected)
        #expect(help("agent", "status", "--bogus", "--help") == expected, "help wins over errors")
        #expect(help("agent", "--help", "status") == expected)
    }

    @Test func helpAsAnOptionValueOrAfterDoubleDashIsNotHelp() {
        let outcome = Fixtures.parse("agent", "tag", "42", "--", "--help")
        #expect(outcome.arguments?.positionals("labels") == ["--help"])
    }

    @Test func version() {
        let outcome = Fixtures.parse("--version")
        guard case .exit(0, let text, .standardOutput) = outcome else {
            Issue.record("expected version, got \(outcome)")
            return
        }
        #expect(text == "1.2.3\n")
    }

    @Test func versionOnlyAtTheRootAndOnlyWhenGiven() {
        #expect(Fixtures.parse("ping", "--version").exitCode == 64)
        #expect(CommandLineTool.parse(Fixtures.root, arguments: ["switchboard", "--version"]).exitCode == 64)
    }
}
