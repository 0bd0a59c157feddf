// Server-sent events: fields, data split into lines, comments, and nothing that could forge a field.

import Testing
@testable import WebSocket

@Suite("Server-sent events")
struct ServerSentEventTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func encodesAllFields() {
        let event = ServerSentEvent(id: "7", event: "status", data: #"{"type":"status","version":7}"#, retry: 3000)
        #expect(text(event.bytes) == "id: 7\nevent: status\nretry: 3000\ndata: {\"type\":\"status\",\"version\":7}\n\n")
    }

    @Test func encodesDataAlone() {
        #expect(text(ServerSentEvent(data: "hello").bytes) == "data: hello\n\n")
        #expect(text(ServerSentEvent(data: "").bytes) == "data:\n\n")
    }

    @Test func splitsDataAtEveryKindOfLineEnd() {
        #expect(text(ServerSentEvent(data: "a\nb\r\nc\rd").bytes) == "data: a\ndata: b\ndata: c\ndata: d\n\n")
        // A trailing or doubled line end keeps its empty line, so the client rebuilds the data.
        #expect(text(ServerSentEvent(data: "a\n\nb\n").bytes) == "data: a\ndata:\ndata: b\ndata:\n\n")
        #expect(text(ServerSentEvent(data: "\r\r\n").bytes) == "data:\ndata:\ndata:\n\n")
    }

    @Test func keepsLeadingSpacesOfDataLines() {
        // The client drops exactly one space after the colon.
        #expect(text(ServerSentEvent(data: " indented").bytes) == "data:  indented\n\n")
    }

    @Test func idAndEventCannotStartFieldsOfTheirOwn() {
        let event = ServerSentEvent(id: "1\n2\r3\u{0}", event: "x\r\ndata: forged", data: "d")
        #expect(text(event.bytes) == "id: 123\nevent: xdata: forged\ndata: d\n\n")
    }

    @Test func encodesComments() {
        #expect(text(ServerSentEvent.comment("ping")) == ": ping\n\n")
        #expect(text(ServerSentEvent.comment("two\nlines")) == ": two\n: lines\n\n")
        #expect(text(ServerSentEvent.comment("")) == ":\n\n")
    }
}
