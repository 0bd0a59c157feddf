// WebSocketReader: the server side of RFC 6455 framing. Bytes from a client go in, in any
// split; whole messages come out, or the protocol failure to close the connection with.

/// A complete message from the client: data messages reassembled from their fragments,
/// control frames as they come (also between the fragments of a data message).
public enum WebSocketMessage: Sendable, Equatable {
    /// A text message, valid UTF-8.
    case text(String)
    /// A binary message.
    case binary([UInt8])
    /// A ping: answer with a pong carrying the same payload.
    case ping([UInt8])
    /// A pong (to a ping of ours, or unasked).
    case pong([UInt8])
    /// The client closes: answer with a close frame (echo `code`, or none when it is nil)
    /// and close the connection. `code` is nil when the frame carried no payload.
    case close(code: WebSocketCloseCode?, reason: String)
}

/// Why the client's bytes cannot be a WebSocket stream: send a close frame with `code` and
/// `reason`, then close the connection.
public struct WebSocketProtocolFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The code to close with: 1002 (protocol), 1007 (not UTF-8) or 1009 (too big).
    public var code: WebSocketCloseCode
    /// A sentence saying what was wrong, short enough for a close frame.
    public var reason: String

    /// Creates a failure.
    public init(code: WebSocketCloseCode, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The code and the reason, e.g. `1002: client frames must be masked`.
    public var description: String { "\(code): \(reason)" }
}

/// Reads the frames a client sends, incrementally: ``feed(_:)`` what the socket gave, then
/// call ``next()`` until it returns nil. Any split of the same bytes gives the same messages.
///
/// ```swift
/// var reader = WebSocketReader()
/// reader.feed(chunk)
/// do {
///     while let message = try reader.next() { handle(message) }
/// } catch {
///     connection.write(WebSocketWriter.close(code: error.code, reason: error.reason))
/// }
/// ```
/// Payloads are held only up to ``maximumMessageLength``: a frame that would pass it is
/// refused from its header, before its payload arrives. After a close message or a failure
/// the reader takes no more bytes (``next()`` returns nil, or throws the failure again).
public struct WebSocketReader: Sendable {
    /// The longest data message accepted, in bytes of payload (all fragments together).
    public let maximumMessageLength: Int

    /// Bytes fed and not yet read: `buffer[start...]`.
    private var buffer: [UInt8] = []
    private var start = 0
    /// The data message whose fragments are being collected.
    private var partial: PartialMessage?
    private var failure: WebSocketProtocolFailure?
    private var closed = false

    /// A reader refusing data messages over `maximumMessageLength` bytes (default 64 KiB) with 1009.
    public init(maximumMessageLength: Int = 64 * 1024) {
        precondition(maximumMessageLength >= 0, "a maximum message length is not negative")
        self.maximumMessageLength = maximumMessageLength
    }

    /// Whether the client sent a close frame (or failed): nothing more will be read.
    public var isFinished: Bool { closed || failure != nil }

    /// Appends bytes read from the connection; ignored once ``isFinished``.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        guard !isFinished else { return }
        if start > 0 {
            buffer.removeSubrange(..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil until more bytes are fed.
    public mutating func next() throws(WebSocketProtocolFailure) -> WebSocketMessage? {
        if let failure { throw failure }
        do {
            while !closed, let frame = try nextFrame() {
                if let message = try deliver(frame) { return message }
            }
            return nil
        } catch {
            failure = error
            buffer = []
            start = 0
            partial = nil
            throw error
        }
    }

    // MARK: Frames

    /// Parses the frame at `start` once all of it is buffered, checking its header as soon
    /// as the header is complete.
    private mutating func nextFrame() throws(WebSocketProtocolFailure) -> WebSocketFrame? {
        let available = buffer.count - start
        guard available >= 2 else { return nil }
        let first = buffer[start], second = buffer[start + 1]
        guard first & 0x70 == 0 else { throw Self.protocolError("reserved bits must be 0 (no extension was negotiated)") }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else {
            throw Self.protocolError("unknown opcode \(first & 0x0F)")
        }
        let fin = first & 0x80 != 0
        guard second & 0x80 != 0 else { throw Self.protocolError("client frames must be masked") }
        if opcode.isControl {
            guard fin else { throw Self.protocolError("control frames must not be fragmented") }
            guard second & 0x7F <= 125 else { throw Self.protocolError("control frames carry at most 125 bytes") }
        } else if opcode == .continuation {
            guard partial != nil else { throw Self.protocolError("continuation frame without a message to continue") }
        } else {
            guard partial == nil else { throw Self.protocolError("new data frame before the fragmented message ended") }
        }

        let lengthBytes = switch second & 0x7F { case 126: 2; case 127: 8; default: 0 }
        guard available >= 2 + lengthBytes else { return nil }
        var length = UInt64(second & 0x7F)
        if lengthBytes > 0 {
            length = 0
            for index in start + 2 ..< start + 2 + lengthBytes { length = length << 8 | UInt64(buffer[index]) }
            // Non-minimal encodings (e.g. 5 in 16 bits) are taken: reading them costs nothing.
            guard length >> 63 == 0 else { throw Self.protocolError("frame length with the most significant bit set") }
        }
        if !opcode.isControl {
            let collected = UInt64(partial?.payload.count ?? 0)
            guard collected + length <= UInt64(maximumMessageLength) else {
                throw WebSocketProtocolFailure(code: .messageTooBig, reason: "message longer than \(maximumMessageLength) bytes")
            }
        }

        let headerLength = 2 + lengthBytes + 4
        let payloadLength = Int(length)  // at most maximumMessageLength or 125 here
        guard available >= headerLength + payloadLength else { return nil }
        let mask = start + headerLength - 4
        let payloadStart = start + headerLength
        var payload = [UInt8](repeating: 0, count: payloadLength)
        for offset in 0 ..< payloadLength {
            payload[offset] = buffer[payloadStart + offset] ^ buffer[mask + (offset & 3)]
        }
        start = payloadStart + payloadLength
        return WebSocketFrame(opcode: opcode, fin: fin, payload: payload)
    }

    /// The message a frame completes, if any.
    private mutating func deliver(_ frame: WebSocketFrame) throws(WebSocketProtocolFailure) -> WebSocketMessage? {
        var message: PartialMessage
        switch frame.opcode {
        case .ping: return .ping(frame.payload)
        case .pong: return .pong(frame.payload)
        case .close:
            closed = true
            buffer = []
            start = 0
            return try Self.closeMessage(frame.payload)
        case .text, .binary:
            message = PartialMessage(isText: frame.opcode == .text)
        case .continuation:
            guard let continued = partial else { return nil }  // refused from the header already
            message = continued
            partial = nil  // the only reference: appending does not copy the payload
        }
        if message.isText {
            guard message.validator.feed(frame.payload) else { throw Self.invalidUTF8("text message is not valid UTF-8") }
        }
        if message.payload.isEmpty {
            message.payload = frame.payload  // an unfragmented message: no copy
        } else {
            message.payload.append(contentsOf: frame.payload)
        }
        guard frame.fin else {
            partial = message
            return nil
        }
        guard message.isText else { return .binary(message.payload) }
        guard message.validator.isAtBoundary else { throw Self.invalidUTF8("text message ends inside a UTF-8 character") }
        return .text(String(decoding: message.payload, as: UTF8.self))
    }

    /// A close frame's payload: empty, or a code allowed on the wire and a UTF-8 reason.
    private static func closeMessage(_ payload: [UInt8]) throws(WebSocketProtocolFailure) -> WebSocketMessage {
        guard !payload.isEmpty else { return .close(code: nil, reason: "") }
        guard payload.count >= 2 else { throw protocolError("close payload of 1 byte (a code takes 2)") }
        let code = WebSocketCloseCode(rawValue: UInt16(payload[0]) << 8 | UInt16(payload[1]))
        guard code.isAllowedOnTheWire else { throw protocolError("close code \(code) may not be sent") }
        let reason = payload[2...]
        guard UTF8Validator.isValid(reason) else { throw invalidUTF8("close reason is not valid UTF-8") }
        return .close(code: code, reason: String(decoding: reason, as: UTF8.self))
    }

    private static func protocolError(_ reason: String) -> WebSocketProtocolFailure {
        WebSocketProtocolFailure(code: .protocolError, reason: reason)
    }

    private static func invalidUTF8(_ reason: String) -> WebSocketProtocolFailure {
        WebSocketProtocolFailure(code: .invalidPayload, reason: reason)
    }
}

/// A fragmented data message being collected.
private struct PartialMessage: Sendable {
    var isText: Bool
    var payload: [UInt8] = []
    var validator = UTF8Validator()
}
