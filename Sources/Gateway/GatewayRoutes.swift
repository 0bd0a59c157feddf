// The gateway's HTTP side: which request is what, who sent it (the token), and opening a
// stream (a WebSocket upgrade, or Server-Sent Events). Runs on the loop thread.
import Crypto
import Foundation
import HTTPEndpoint
import Switchboard
import Tokens
import WebSocket

extension Gateway {
    func route(_ exchange: HTTPExchange) {
        let request = exchange.request
        let path = request.path
        if path == "/app" || path.hasPrefix("/app/") {
            return TeamViewFiles.serve(exchange)
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "v1", parts[2] == "workspaces",
              parts[4] == "events" || parts[4] == "intake" else {
            return refuse(exchange, 404, "No such endpoint: the gateway serves GET /v1/workspaces/<workspace>/events, POST /v1/workspaces/<workspace>/intake and /app/.")
        }
        guard let workspace = Identifier(String(parts[3])) else {
            return refuse(exchange, 404, "No such workspace: '\(parts[3])' is not a workspace id (1 to 64 letters, digits, '.', '_', '@' or '-').")
        }
        let query = Self.query(request.query)
        if parts[4] == "events" {
            guard request.method == "GET" else {
                return refuse(exchange, 405, "The events stream takes GET (a WebSocket upgrade, or Server-Sent Events).", headers: [("Allow", "GET")])
            }
            openStream(exchange, workspace: workspace, query: query)
        } else {
            guard request.method == "POST" else {
                return refuse(exchange, 405, "The intake takes POST with one JSON action as the body.", headers: [("Allow", "POST")])
            }
            guard let viewer = authorize(exchange, workspace: workspace, query: query) else { return }
            act(exchange.body, viewer: viewer) { reply in
                let status = reply.entry != nil ? 202 : reply.status
                exchange.respond(HTTPResponse(status: status, contentType: "application/json", body: Array((reply.json + "\n").utf8)))
            }
        }
    }

    /// The token's viewer, or nil after answering 401 or 403.
    private func authorize(_ exchange: HTTPExchange, workspace: Identifier, query: [String: String]) -> GatewayViewer? {
        var token = query["token"]
        if let header = exchange.request.header("Authorization") {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { token = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        guard let token, !token.isEmpty else {
            refuse(exchange, 401, "No token: send Authorization: Bearer <token>, or ?token=<token> (switchboard token mints one).",
                   headers: [("WWW-Authenticate", "Bearer")])
            return nil
        }
        let claims: WorkspaceClaims
        do {
            claims = try configuration.signer.verify(token, now: Int(Date().timeIntervalSince1970))
        } catch {
            refuse(exchange, 401, error.reason, headers: [("WWW-Authenticate", "Bearer error=\"invalid_token\"")])
            return nil
        }
        guard claims.workspace == workspace.rawValue else {
            refuse(exchange, 403, "This token is for workspace '\(claims.workspace)', not '\(workspace.rawValue)': ask for a token of this workspace.")
            return nil
        }
        guard let agent = Identifier(claims.agent) else {
            refuse(exchange, 401, "The token's sub is not an agent id.")
            return nil
        }
        return GatewayViewer(agent: agent, workspace: workspace, role: claims.role)
    }

    private func openStream(_ exchange: HTTPExchange, workspace: Identifier, query: [String: String]) {
        guard let viewer = authorize(exchange, workspace: workspace, query: query) else { return }
        var resumeAfter: Int?
        // Last-Event-ID wins: an EventSource sends it on every reconnect with the last id it
        // saw, while a `since` in its URL stays what it was when the page opened the stream.
        if let text = exchange.request.header("Last-Event-ID") ?? query["since"] {
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let version = Int(text) else {
                return refuse(exchange, 400, "'since' (or Last-Event-ID) is \(JSONText.quoted(text)); expected the version of the last event received, a whole number.")
            }
            resumeAfter = version
        }
        // A reconnect names the session of the stream it replaces: logging that in again only
        // refreshes it, so a dropped connection does not reset the agent's status.
        var resumedSession: Identifier?
        if let text = query["session"] {
            guard let session = Identifier(text) else {
                return refuse(exchange, 400, "'session' is \(JSONText.quoted(text)); expected the viewer.session of an earlier stream (1 to 64 letters, digits, '.', '_', '@' or '-').")
            }
            resumedSession = session
        }
        guard streams.count < configuration.maximumConnections else {
            return refuse(exchange, 503, "This worker has its maximum of \(configuration.maximumConnections) streams open; try again later or another worker.",
                          headers: [("Retry-After", "5")])
        }
        let kind: StreamKind
        let leftover: [UInt8]
        if WebSocketHandshake.isUpgrade(exchange.request) {
            switch WebSocketHandshake.accept(exchange.request) {
            case .failure(let refusal):
                return refuse(exchange, refusal.status, refusal.reason, headers: refusal.status == 426 ? [("Sec-WebSocket-Version", "13")] : [])
            case .success(let headers):
                kind = .webSocket
                leftover = exchange.switchProtocols(headers: headers)
            }
        } else {
            kind = .serverSentEvents
            leftover = exchange.takeOver()
            _ = exchange.connection.write(Array(Self.eventStreamHead.utf8))
        }
        let connection = exchange.connection
        let session = resumedSession ?? Identifier("gw-" + SecureRandom.bytes(count: 12).map { String(format: "%02x", $0) }.joined())!
        let stream = GatewayStream(kind: kind, connection: connection, viewer: viewer, session: session, resumeAfter: resumeAfter,
                                   gateway: self, limits: configuration.limits)
        streams[ObjectIdentifier(stream)] = stream
        metrics.connections.increment(labels: ["protocol": kind.label])
        logger.debug("gateway stream opened", metadata: ["protocol": kind.label, "peer": connection.peer, "workspace": workspace.rawValue,
                                                         "agent": viewer.agent.rawValue, "session": session.rawValue])
        writer.submit([Self.session(.login, of: stream)])
        hub(for: workspace).add(stream)
        if !leftover.isEmpty { connection.onData?(leftover) }
    }

    /// The head of a Server-Sent Events response: no length, the stream ends when either side closes.
    private static let eventStreamHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n"
        + "X-Accel-Buffering: no\r\n\r\n"

    private func refuse(_ exchange: HTTPExchange, _ status: Int, _ sentence: String, headers: [(name: String, value: String)] = []) {
        metrics.refusals.increment(labels: ["status": String(status)])
        exchange.respond(HTTPResponse(status: status, contentType: "application/json", body: GatewayMessages.refusal(sentence)), extraHeaders: headers)
    }

    /// `?a=1&b=2` as a dictionary, percent-decoded; the first of a repeated name counts.
    static func query(_ text: String?) -> [String: String] {
        var values: [String: String] = [:]
        for pair in (text ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part) }
            let name = decode(parts[0])
            if values[name] == nil { values[name] = parts.count == 2 ? decode(parts[1]) : "" }
        }
        return values
    }
}
