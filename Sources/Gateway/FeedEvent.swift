// What the gateway sends: events of a workspace's events stream and snapshots, each
// encoded once per kind of stream however many clients get it.

/// How a client's stream frames messages.
enum StreamKind: Sendable {
    /// One WebSocket text frame per message.
    case webSocket
    /// One Server-Sent Event per message.
    case serverSentEvents
}

/// An event of the events stream: its JSON object and position, with its frames made on
/// first use and kept for every other client. Loop-confined.
final class FeedEvent {
    /// The events stream entry id.
    let streamID: String
    /// The workspace version the event took.
    let version: Int
    /// `status`, `assigned`, …: the SSE event name.
    let type: String
    /// The JSON object sent.
    let json: [UInt8]
    private var webSocketFrame: [UInt8]?
    private var serverSentEvent: [UInt8]?

    init(streamID: String, version: Int, type: String, json: [UInt8]) {
        self.streamID = streamID
        self.version = version
        self.type = type
        self.json = json
    }

    /// The message's bytes on a stream of `kind`.
    func bytes(for kind: StreamKind) -> [UInt8] {
        switch kind {
        case .webSocket:
            if let webSocketFrame { return webSocketFrame }
            let frame = MessageFraming.frame(json, kind: kind, event: type, id: version)
            webSocketFrame = frame
            return frame
        case .serverSentEvents:
            if let serverSentEvent { return serverSentEvent }
            let frame = MessageFraming.frame(json, kind: kind, event: type, id: version)
            serverSentEvent = frame
            return frame
        }
    }
}

/// A workspace snapshot read for the stream's first message: everything but the viewer,
/// encoded once; each client puts its own viewer in front.
final class SnapshotMessage: Sendable {
    /// The version the snapshot reflects.
    let version: Int
    /// The JSON members after `"type"` and `"viewer"`, starting with `,` and ending with `}`.
    let members: [UInt8]

    init(version: Int, members: [UInt8]) {
        self.version = version
        self.members = members
    }

    /// The whole JSON object for one viewer (`viewer`: a JSON object's text).
    func json(viewer: String) -> [UInt8] {
        Array(#"{"type":"snapshot","viewer":"#.utf8) + Array(viewer.utf8) + members
    }
}

/// What a read of events after a version found.
enum HeldEvents {
    /// The events from that version + 1 on, consecutive (empty when none came after it).
    case events([FeedEvent])
    /// The stream no longer holds them (trimmed), or the version is beyond its last: the
    /// client needs a snapshot.
    case notHeld
}
