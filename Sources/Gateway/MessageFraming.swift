// Turning one JSON message into the bytes of a WebSocket text frame or a Server-Sent Event.

/// The one place that frames messages for clients.
enum MessageFraming {
    /// `json` framed for a stream of `kind`; `event` and `id` name an SSE event (`id` is the
    /// version for snapshot and events, so a reconnecting `EventSource` resumes after it).
    static func frame(_ json: [UInt8], kind: StreamKind, event: String, id: Int?) -> [UInt8] {
        switch kind {
        case .webSocket:
            return json  // TODO: WebSocketWriter.text(utf8:)
        case .serverSentEvents:
            var text = ""
            if let id { text += "id: \(id)\n" }
            text += "event: \(event)\ndata: "
            return Array(text.utf8) + json + Array("\n\n".utf8)
        }
    }
}
