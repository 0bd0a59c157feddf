// The gateway's own messages and refusal bodies, as JSON text.

/// JSON the gateway writes itself (events and snapshots come from Redis).
enum GatewayMessages {
    /// `{"type":"accepted","id":…,"entry":"…"}`: the action was written as intake entry `entry`.
    static func accepted(id: String, entry: String) -> String {
        "{\"type\":\"accepted\",\"id\":\(id),\"entry\":\(JSONText.quoted(entry))}"
    }

    /// `{"type":"error","id":…,"error":"…"}`: the action was refused; nothing was written.
    static func error(id: String, _ sentence: String) -> String {
        "{\"type\":\"error\",\"id\":\(id),\"error\":\(JSONText.quoted(sentence))}"
    }

    /// `{"error":"…"}`: the body of an HTTP refusal.
    static func refusal(_ sentence: String) -> [UInt8] {
        Array("{\"error\":\(JSONText.quoted(sentence))}\n".utf8)
    }
}

/// An answer to an action, for the client that sent it.
struct ActionReply {
    /// `accepted` or `error`.
    let type: String
    /// The message.
    let json: String
    /// The entry id when accepted.
    let entry: String?
    /// The HTTP status for `POST …/intake`: 202 accepted, 400 refused, 503 Redis failed.
    let status: Int
}
