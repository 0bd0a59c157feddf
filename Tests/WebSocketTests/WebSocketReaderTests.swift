// The server-side frame reader: messages, fragments, control frames, and every refusal with
// its close code, each read whole, byte by byte and in other splits.

import Testing
@testable import WebSocket

@Suite("WebSocket reader")
struct WebSocketReaderTests {
    // MARK: Messages

    @Test func readsRFCMaskedTextExample() {
        // RFC 6455, 5.7: a single-frame masked text message containing "Hello".
        let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(readInEverySplit(bytes) == ReadOutcome(messages: [.text("Hello")]))
    }

    @Test func readsRFCMaskedPongExample() {
        let bytes: [UInt8] = [0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(readInEverySplit(bytes) == ReadOutcome(messages: [.pong(Array("Hello".utf8))]))
    }

    @Test func readsSeveralMessagesFromOneChunkInOrder() {
        let bytes = clientFrame(.text, "one") + clientFrame(.binary, [1, 2, 3]) + clientFrame(.ping, [9]) + clientFrame(.text, "")
        #expect(readInEverySplit(bytes) == ReadOutcome(messages: [.text("one"), .binary([1, 2, 3]), .ping([9]), .text("")]))
    }

    @Test func reassemblesFragmentedMessages() {
        let text = clientFrame(.text, fin: false, "Hel") + clientFrame(.continuation, fin: false, "") + clientFrame(.continuation, "lo")
        let binary = clientFrame(.binary, fin: false, [1]) + clientFrame(.continuation, [2, 3])
        #expect(readInEverySplit(text + binary) == ReadOutcome(messages: [.text("Hello"), .binary([1, 2, 3])]))
    }

    @Test func deliversControlFramesBetweenFragmentsAtOnce() {
        let first = clientFrame(.text, fin: false, "Hel") + clientFrame(.ping, "are you there")
        // The ping comes out before the message's last fragment has arrived.
        #expect(read(first) == ReadOutcome(messages: [.ping(Array("are you there".utf8))]))
        let bytes = first + clientFrame(.pong, []) + clientFrame(.continuation, "lo")
        #expect(readInEverySplit(bytes) == ReadOutcome(messages: [.ping(Array("are you there".utf8)), .pong([]), .text("Hello")]))
    }

    @Test(arguments: [0, 125, 126, 65_535, 65_536, 70_000])
    func readsEachLengthEncoding(length: Int) {
        let payload = (0 ..< length).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let outcome = read(clientFrame(.binary, payload), chunkSize: 4096, maximumMessageLength: 100_000)
        #expect(outcome == ReadOutcome(messages: [.binary(payload)]))
    }

    @Test func acceptsNonMinimalLengthEncodings() {
        let masked: [UInt8] = exampleMask + [0x48 ^ 0x37, 0x69 ^ 0xFA]  // "Hi" masked
        let in16Bits: [UInt8] = [0x81, 0xFE, 0x00, 0x02] + masked
        let in64Bits: [UInt8] = [0x81, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0x02] + masked
        #expect(readInEverySplit(in16Bits) == ReadOutcome(messages: [.text("Hi")]))
        #expect(readInEverySplit(in64Bits) == ReadOutcome(messages: [.text("Hi")]))
    }

    @Test func readsTextWithACharacterSplitAcrossFragments() {
        let bytes = Array("né😀".utf8)  // 6E C3 A9 F0 9F 98 80
        let frames = clientFrame(.text, fin: false, Array(bytes[0 ..< 2])) + clientFrame(.continuation, fin: false, Array(bytes[2 ..< 4]))
            + clientFrame(.continuation, Array(bytes[4...]))
        #expect(readInEverySplit(frames) == ReadOutcome(messages: [.text("né😀")]))
    }

    @Test func acceptsAMessageOfExactlyTheMaximumLength() {
        let bytes = clientFrame(.binary, fin: false, [UInt8](repeating: 1, count: 60)) + clientFrame(.continuation, [UInt8](repeating: 2, count: 40))
        #expect(readInEverySplit(bytes, maximumMessageLength: 100).messages.count == 1)
    }

    // MARK: Close

    @Test func readsCloseFrames() {
        #expect(readInEverySplit(clientFrame(.close, [])) == ReadOutcome(messages: [.close(code: nil, reason: "")]))
        #expect(readInEverySplit(clientClose(code: 1000, reason: Array("bye ✓".utf8))) == ReadOutcome(messages: [.close(code: .normalClosure, reason: "bye ✓")]))
    }

    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999] as [UInt16])
    func acceptsCloseCodesAllowedOnTheWire(code: UInt16) {
        #expect(read(clientClose(code: code)) == ReadOutcome(messages: [.close(code: WebSocketCloseCode(rawValue: code), reason: "")]))
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65_535] as [UInt16])
    func refusesCloseCodesNotAllowedOnTheWire(code: UInt16) {
        #expect(readInEverySplit(clientClose(code: code)).failureCode == .protocolError)
    }

    @Test func refusesAOneByteClosePayload() {
        #expect(readInEverySplit(clientFrame(.close, [0x03])).failureCode == .protocolError)
    }

    @Test func refusesACloseReasonThatIsNotUTF8() {
        #expect(readInEverySplit(clientClose(code: 1000, reason: [0x61, 0xFF])).failureCode == .invalidPayload)
    }

    @Test func takesNothingAfterTheClose() throws {
        var reader = WebSocketReader()
        reader.feed(clientFrame(.close, []) + clientFrame(.text, "late"))
        #expect(try reader.next() == .close(code: nil, reason: ""))
        #expect(reader.isFinished)
        reader.feed(clientFrame(.text, "later"))
        #expect(try reader.next() == nil)
    }

    // MARK: Refusals

    @Test func refusesUnmaskedFrames() {
        let unmasked = WebSocketFrame(opcode: .text, payload: Array("Hello".utf8)).encoded()
        let outcome = readInEverySplit(unmasked)
        #expect(outcome.failureCode == .protocolError)
        #expect(outcome.failure?.reason == "client frames must be masked")
    }

    @Test(arguments: [0x40, 0x20, 0x10] as [UInt8])
    func refusesReservedBits(bit: UInt8) {
        #expect(readInEverySplit(clientFrame(.text, [0x61], firstByteBits: bit)).failureCode == .protocolError)
    }

    @Test(arguments: [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF] as [UInt8])
    func refusesReservedOpcodes(opcode: UInt8) {
        var bytes = clientFrame(.binary, [1])
        bytes[0] = 0x80 | opcode
        #expect(readInEverySplit(bytes).failureCode == .protocolError)
    }

    @Test(arguments: [WebSocketOpcode.ping, .pong, .close])
    func refusesFragmentedControlFrames(opcode: WebSocketOpcode) {
        #expect(readInEverySplit(clientFrame(opcode, fin: false, [])).failureCode == .protocolError)
    }

    @Test(arguments: [WebSocketOpcode.ping, .pong, .close])
    func refusesControlFramesOver125BytesFromTheHeader(opcode: WebSocketOpcode) {
        let frame = clientFrame(opcode, [UInt8](repeating: 0x61, count: 126))
        #expect(read(Array(frame.prefix(2))).failureCode == .protocolError)
        #expect(readInEverySplit(frame).failureCode == .protocolError)
        // 125 bytes is the most a control frame may carry (a close frame's start with a valid code).
        let largest = opcode == .close ? [0x03, 0xE8] + [UInt8](repeating: 0x61, count: 123) : [UInt8](repeating: 0x61, count: 125)
        #expect(read(clientFrame(opcode, fin: true, largest)).failure == nil)
    }

    @Test func refusesAContinuationWithoutAMessage() {
        #expect(readInEverySplit(clientFrame(.continuation, "lo")).failureCode == .protocolError)
        // Also after a message that ended.
        #expect(readInEverySplit(clientFrame(.text, "Hel") + clientFrame(.continuation, "lo")).failureCode == .protocolError)
    }

    @Test(arguments: [WebSocketOpcode.text, .binary])
    func refusesANewDataFrameInsideAFragmentedMessage(opcode: WebSocketOpcode) {
        let bytes = clientFrame(.text, fin: false, "Hel") + clientFrame(opcode, "lo")
        #expect(readInEverySplit(bytes).failureCode == .protocolError)
    }

    @Test func refusesALengthWithTheMostSignificantBitSet() {
        let header: [UInt8] = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0x01]
        #expect(readInEverySplit(header + exampleMask).failureCode == .protocolError)
    }

    @Test func refusesAnOversizedFrameFromItsHeaderAlone() {
        // 16-bit and 64-bit lengths: the header is enough, no payload byte has arrived.
        let over16: [UInt8] = [0x82, 0xFE, 0x01, 0x00]  // 256 bytes
        let over64: [UInt8] = [0x81, 0xFF, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF]
        let outcome = readInEverySplit(over16, maximumMessageLength: 255)
        #expect(outcome.failureCode == .messageTooBig)
        #expect(outcome.failure?.reason == "message longer than 255 bytes")
        #expect(readInEverySplit(over64).failureCode == .messageTooBig)
    }

    @Test func refusesAFragmentedMessageOverTheMaximum() {
        let first = clientFrame(.binary, fin: false, [UInt8](repeating: 1, count: 60))
        let second = clientFrame(.continuation, [UInt8](repeating: 2, count: 41))
        #expect(readInEverySplit(first + Array(second.prefix(2)), maximumMessageLength: 100).failureCode == .messageTooBig)
    }

    @Test func controlFramesDoNotCountTowardsTheMaximum() {
        let bytes = clientFrame(.text, fin: false, "12345") + clientFrame(.ping, "123456789") + clientFrame(.continuation, "67890")
        #expect(readInEverySplit(bytes, maximumMessageLength: 10).messages == [.ping(Array("123456789".utf8)), .text("1234567890")])
    }

    @Test func refusesTextThatIsNotUTF8() {
        let outcome = readInEverySplit(clientFrame(.text, [0x48, 0xC0, 0x80]))  // an overlong NUL
        #expect(outcome.failureCode == .invalidPayload)
        #expect(outcome.failure?.reason == "text message is not valid UTF-8")
    }

    @Test func refusesBadUTF8AtTheFragmentThatBreaksIt() {
        // The message has not ended; the second fragment already cannot be UTF-8.
        let bytes = clientFrame(.text, fin: false, [0xE2, 0x82]) + clientFrame(.continuation, fin: false, [0x28])
        #expect(readInEverySplit(bytes).failureCode == .invalidPayload)
    }

    @Test func refusesTextEndingInsideACharacter() {
        let bytes = clientFrame(.text, fin: false, "ok") + clientFrame(.continuation, [0xE2, 0x82])
        #expect(readInEverySplit(bytes).failureCode == .invalidPayload)
    }

    @Test func binaryNeedNotBeUTF8() {
        #expect(readInEverySplit(clientFrame(.binary, [0xFF, 0xC0])) == ReadOutcome(messages: [.binary([0xFF, 0xC0])]))
    }

    @Test func deliversMessagesBeforeAFailureAndKeepsFailing() throws {
        var reader = WebSocketReader()
        reader.feed(clientFrame(.text, "first") + clientFrame(.text, [0xFF]) + clientFrame(.text, "never"))
        #expect(try reader.next() == .text("first"))
        #expect(throws: WebSocketProtocolFailure.self) { try reader.next() }
        #expect(reader.isFinished)
        reader.feed(clientFrame(.text, "later"))
        #expect(throws: WebSocketProtocolFailure(code: .invalidPayload, reason: "text message is not valid UTF-8")) { try reader.next() }
    }
}
