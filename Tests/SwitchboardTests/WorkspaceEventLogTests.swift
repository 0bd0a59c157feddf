import Foundation
import Redis
import Testing
import TestSupport
@testable import Switchboard

/// Reading the events stream for the live feed, against real Redis and the real functions.
@Suite("Workspace event log")
struct WorkspaceEventLogTests {
    private let agent = Identifier("a")!

    /// A workspace whose stream holds `count` status events (versions 1…count: a login, then
    /// Busy and Online in turn), and a log reading it back `pageSize` entries at a time.
    private func workspace(_ tag: String, events count: Int, pageSize: Int = 3) throws -> (LibraryWorkspace, WorkspaceEventLog) {
        let space = try LibraryWorkspace(tag)
        if count > 0 { #expect(try space.apply("1-0", .login(agent: agent, session: Identifier("s")!)) == .applied) }
        if count > 1 {
            for step in 2...count {
                #expect(try space.apply("\(step)-0", .setStatus(agent: agent, status: step % 2 == 0 ? .busy : .online, message: nil, actor: nil)) == .applied)
            }
        }
        var log = WorkspaceEventLog(connection: space.connection, keys: space.schema)
        log.pageSize = pageSize
        return (space, log)
    }

    private func versions(_ result: EventsAfterVersion) -> [Int]? {
        if case .events(let events) = result { events.map(\.version) } else { nil }
    }

    private func object(_ event: WorkspaceEvent) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(event.json)) as? [String: Any])
    }

    @Test func anEmptyStreamEndsAtVersionZero() throws {
        let (space, log) = try workspace("log-empty", events: 0)
        defer { try? space.removeKeys() }
        let tail = try log.tail(of: "w")
        #expect(tail.streamID == "0-0" && tail.version == 0)
        #expect(try log.events(of: "w", afterStreamID: "0-0", limit: 10).isEmpty)
        #expect(versions(try log.events(of: "w", afterVersion: 0, limit: 10)) == [])
        #expect(try log.events(of: "w", afterVersion: 1, limit: 10) == .notHeld)
    }

    @Test func tailAndEventsAfterAStreamID() throws {
        let (space, log) = try workspace("log-ids", events: 5)
        defer { try? space.removeKeys() }
        let all = try log.events(of: "w", afterStreamID: "0-0", limit: 100)
        #expect(all.map(\.version) == [1, 2, 3, 4, 5])
        #expect(all.allSatisfy { $0.type == "status" })
        let tail = try log.tail(of: "w")
        #expect(tail.streamID == all.last?.streamID && tail.version == 5)
        #expect(try log.events(of: "w", afterStreamID: all[1].streamID, limit: 2).map(\.version) == [3, 4], "exclusive start, at most limit")
        #expect(try log.events(of: "w", afterStreamID: tail.streamID, limit: 10).isEmpty)
        #expect(throws: IntakeRejection.self) { try log.tail(of: "a}b") }
    }

    @Test func eventsAfterAVersionAcrossPages() throws {
        let (space, log) = try workspace("log-versions", events: 10, pageSize: 3)
        defer { try? space.removeKeys() }
        #expect(versions(try log.events(of: "w", afterVersion: 0, limit: 100)) == Array(1...10), "the whole stream, read back in pages of 3")
        #expect(versions(try log.events(of: "w", afterVersion: 0, limit: 4)) == [1, 2, 3, 4], "the oldest first, at most limit")
        #expect(versions(try log.events(of: "w", afterVersion: 7, limit: 100)) == [8, 9, 10])
        #expect(versions(try log.events(of: "w", afterVersion: 4, limit: 2)) == [5, 6])
        #expect(versions(try log.events(of: "w", afterVersion: 10, limit: 100)) == [], "up to date")
        #expect(try log.events(of: "w", afterVersion: 11, limit: 100) == .notHeld, "beyond the last version")
    }

    @Test func aStreamOfExactlyWholePagesReachesBackToItsStart() throws {
        let (space, log) = try workspace("log-whole-pages", events: 6, pageSize: 3)
        defer { try? space.removeKeys() }
        #expect(versions(try log.events(of: "w", afterVersion: 0, limit: 100)) == Array(1...6))
    }

    @Test func aTrimmedStreamNoLongerHoldsOldVersions() throws {
        let (space, log) = try workspace("log-trimmed", events: 10, pageSize: 2)
        defer { try? space.removeKeys() }
        try space.connection.send(RedisCommand("XTRIM", space.keys.events, "MAXLEN", 4))  // keeps 7…10
        #expect(versions(try log.events(of: "w", afterVersion: 6, limit: 100)) == [7, 8, 9, 10], "the oldest entry held is the next one")
        #expect(try log.events(of: "w", afterVersion: 5, limit: 100) == .notHeld, "version 6 was trimmed")
        #expect(try log.events(of: "w", afterVersion: 0, limit: 100) == .notHeld)
    }

    @Test func aHoleInTheStreamIsNotHeld() throws {
        let (space, log) = try workspace("log-hole", events: 6)
        defer { try? space.removeKeys() }
        let third = try #require(try log.events(of: "w", afterStreamID: "0-0", limit: 100).first { $0.version == 3 })
        try space.connection.send(RedisCommand("XDEL", space.keys.events, third.streamID))
        #expect(try log.events(of: "w", afterVersion: 1, limit: 100) == .notHeld, "3 is missing: no gap-free sequence")
        #expect(try log.events(of: "w", afterVersion: 2, limit: 100) == .notHeld)
        #expect(versions(try log.events(of: "w", afterVersion: 3, limit: 100)) == [4, 5, 6], "everything after 3 is held")
    }

    @Test func jsonKeepsStreamOrderWithTheWorkspaceAndTypedValues() throws {
        let space = try LibraryWorkspace("log-json")
        defer { try? space.removeKeys() }
        #expect(try space.apply("1-0", .updateSettings(WorkspaceSettingsChange(busyFallback: true, defaultCapacity: 4, aiChat: false))) == .applied)
        #expect(try space.apply("2-0", .updateProfile(agent: agent, change: ProfileChange(acceptChatsAfterLogin: false, capacity: 2))) == .applied)
        #expect(try space.apply("3-0", .newConversation(conversation: Identifier("c-1")!, team: Identifier("sales")!, priority: -5)) == .applied)
        #expect(try space.apply("4-0", .setStatus(agent: agent, status: .dnd, message: "Back at 3", actor: nil)) == .applied)
        let events = try WorkspaceEventLog(connection: space.connection, keys: space.schema).events(of: "w", afterStreamID: "0-0", limit: 100)
        #expect(events.map(\.type) == ["settings", "profile", "queued", "status"])
        for event in events {
            #expect(String(decoding: event.json, as: UTF8.self).hasPrefix(#"{"type":"\#(event.type)","workspace":"w","#))
        }

        let settings = try object(events[0])
        #expect(settings["busy_fallback"] as? Bool == true && settings["ai_chat"] as? Bool == false)
        #expect(settings["default_capacity"] as? Int == 4 && settings["version"] as? Int == 1)
        #expect(settings["entry"] as? String == "1-0" && settings["timestamp"] is String)
        let profile = try object(events[1])
        #expect(profile["accept_chats_after_login"] as? Bool == false && profile["capacity"] as? Int == 2)
        #expect(profile["agent_id"] as? String == "a")
        let queued = try object(events[2])
        #expect(queued["priority"] as? Int == -5 && queued["team"] as? String == "sales" && queued["conversation_id"] as? String == "c-1")
        let status = try object(events[3])
        #expect(status["status"] as? String == "dnd" && status["message"] as? String == "Back at 3" && status["version"] as? Int == 4)
        // JSONSerialization would read "true" as a string too: only the listed fields are booleans.
        #expect(String(decoding: events[0].json, as: UTF8.self).contains(#""busy_fallback":true"#))
    }
}
