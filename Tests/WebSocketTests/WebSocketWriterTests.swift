// Server frames: exact bytes (RFC 6455's examples), length encodings, close reasons.

import Testing
@testable import WebSocket

@Suite("WebSocket writer")
struct WebSocketWriterTests {
    private let hello: [UInt8] = [0x48, 0x65, 0x6C, 0x6C, 0x6F]

    @Test func encodesRFCUnmaskedExamples() {
        // RFC 6455, 5.7.
        #expect(WebSocketWriter.text("Hello") == [0x81, 0x05] + hello)
        #expect(WebSocketWriter.text(utf8: hello) == [0x81, 0x05] + hello)
        #expect(WebSocketWriter.ping(hello) == [0x89, 0x05] + hello)
        #expect(WebSocketWriter.pong(hello) == [0x8A, 0x05] + hello)
        #expect(WebSocketFrame(opcode: .text, fin: false, payload: Array(hello[..<3])).encoded() == [0x01, 0x03, 0x48, 0x65, 0x6C])
        #expect(WebSocketFrame(opcode: .continuation, payload: Array(hello[3...])).encoded() == [0x80, 0x02, 0x6C, 0x6F])
    }

    @Test func encodesRFCMaskedExample() {
        let masked = WebSocketFrame(opcode: .text, payload: hello).encoded(maskingKey: exampleMask)
        #expect(masked == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func encodesRFCBinaryLengthExamples() {
        let short = WebSocketWriter.binary([UInt8](repeating: 7, count: 256))
        #expect(short.prefix(4) == [0x82, 0x7E, 0x01, 0x00])
        #expect(short.count == 4 + 256)
        let long = WebSocketWriter.binary([UInt8](repeating: 7, count: 65_536))
        #expect(long.prefix(10) == [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00])
        #expect(long.count == 10 + 65_536)
    }

    @Test(arguments: [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)])
    func usesTheShortestLengthEncoding(length: Int, headerLength: Int) {
        let payload = [UInt8](repeating: 0x61, count: length)
        let frame = WebSocketWriter.binary(payload)
        #expect(frame.count == headerLength + length)
        #expect(frame[headerLength...].elementsEqual(payload))
        #expect(frame[1] & 0x80 == 0, "server frames are not masked")
    }

    @Test func encodesCloseFrames() {
        #expect(WebSocketWriter.close(code: nil) == [0x88, 0x00])
        #expect(WebSocketWriter.close(code: .goingAway) == [0x88, 0x02, 0x03, 0xE9])
        #expect(WebSocketWriter.close(code: .tryAgainLater, reason: "bye") == [0x88, 0x05, 0x03, 0xF5, 0x62, 0x79, 0x65])
    }

    @Test func cutsLongCloseReasonsAtACharacterBoundary() {
        let ascii = WebSocketWriter.close(code: .protocolError, reason: String(repeating: "x", count: 200))
        #expect(ascii[1] == 125)
        #expect(ascii.count == 2 + 125)

        // "é" is 2 bytes: 61 of them fit in 123, the 62nd would not.
        let accented = WebSocketWriter.close(code: .protocolError, reason: String(repeating: "é", count: 100))
        #expect(accented[1] == 2 + 122)
        #expect(String(validating: accented[4...], as: UTF8.self) == String(repeating: "é", count: 61))
    }

    @Test func writerOutputReadsBackWhenMasked() {
        // The writer's framing, masked as a client would, is what the reader takes.
        for text in ["", "Hello", String(repeating: "ü", count: 200), String(repeating: "z", count: 70_000)] {
            var frame = WebSocketWriter.text(text)
            let headerLength = frame[1] == 126 ? 4 : frame[1] == 127 ? 10 : 2
            frame[1] |= 0x80
            let payload = frame[headerLength...].enumerated().map { $0.element ^ exampleMask[$0.offset & 3] }
            let masked = Array(frame[..<headerLength]) + exampleMask + payload
            #expect(read(masked, maximumMessageLength: 100_000) == ReadOutcome(messages: [.text(text)]))
        }
    }
}
