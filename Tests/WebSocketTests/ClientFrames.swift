// Test helpers: frames as a client sends them (masked), and reading them back in every split.

import Testing
@testable import WebSocket

/// The masking key of RFC 6455's examples (5.7).
let exampleMask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

/// A masked client frame; `firstByteBits` are or-ed into the first byte (to set reserved bits).
func clientFrame(_ opcode: WebSocketOpcode, fin: Bool = true, _ payload: [UInt8] = [], firstByteBits: UInt8 = 0) -> [UInt8] {
    var bytes = WebSocketFrame(opcode: opcode, fin: fin, payload: payload).encoded(maskingKey: exampleMask)
    bytes[0] |= firstByteBits
    return bytes
}

func clientFrame(_ opcode: WebSocketOpcode, fin: Bool = true, _ text: String) -> [UInt8] {
    clientFrame(opcode, fin: fin, Array(text.utf8))
}

/// A masked client close frame with `code` and raw `reason` bytes.
func clientClose(code: UInt16, reason: [UInt8] = []) -> [UInt8] {
    clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
}

/// What a reader made of some bytes: the messages, then the failure if there was one.
struct ReadOutcome: Equatable, CustomStringConvertible {
    var messages: [WebSocketMessage] = []
    var failure: WebSocketProtocolFailure?

    var failureCode: WebSocketCloseCode? { failure?.code }
    var description: String { "\(messages) then \(failure.map { "\($0)" } ?? "no failure")" }
}

/// Feeds `bytes` in chunks of `chunkSize` (all at once when nil), reading after each chunk.
func read(_ bytes: [UInt8], chunkSize: Int? = nil, maximumMessageLength: Int = 64 * 1024) -> ReadOutcome {
    var reader = WebSocketReader(maximumMessageLength: maximumMessageLength)
    var outcome = ReadOutcome()
    let size = max(1, chunkSize ?? bytes.count)
    var offset = 0
    repeat {
        reader.feed(bytes[offset ..< min(offset + size, bytes.count)])
        offset += size
        do {
            while let message = try reader.next() { outcome.messages.append(message) }
        } catch {
            outcome.failure = error
            return outcome
        }
    } while offset < bytes.count
    return outcome
}

/// The outcome of reading `bytes` whole, byte by byte and in chunks of 2, 3, 7 and 100;
/// an issue is recorded when the splits disagree.
func readInEverySplit(
    _ bytes: [UInt8], maximumMessageLength: Int = 64 * 1024, sourceLocation: SourceLocation = #_sourceLocation
) -> ReadOutcome {
    let whole = read(bytes, maximumMessageLength: maximumMessageLength)
    for size in [1, 2, 3, 7, 100] {
        let split = read(bytes, chunkSize: size, maximumMessageLength: maximumMessageLength)
        #expect(split == whole, "chunks of \(size) differ from all at once", sourceLocation: sourceLocation)
    }
    return whole
}
