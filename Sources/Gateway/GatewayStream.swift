// One open stream of a dashboard: a WebSocket or a Server-Sent Events response. It is a
// session of the token's agent, a member of its workspace's hub, and (on a WebSocket) the
// way the dashboard acts.
import EventLoop
import Switchboard
import WebSocket

/// A client's stream. Loop-confined.
final class GatewayStream: HubMember {
    let kind: StreamKind
    let connection: LoopConnection
    let viewer: GatewayViewer
    /// The session this stream is (`gw-…`, or the one its client resumed): logged in when it
    /// opens, out only when the client closes it cleanly (``closedByClient``).
    let session: Identifier
    let resumeAfter: Int?
    /// The viewer as JSON, for the snapshot's `viewer`.
    private let viewerJSON: String
    private weak var gateway: Gateway?
    private var reader: WebSocketReader
    /// Ping intervals passed without a pong (WebSocket).
    private var missedPongs = 0
    private var awaitingPong = false
    private var actions: ActionRate
    private var closing = false
    /// The client sent a WebSocket close frame: it is leaving, not dropped, so its session ends
    /// now. Any other end (a drop, an SSE stream ending, the gateway closing it) leaves the
    /// session to expire unless the client comes back with it.
    private(set) var closedByClient = false
    /// The most bytes of backlog a client may have before it counts as too slow.
    private let bufferLimit: Int

    init(kind: StreamKind, connection: LoopConnection, viewer: GatewayViewer, session: Identifier, resumeAfter: Int?,
         gateway: Gateway, limits: GatewayLimits) {
        self.kind = kind
        self.connection = connection
        self.viewer = viewer
        self.session = session
        self.resumeAfter = resumeAfter
        self.gateway = gateway
        reader = WebSocketReader(maximumMessageLength: limits.maximumMessageLength)
        actions = ActionRate(perSecond: limits.actionsPerSecond)
        viewerJSON = "{\"agent\":\(JSONText.quoted(viewer.agent.rawValue)),\"role\":\(JSONText.quoted(viewer.role.rawValue)),"
            + "\"session\":\(JSONText.quoted(session.rawValue))}"
        bufferLimit = limits.writeBufferLimit
        connection.writeBufferLimit = limits.writeBufferLimit
        connection.onClose = { [weak self] in
            guard let self else { return }
            self.gateway?.streamClosed(self)
        }
        connection.onData = { [weak self] bytes in self?.received(bytes) }
    }

    // MARK: To the client

    func deliver(_ event: FeedEvent) -> Bool { send(event.bytes(for: kind)) }

    func deliver(_ snapshot: SnapshotMessage) -> Bool {
        let bytes = MessageFraming.frame(snapshot.json(viewer: viewerJSON), kind: kind, event: "snapshot", id: snapshot.version)
        // A large workspace's snapshot may pass the buffer limit on its own: the limit is for
        // the backlog behind it.
        connection.writeBufferLimit = max(connection.writeBufferLimit, bytes.count + bufferLimit)
        return send(bytes)
    }

    /// Sends a message of the gateway's own (`accepted`, `error`): no SSE id, it is no event of the stream.
    func sendMessage(_ json: String, type: String) {
        _ = send(MessageFraming.frame(Array(json.utf8), kind: kind, event: type, id: nil))
    }

    /// Writes `bytes`; a client whose buffer they would overflow is closed: it is too slow.
    private func send(_ bytes: [UInt8]) -> Bool {
        guard connection.isOpen, !closing else { return false }
        if connection.write(bytes) {
            gateway?.metrics.messagesSent.increment()
            return true
        }
        gateway?.metrics.slowClientsClosed.increment()
        gateway?.logger.notice("gateway closed a slow client", metadata: ["peer": connection.peer, "workspace": viewer.workspace.rawValue,
                                                                          "agent": viewer.agent.rawValue, "buffered": "\(connection.bufferedBytes)"])
        close(code: .tryAgainLater, reason: "Too slow to keep up: reconnect with since=<last version received> to resume.")
        return false
    }

    /// Ends the stream: a WebSocket with a close frame (`code`, `reason`), then the connection
    /// once written (at most 2 s).
    func close(code: WebSocketCloseCode, reason: String) {
        guard connection.isOpen, !closing else { return }
        closing = true
        if kind == .webSocket {
            // Room for the close frame even when the buffer is full.
            connection.writeBufferLimit = connection.bufferedBytes + 256
            _ = connection.write(WebSocketWriter.close(code: code, reason: reason))
        }
        connection.closeAfterWriting(within: .seconds(2))
    }

    /// Every ping interval: a WebSocket ping (closed after two without a pong), an SSE comment.
    func tick() {
        guard connection.isOpen, !closing else { return }
        switch kind {
        case .webSocket:
            if awaitingPong { missedPongs += 1 }
            if missedPongs >= 2 {
                close(code: .goingAway, reason: "No pong for two ping intervals: the link looks dead.")
                return
            }
            awaitingPong = true
            _ = send(WebSocketWriter.ping())
        case .serverSentEvents:
            _ = send(ServerSentEvent.comment("ping"))
        }
    }

    // MARK: From the client

    private func received(_ bytes: [UInt8]) {
        // An event stream's client has nothing to say; its bytes are dropped.
        guard kind == .webSocket, !closing else { return }
        reader.feed(bytes)
        do {
            while let message = try reader.next(), !closing {
                handle(message)
            }
        } catch {
            close(code: error.code, reason: error.reason)
        }
    }

    private func handle(_ message: WebSocketMessage) {
        switch message {
        case .text(let text):
            act(Array(text.utf8))
        case .binary:
            sendMessage(GatewayMessages.error(id: "null", "Binary messages are not understood; send JSON in text messages."), type: "error")
        case .ping(let payload):
            _ = send(WebSocketWriter.pong(payload))
        case .pong:
            awaitingPong = false
            missedPongs = 0
        case .close(let code, _):
            // Echo the client's code, as RFC 6455 asks, and finish.
            guard connection.isOpen, !closing else { return }
            closing = true
            closedByClient = true
            _ = connection.write(WebSocketWriter.close(code: code))
            connection.closeAfterWriting(within: .seconds(2))
        }
    }

    private func act(_ json: [UInt8]) {
        switch actions.take(now: .now) {
        case .allowed:
            break
        case .refused:
            let id = JSONValue.decode(json).flatMap { value -> String? in
                if case .object(let members) = value, let id = members["id"], id.isScalar { return id.text }
                return nil
            } ?? "null"
            sendMessage(GatewayMessages.error(id: id, "Too many actions: at most \(actions.perSecond) a second; this one was not written."), type: "error")
            return
        case .exceeded:
            close(code: .policyViolation, reason: "More than \(actions.perSecond) actions a second for too long.")
            return
        }
        gateway?.act(json, viewer: viewer) { [weak self] reply in
            self?.sendMessage(reply.json, type: reply.type)
        }
    }
}

/// The gateway's limits on each client.
struct GatewayLimits: Sendable {
    /// The most bytes waiting to be written to one client before it counts as too slow.
    var writeBufferLimit = 1024 * 1024
    /// The longest WebSocket message a client may send (1009 beyond).
    var maximumMessageLength = 64 * 1024
    /// Actions a client may send per second, sustained.
    var actionsPerSecond = 20
}

/// A token bucket for a client's actions: `perSecond` a second with bursts of as many;
/// past that each action is refused, and a client that keeps sending through a whole
/// second's worth of refusals is closed.
struct ActionRate {
    let perSecond: Int
    private var tokens: Double
    private var last: ContinuousClock.Instant?
    private var refusedInARow = 0

    enum Verdict { case allowed, refused, exceeded }

    init(perSecond: Int) {
        self.perSecond = perSecond
        tokens = Double(perSecond)
    }

    mutating func take(now: ContinuousClock.Instant) -> Verdict {
        if let last {
            let elapsed = now - last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(Double(perSecond), tokens + seconds * Double(perSecond))
        }
        last = now
        if tokens >= 1 {
            tokens -= 1
            refusedInARow = 0
            return .allowed
        }
        refusedInARow += 1
        return refusedInARow > perSecond ? .exceeded : .refused
    }
}
