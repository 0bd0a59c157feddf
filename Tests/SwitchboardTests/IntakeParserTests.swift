// Intake parsing: every op, every rejection kind and its sentence, id injection, limits, UTF-8.

import Switchboard
import Testing

/// Builds a text entry: `entry("op", "agent.login", "workspace", "acme", …)`.
private func entry(_ pairs: String...) -> [(name: String, value: String)] {
    precondition(pairs.count.isMultiple(of: 2))
    return stride(from: 0, to: pairs.count, by: 2).map { (pairs[$0], pairs[$0 + 1]) }
}

private func id(_ text: String) -> Identifier {
    Identifier(text)!
}

private func accepted(_ fields: [(name: String, value: String)]) throws -> IntakeEntry {
    try IntakeParser.parse(fields).get()
}

private func rejection(_ fields: [(name: String, value: String)]) -> IntakeRejection? {
    if case .failure(let rejection) = IntakeParser.parse(fields) { return rejection }
    return nil
}

private func rejection(raw fields: [(name: [UInt8], value: [UInt8])]) -> IntakeRejection? {
    if case .failure(let rejection) = IntakeParser.parse(fields) { return rejection }
    return nil
}

/// A rejection message must be one readable sentence: one line, ends with a period.
private func expectSentence(_ message: String, mentions fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!message.contains("\n"), "\(message)", sourceLocation: sourceLocation)
    #expect(message.hasSuffix("."), "\(message)", sourceLocation: sourceLocation)
    #expect(message.first?.isUppercase == true, "\(message)", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(message.contains(fragment), "\(message) should mention \(fragment)", sourceLocation: sourceLocation)
    }
}

@Suite("Intake parsing: accepted entries")
struct IntakeAcceptedTests {
    @Test(arguments: ["agent.login", "agent.heartbeat", "agent.logout"])
    func sessionOps(op: String) throws {
        let parsed = try accepted(entry("op", op, "workspace", "acme", "agent", "42", "session", "tab-1"))
        #expect(parsed.workspace == id("acme"))
        #expect(parsed.wantsReply == false)
        #expect(parsed.command.op == op)
        #expect(parsed.command.agent == id("42"))
        switch (op, parsed.command) {
        case ("agent.login", .login(let agent, let session)),
             ("agent.heartbeat", .heartbeat(let agent, let session)),
             ("agent.logout", .logout(let agent, let session)):
            #expect(agent == id("42"))
            #expect(session == id("tab-1"))
        default:
            Issue.record("unexpected command \(parsed.command) for \(op)")
        }
    }

    @Test func statusWithEverything() throws {
        let parsed = try accepted(entry(
            "op", "agent.status", "workspace", "acme", "agent", "42", "status", "away",
            "message", "Back at 3", "actor", "sup@acme.com", "reply", "1"
        ))
        #expect(parsed.command == .setStatus(agent: id("42"), status: .away, message: "Back at 3", actor: id("sup@acme.com")))
        #expect(parsed.command.op == "agent.status")
        #expect(parsed.wantsReply)
    }

    @Test(arguments: AgentStatus.allCases)
    func everyStatus(status: AgentStatus) throws {
        let parsed = try accepted(entry("op", "agent.status", "workspace", "acme", "agent", "a", "status", status.rawValue))
        #expect(parsed.command == .setStatus(agent: id("a"), status: status, message: nil, actor: nil))
    }

    @Test func emptyMessageClears() throws {
        let parsed = try accepted(entry("op", "agent.status", "workspace", "w", "agent", "a", "status", "busy", "message", ""))
        #expect(parsed.command == .setStatus(agent: id("a"), status: .busy, message: nil, actor: nil))
    }

    @Test func messageIsTakenVerbatim() throws {
        let text = "  On a call — back soon 👋🏽 👨‍👩‍👧  "
        let parsed = try accepted(entry("op", "agent.status", "workspace", "w", "agent", "a", "status", "dnd", "message", text))
        #expect(parsed.command == .setStatus(agent: id("a"), status: .dnd, message: text, actor: nil))
    }

    @Test func messageOfExactly280CharactersIsAccepted() throws {
        let text = String(repeating: "é", count: 279) + "🏳️‍🌈"   // 280 characters, many more bytes
        #expect(text.count == 280)
        let parsed = try accepted(entry("op", "agent.status", "workspace", "w", "agent", "a", "status", "online", "message", text))
        #expect(parsed.command == .setStatus(agent: id("a"), status: .online, message: text, actor: nil))
    }

    @Test func profileWithEveryField() throws {
        let parsed = try accepted(entry(
            "op", "agent.profile", "workspace", "acme", "agent", "42",
            "preferred_status", "busy", "accept_chats_after_login", "false", "capacity", "7",
            "teams", "sales,support.eu,vip@x", "role", "supervisor"
        ))
        let change = ProfileChange(
            preferredStatus: .busy, acceptChatsAfterLogin: false, capacity: 7,
            teams: [id("sales"), id("support.eu"), id("vip@x")], role: .supervisor
        )
        #expect(parsed.command == .updateProfile(agent: id("42"), change: change))
        #expect(parsed.command.op == "agent.profile")
        #expect(!change.isEmpty)
        #expect(ProfileChange().isEmpty)
    }

    @Test(arguments: [
        ("preferred_status", "offline", ProfileChange(preferredStatus: .offline)),
        ("accept_chats_after_login", "true", ProfileChange(acceptChatsAfterLogin: true)),
        ("capacity", "0", ProfileChange(capacity: 0)),
        ("capacity", "1000", ProfileChange(capacity: 1000)),
        ("teams", "", ProfileChange(teams: [])),
        ("teams", "a", ProfileChange(teams: [Identifier("a")!])),
        ("role", "owner", ProfileChange(role: .owner)),
    ])
    func profileSingleField(field: String, value: String, change: ProfileChange) throws {
        let parsed = try accepted(entry("op", "agent.profile", "workspace", "w", "agent", "a", field, value))
        #expect(parsed.command == .updateProfile(agent: id("a"), change: change))
    }

    @Test func fiftyTeamsAreAccepted() throws {
        let teams = (1...50).map { "t\($0)" }
        let parsed = try accepted(entry("op", "agent.profile", "workspace", "w", "agent", "a", "teams", teams.joined(separator: ",")))
        #expect(parsed.command == .updateProfile(agent: id("a"), change: ProfileChange(teams: teams.map(id))))
    }

    @Test func replyZeroMeansNoReply() throws {
        let parsed = try accepted(entry("op", "agent.login", "workspace", "w", "agent", "a", "session", "s", "reply", "0"))
        #expect(!parsed.wantsReply)
    }

    @Test func fieldOrderDoesNotMatter() throws {
        let parsed = try accepted(entry("session", "s", "agent", "a", "workspace", "w", "op", "agent.logout"))
        #expect(parsed == IntakeEntry(workspace: id("w"), command: .logout(agent: id("a"), session: id("s"))))
    }

    @Test func exactlyAtTheLimitsIsAccepted() throws {
        var fields = entry("op", "agent.status", "workspace", "w", "agent", "a", "status", "online")
        fields.append(("message", String(repeating: "x", count: 280)))
        #expect(throws: Never.self) { try accepted(fields) }
        let longest = String(repeating: "a", count: 64)
        let parsed = try accepted(entry("op", "agent.login", "workspace", longest, "agent", longest, "session", longest))
        #expect(parsed.workspace.rawValue == longest)
    }

    @Test(arguments: [
        IntakeEntry(workspace: Identifier("w")!, command: .login(agent: Identifier("a")!, session: Identifier("s")!)),
        IntakeEntry(workspace: Identifier("w")!, command: .heartbeat(agent: Identifier("a")!, session: Identifier("s")!), wantsReply: true),
        IntakeEntry(workspace: Identifier("w")!, command: .logout(agent: Identifier("a")!, session: Identifier("s")!)),
        IntakeEntry(workspace: Identifier("w")!, command: .setStatus(agent: Identifier("a")!, status: .dnd, message: "hi", actor: Identifier("b")!)),
        IntakeEntry(workspace: Identifier("w")!, command: .updateProfile(agent: Identifier("a")!, change: ProfileChange(
            preferredStatus: .away, acceptChatsAfterLogin: true, capacity: 3, teams: [], role: .admin))),
    ])
    func fieldsRoundTrip(original: IntakeEntry) throws {
        #expect(try accepted(original.fields) == original)
    }
}

@Suite("Intake parsing: rejections")
struct IntakeRejectionTests {
    @Test func unknownStatusSentence() throws {
        let rejected = try #require(rejection(entry("op", "agent.status", "workspace", "acme", "agent", "a", "status", "sleeping")))
        #expect(rejected.message == "Field 'status' is 'sleeping'; expected one of online, busy, away, dnd, offline.")
        #expect(rejected.workspace == id("acme"))
        #expect(rejected.description == rejected.message)
    }

    @Test func missingOp() throws {
        let rejected = try #require(rejection(entry("workspace", "acme", "agent", "a")))
        expectSentence(rejected.message, mentions: ["'op'", "missing"])
        #expect(rejected.workspace == id("acme"))
    }

    @Test func missingWorkspace() throws {
        let rejected = try #require(rejection(entry("op", "agent.login", "agent", "a", "session", "s")))
        expectSentence(rejected.message, mentions: ["'workspace'", "missing"])
        #expect(rejected.workspace == nil)
    }

    @Test func unknownOpListsSupportedOps() throws {
        let rejected = try #require(rejection(entry("op", "agent.dance", "workspace", "acme", "agent", "a")))
        expectSentence(rejected.message, mentions: [
            "'op'", "'agent.dance'", "agent.login", "agent.heartbeat", "agent.logout", "agent.status", "agent.profile",
        ])
        #expect(rejected.workspace == id("acme"))
    }

    @Test(arguments: [
        (entry("op", "agent.login", "workspace", "w", "agent", "a"), "'session'"),
        (entry("op", "agent.heartbeat", "workspace", "w", "session", "s"), "'agent'"),
        (entry("op", "agent.status", "workspace", "w", "agent", "a"), "'status'"),
        (entry("op", "agent.profile", "workspace", "w", "role", "agent"), "'agent'"),
    ])
    func missingRequiredField(fields: [(name: String, value: String)], field: String) throws {
        let rejected = try #require(rejection(fields))
        expectSentence(rejected.message, mentions: [field, "missing"])
    }

    @Test func unknownFieldsAreNamed() throws {
        let one = try #require(rejection(entry("op", "agent.login", "workspace", "w", "agent", "a", "session", "s", "sesion", "t")))
        expectSentence(one.message, mentions: ["Field 'sesion' is not used by agent.login, which takes agent and session (optional: reply)."])

        let two = try #require(rejection(entry("op", "agent.logout", "workspace", "w", "agent", "a", "session", "s", "status", "away", "x", "1")))
        expectSentence(two.message, mentions: ["Fields 'status' and 'x' are not used by agent.logout"])

        let statusOnly = try #require(rejection(entry("op", "agent.login", "workspace", "w", "agent", "a", "session", "s", "message", "hi")))
        expectSentence(statusOnly.message, mentions: ["'message'"])
    }

    @Test func profileNeedsAField() throws {
        let rejected = try #require(rejection(entry("op", "agent.profile", "workspace", "w", "agent", "a", "reply", "1")))
        expectSentence(rejected.message, mentions: ["agent.profile", "preferred_status", "capacity", "teams", "role"])
    }

    @Test(arguments: [
        ("accept_chats_after_login", "yes"), ("accept_chats_after_login", "True"), ("accept_chats_after_login", "1"),
        ("accept_chats_after_login", " true"), ("accept_chats_after_login", ""),
        ("capacity", "-1"), ("capacity", "+5"), ("capacity", "1001"), ("capacity", " 5"), ("capacity", "5 "),
        ("capacity", "1e3"), ("capacity", ""), ("capacity", "99999999999999999999999"), ("capacity", "٣"),
        ("preferred_status", "Online"), ("preferred_status", "available"),
        ("role", "boss"), ("role", ""),
        ("teams", "a, b"), ("teams", "a,,b"), ("teams", ","), ("teams", "a,"), ("teams", "sales,{acme}"),
        ("teams", "a,a"),
    ])
    func badProfileValue(field: String, value: String) throws {
        let rejected = try #require(rejection(entry("op", "agent.profile", "workspace", "w", "agent", "a", field, value)))
        expectSentence(rejected.message, mentions: ["'\(field)'"])
        #expect(rejected.workspace == id("w"))
    }

    @Test func booleanAndIntegerSentences() throws {
        let boolean = try #require(rejection(entry("op", "agent.profile", "workspace", "w", "agent", "a", "accept_chats_after_login", "yes")))
        #expect(boolean.message == "Field 'accept_chats_after_login' is 'yes'; expected true or false.")
        let integer = try #require(rejection(entry("op", "agent.profile", "workspace", "w", "agent", "a", "capacity", "-1")))
        #expect(integer.message == "Field 'capacity' is '-1'; expected a whole number from 0 to 1000, digits only.")
        let role = try #require(rejection(entry("op", "agent.profile", "workspace", "w", "agent", "a", "role", "boss")))
        #expect(role.message == "Field 'role' is 'boss'; expected one of agent, supervisor, admin, owner.")
    }

    @Test func teamSentences() throws {
        let spaced = try #require(rejection(entry("op", "agent.profile", "workspace", "w", "agent", "a", "teams", "a, b")))
        expectSentence(spaced.message, mentions: ["'teams'", "item 2", "' b'", "no spaces"])
        let twice = try #require(rejection(entry("op", "agent.profile", "workspace", "w", "agent", "a", "teams", "a,b,a")))
        expectSentence(twice.message, mentions: ["'teams'", "'a' twice"])
        let many = (1...51).map { "t\($0)" }.joined(separator: ",")
        let tooMany = try #require(rejection(entry("op", "agent.profile", "workspace", "w", "agent", "a", "teams", many)))
        expectSentence(tooMany.message, mentions: ["'teams'", "51", "50"])
    }

    @Test func replyMustBeZeroOrOne() throws {
        let rejected = try #require(rejection(entry("op", "agent.login", "workspace", "w", "agent", "a", "session", "s", "reply", "yes")))
        expectSentence(rejected.message, mentions: ["'reply'", "'yes'"])
    }

    @Test(arguments: ["a}b", "a:b", "a b", "*", "a\nb", "{acme}", "", String(repeating: "a", count: 65),
                      "é", "a/b", "a\u{0}b", "a\u{202E}b", "a\tb", "a,b", "ab\r\n", "🙂", "a\u{301}"])
    func injectionIdsAreRejected(value: String) throws {
        #expect(Identifier(value) == nil)
        for field in ["workspace", "agent", "session"] {
            var fields = entry("op", "agent.login", "workspace", "w", "agent", "a", "session", "s")
            let index = try #require(fields.firstIndex { $0.name == field })
            fields[index].value = value
            let rejected = try #require(rejection(fields))
            expectSentence(rejected.message, mentions: ["Field '\(field)'", "1 to 64 characters"])
            #expect(rejected.workspace == (field == "workspace" ? nil : id("w")))
        }
        let actor = try #require(rejection(entry("op", "agent.status", "workspace", "w", "agent", "a", "status", "away", "actor", value)))
        expectSentence(actor.message, mentions: ["Field 'actor'"])
    }

    @Test func idSentencesShowTheValueEscaped() throws {
        #expect(throws: IntakeRejection("Field 'agent' is 'a\\nb', which contains '\\n'; expected an id of 1 to 64 characters, each a letter, a digit, '.', '_', '@' or '-'.")) {
            try Identifier.validate("a\nb", field: "agent")
        }
        #expect(throws: IntakeRejection("Field 'agent' is empty; expected an id of 1 to 64 characters, each a letter, a digit, '.', '_', '@' or '-'.")) {
            try Identifier.validate("", field: "agent")
        }
        do {
            _ = try Identifier.validate(String(repeating: "a", count: 65), field: "session")
            Issue.record("65 characters accepted")
        } catch {
            expectSentence(error.message, mentions: ["Field 'session' is 65 characters long", "1 to 64"])
        }
        do {
            _ = try Identifier.validate("{acme}" + String(repeating: "z", count: 200), field: "workspace")
            Issue.record("braces accepted")
        } catch {
            expectSentence(error.message, mentions: ["contains '{'", "…'"])
            #expect(!error.message.contains(String(repeating: "z", count: 81)))
        }
    }

    @Test func bidiAndQuotesAreEscapedInSentences() throws {
        let rejected = try #require(rejection(entry("op", "agent.status", "workspace", "w", "agent", "a", "status", "x'\u{202E}y\\")))
        #expect(rejected.message.contains("'x\\'\\u{202E}y\\\\'"), "\(rejected.message)")
    }

    @Test func identifierValues() {
        #expect(Identifier("Agent_42.x@acme-co")?.rawValue == "Agent_42.x@acme-co")
        #expect(Identifier("a")?.description == "a")
        #expect(Identifier("a")! < Identifier("b")!)
        #expect(Identifier("B")! < Identifier("a")!)
    }

    @Test func messageOf281CharactersIsRejected() throws {
        let text = String(repeating: "é", count: 281)
        let rejected = try #require(rejection(entry("op", "agent.status", "workspace", "w", "agent", "a", "status", "online", "message", text)))
        #expect(rejected.message == "Field 'message' is 281 characters long; expected at most 280.")
    }

    @Test(arguments: ["line\nbreak", "tab\there", "cr\r", "nul\u{0}", "del\u{7F}", "c1\u{85}", "esc\u{1B}[31m"])
    func controlCharactersInMessageAreRejected(text: String) throws {
        let rejected = try #require(rejection(entry("op", "agent.status", "workspace", "w", "agent", "a", "status", "online", "message", text)))
        expectSentence(rejected.message, mentions: ["Field 'message'", "control character", "U+", "no newlines or tabs"])
    }

    @Test func controlCharacterSentenceSaysWhere() throws {
        let rejected = try #require(rejection(entry("op", "agent.status", "workspace", "w", "agent", "a", "status", "online", "message", "hello\nworld")))
        #expect(rejected.message.contains("U+000A at character 6"), "\(rejected.message)")
    }

    @Test func duplicateFieldIsRejected() throws {
        let rejected = try #require(rejection(entry("op", "agent.login", "workspace", "w", "agent", "a", "agent", "b", "session", "s")))
        #expect(rejected.message == "Field 'agent' appears 2 times; each field may appear only once.")
        #expect(rejected.workspace == id("w"))
        let sameValue = try #require(rejection(entry("op", "agent.login", "workspace", "w", "agent", "a", "session", "s", "op", "agent.login")))
        expectSentence(sameValue.message, mentions: ["'op'", "2 times"])
    }

    @Test func duplicateWorkspaceLeavesWorkspaceUnset() throws {
        let rejected = try #require(rejection(entry("op", "agent.login", "workspace", "w", "workspace", "v", "agent", "a", "session", "s")))
        expectSentence(rejected.message, mentions: ["'workspace'", "2 times"])
        #expect(rejected.workspace == nil)
    }

    @Test func tooManyFields() throws {
        var fields = entry("op", "agent.login", "workspace", "w", "agent", "a", "session", "s")
        fields += (1...29).map { ("extra\($0)", "x") }
        let rejected = try #require(rejection(fields))
        #expect(rejected.message == "The entry has 33 fields; at most 32 are allowed.")
        #expect(rejected.workspace == id("w"))
        // 32 fields pass the count check and fail later, on the unknown names.
        let fewer = try #require(rejection(Array(fields.dropLast())))
        expectSentence(fewer.message, mentions: ["'extra1'", "and 23 more"])
    }

    @Test func hugeValue() throws {
        let rejected = try #require(rejection(entry("op", "agent.status", "workspace", "w", "agent", "a", "status", "online",
                                                    "message", String(repeating: "x", count: 1_000_000))))
        #expect(rejected.message == "Field 'message' is 1000000 bytes long; values may be at most 1024 bytes.")
        #expect(rejected.workspace == id("w"))
    }

    @Test func longFieldName() throws {
        let name = String(repeating: "n", count: 65)
        let rejected = try #require(rejection(entry("op", "agent.login", "workspace", "w", name, "x")))
        expectSentence(rejected.message, mentions: ["field name", "65 bytes", "64"])
    }

    @Test func limitsAreCheckedBeforeUTF8() throws {
        let rejected = try #require(rejection(raw: [
            (Array("message".utf8), [0xFF]),
            (Array("other".utf8), [UInt8](repeating: 0x61, count: 2000)),
        ]))
        expectSentence(rejected.message, mentions: ["'other'", "2000 bytes"])
    }

    @Test func invalidUTF8Value() throws {
        let fields: [(name: [UInt8], value: [UInt8])] = [
            (Array("op".utf8), Array("agent.status".utf8)),
            (Array("workspace".utf8), Array("acme".utf8)),
            (Array("agent".utf8), Array("a".utf8)),
            (Array("status".utf8), Array("online".utf8)),
            (Array("message".utf8), [0x68, 0x69, 0xC3, 0x28]),
        ]
        let rejected = try #require(rejection(raw: fields))
        #expect(rejected.message == "Field 'message' is not valid UTF-8 (bad byte 0xC3 at byte 3); field names and values must be UTF-8 text.")
        #expect(rejected.workspace == id("acme"))
    }

    @Test(arguments: [
        [UInt8]([0xFF]), [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80],
    ])
    func invalidUTF8Forms(bytes: [UInt8]) throws {
        let rejected = try #require(rejection(raw: [(Array("op".utf8), bytes), (Array("workspace".utf8), Array("w".utf8))]))
        expectSentence(rejected.message, mentions: ["Field 'op'", "not valid UTF-8"])
    }

    @Test func invalidUTF8Name() throws {
        let rejected = try #require(rejection(raw: [(Array("op".utf8), Array("agent.login".utf8)), ([0x61, 0xFE], Array("x".utf8))]))
        expectSentence(rejected.message, mentions: ["field name", "not valid UTF-8", "byte 2"])
    }

    @Test func invalidWorkspaceLeavesWorkspaceUnset() throws {
        let rejected = try #require(rejection(entry("op", "nope", "workspace", "a:b")))
        #expect(rejected.workspace == nil)
        expectSentence(rejected.message, mentions: ["'workspace'"])
    }
}

@Suite("Intake parsing: widget settings")
struct WidgetSettingsParsingTests {
    @Test func everyWidgetFieldIsAccepted() throws {
        let parsed = try accepted(entry("op", "workspace.settings", "workspace", "acme", "widget_mode", "hours",
                                        "widget_manual", "offline", "widget_hours", "mon-fri 09:00-17:00",
                                        "widget_timezone", "Europe/Berlin", "widget_exceptions", "2026-12-25 closed",
                                        "offline_when_team_away", "true"))
        guard case .updateSettings(let change) = parsed.command else { Issue.record("not a settings change"); return }
        #expect(change.widgetMode == .hours && change.widgetManual == .offline && change.offlineWhenTeamAway == true)
        #expect(change.fields.map(\.name) == ["widget_mode", "widget_manual", "widget_hours", "widget_timezone", "widget_exceptions",
                                              "offline_when_team_away"])
    }

    @Test(arguments: [
        (entry("widget_mode", "weekly"), ["widget_mode", "manual, hours"]),
        (entry("widget_manual", "maybe"), ["widget_manual", "online, offline"]),
        (entry("widget_hours", "mon 9-17"), ["widget_hours", "HH:MM-HH:MM"]),
        (entry("widget_hours", "funday 09:00-17:00"), ["widget_hours", "funday"]),
        (entry("widget_timezone", "Mars/Olympus"), ["widget_timezone", "Mars/Olympus"]),
        (entry("widget_exceptions", "2026-02-30 closed"), ["widget_exceptions", "2026-02-30"]),
        (entry("offline_when_team_away", "yes"), ["offline_when_team_away", "true"]),
    ])
    func badWidgetValuesAreRejectedWithASentence(fields: [(name: String, value: String)], mentions: [String]) throws {
        let rejected = try #require(rejection(entry("op", "workspace.settings", "workspace", "acme") + fields))
        expectSentence(rejected.message, mentions: mentions)
    }
}
