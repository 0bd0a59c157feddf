// Turning one JSON message into the bytes of a WebSocket text frame or a Server-Sent Event.
import WebSocket

/// The one place that frames messages for clients.
enum MessageFraming {
    /// `json` framed for a stream of `kind`; `event` and `id` name an SSE event (`id` is the
    /// version for snapshot and events, so a reconnecting `EventSource` resumes after it).
    static func frame(_ json: [UInt8], kind: StreamKind, event: String, id: Int?) -> [UInt8] {
        switch kind {
        case .webSocket:
            WebSocketWriter.text(utf8: json)
        case .serverSentEvents:
            ServerSentEvent(id: id.map(String.init), event: event, data: String(decoding: json, as: UTF8.self)).bytes
        }
    }
}
