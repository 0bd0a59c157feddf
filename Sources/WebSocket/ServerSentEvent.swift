// ServerSentEvent: one event of a text/event-stream (the HTML standard's server-sent events).

/// An event as a `text/event-stream` carries it: optional `id` (the client sends it back as
/// `Last-Event-ID` when it reconnects), optional `event` type, the `data`, and an optional
/// `retry` (the client's reconnection delay in milliseconds).
///
/// ```swift
/// ServerSentEvent(id: "7", event: "status", data: json).bytes
/// // id: 7\nevent: status\ndata: {…}\n\n
/// ```
public struct ServerSentEvent: Sendable, Equatable {
    /// The event id; line breaks and NUL are left out (they would end the field, or make
    /// clients ignore the id).
    public var id: String?
    /// The event type (`message` when absent); line breaks are left out.
    public var event: String?
    /// The data; each of its lines (split at CRLF, LF or CR) becomes a `data:` line, and the
    /// client joins them back with LF.
    public var data: String
    /// The reconnection delay to ask of the client, in milliseconds.
    public var retry: Int?

    /// Creates an event.
    public init(id: String? = nil, event: String? = nil, data: String, retry: Int? = nil) {
        self.id = id
        self.event = event
        self.data = data
        self.retry = retry
    }

    /// The event's bytes on the stream, ending with the blank line that dispatches it.
    public var bytes: [UInt8] {
        var stream: [UInt8] = []
        stream.reserveCapacity(data.utf8.count + 64)
        if let id { Self.append(field: "id", value: id.utf8.filter { $0 != 0 }, to: &stream) }
        if let event { Self.append(field: "event", value: event.utf8, to: &stream) }
        if let retry { Self.append(field: "retry", value: String(max(0, retry)).utf8, to: &stream) }
        Self.appendLines(of: data.utf8, field: "data", to: &stream)
        stream.append(lineFeed)
        return stream
    }

    /// A comment (`: text`, one per line, then a blank line): clients ignore it; it keeps
    /// an idle stream and the proxies on its way from timing out.
    public static func comment(_ text: String) -> [UInt8] {
        var stream: [UInt8] = []
        appendLines(of: text.utf8, field: "", to: &stream)
        stream.append(lineFeed)
        return stream
    }

    /// One `field: value` line for each line of `text` (split at CRLF, LF and CR, the line
    /// ends of the format); an empty text is one empty line.
    private static func appendLines(of text: some Collection<UInt8>, field: String, to stream: inout [UInt8]) {
        var lineStart = text.startIndex
        var index = text.startIndex
        while index != text.endIndex {
            let byte = text[index]
            guard byte == lineFeed || byte == carriageReturn else {
                text.formIndex(after: &index)
                continue
            }
            append(field: field, value: text[lineStart ..< index], to: &stream)
            text.formIndex(after: &index)
            if byte == carriageReturn, index != text.endIndex, text[index] == lineFeed { text.formIndex(after: &index) }
            lineStart = index
        }
        append(field: field, value: text[lineStart...], to: &stream)
    }

    /// `field: value` and a line feed (`field:` alone for an empty value); line breaks in
    /// `value` are left out, so a value cannot start a field of its own.
    private static func append(field: String, value: some Collection<UInt8>, to stream: inout [UInt8]) {
        stream.append(contentsOf: field.utf8)
        stream.append(UInt8(ascii: ":"))
        if !value.isEmpty {
            stream.append(UInt8(ascii: " "))
            stream.append(contentsOf: value.lazy.filter { $0 != lineFeed && $0 != carriageReturn })
        }
        stream.append(lineFeed)
    }
}

private let lineFeed = UInt8(ascii: "\n")
private let carriageReturn = UInt8(ascii: "\r")
