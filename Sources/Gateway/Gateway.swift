// The gateway: dashboards' WebSocket and Server-Sent Events streams of their workspace's
// events, their actions written as intake entries, and the team view page, served by a
// worker on a listener of its own.
//
// Threads: one event loop (every socket, every hub, every stream), one Redis thread for
// reads (snapshots, events), one for intake writes, and the feed subscriber's. Redis work
// never runs on the loop; its results come back with `loop.execute`.
import EventLoop
import HTTPEndpoint
import Logging
import Metrics
import Redis
import Switchboard
import Tokens
import WebSocket

/// The gateway's settings.
public struct GatewayConfiguration: Sendable {
    /// The address to listen on (`0.0.0.0`, `127.0.0.1`, `::`).
    public var host: String
    /// The port; 0 lets the system choose.
    public var port: Int
    /// Verifies the workspace tokens.
    public var signer: TokenSigner
    /// The Redis to read and write.
    public var redis: RedisConfiguration
    /// The key layout.
    public var keys: KeySchema
    /// The intake shard count, as the worker's.
    public var intakeShards: Int
    /// The most streams open at once; more are refused with 503.
    public var maximumConnections = 10_000
    /// How often streams are pinged (a WebSocket is closed after two intervals without a pong).
    public var pingInterval: Duration = .seconds(20)
    /// How often the sessions of open streams are heartbeaten: well within the workers'
    /// session TTL (a third of it, at most 20 s).
    public var heartbeatInterval: Duration = .seconds(20)
    /// Per-client limits.
    var limits = GatewayLimits()

    /// Creates a configuration with the default limits.
    public init(host: String, port: Int, signer: TokenSigner, redis: RedisConfiguration, keys: KeySchema, intakeShards: Int) {
        self.host = host
        self.port = port
        self.signer = signer
        self.redis = redis
        self.keys = keys
        self.intakeShards = intakeShards
    }
}

/// A running gateway. `start()` listens; `stop()` closes every stream (its session left to
/// expire, or to be resumed on another worker) and ends its threads.
public final class Gateway: @unchecked Sendable {
    // @unchecked: everything mutable below is confined to `loop`'s thread; the rest is Sendable.
    public let configuration: GatewayConfiguration
    let logger: Logger
    let metrics: GatewayMetrics
    private let loop: EventLoop
    private let readThread: RedisThread
    private let writeThread: RedisThread
    private let reader: GatewayReader
    let writer: IntakeWriter
    private var server: HTTPServer?
    private var subscriber: RedisSubscriber?

    // Loop-confined.
    private var hubs: [Identifier: WorkspaceHub] = [:]
    private var hubsByChannel: [String: WorkspaceHub] = [:]
    var streams: [ObjectIdentifier: GatewayStream] = [:]
    private var ticker: LoopTimer?
    private var heartbeats: LoopTimer?

    /// Creates a gateway counting in `registry`; nothing runs before ``start()``.
    public init(configuration: GatewayConfiguration, logger: Logger, registry: MetricsRegistry) throws {
        self.configuration = configuration
        self.logger = logger
        metrics = GatewayMetrics(registry: registry)
        loop = try EventLoop(name: "gateway")
        let loop = self.loop
        let onLoop: @Sendable (@escaping @Sendable () -> Void) -> Void = { loop.execute($0) }
        readThread = RedisThread(name: "gateway reads", configuration: Self.redis(configuration.redis, role: "reads"))
        writeThread = RedisThread(name: "gateway writes", configuration: Self.redis(configuration.redis, role: "writes"))
        reader = GatewayReader(thread: readThread, keys: configuration.keys, logger: logger, onLoop: onLoop)
        writer = IntakeWriter(thread: writeThread, keys: configuration.keys, shards: configuration.intakeShards, logger: logger, onLoop: onLoop)
    }

    private static func redis(_ configuration: RedisConfiguration, role: String) -> RedisConfiguration {
        var configuration = configuration
        configuration.clientName = (configuration.clientName ?? "switchboard") + "-gateway-" + role
        return configuration
    }

    /// Listens and starts serving.
    /// - Throws: ``HTTPEndpointError`` when the address cannot be bound, or an
    ///   ``EventLoopError`` when the loop cannot start.
    public func start() throws {
        try loop.start()
        let server = HTTPServer(loop: loop, host: configuration.host, port: configuration.port,
                                maximumBodyLength: configuration.limits.maximumMessageLength) { [weak self] exchange in
            guard let self else { return exchange.respond(HTTPResponse(status: 503, body: "stopping\n")) }
            self.route(exchange)
        }
        do {
            try server.start()
        } catch {
            loop.stop()
            throw error
        }
        self.server = server
        let subscriber = RedisSubscriber(configuration: Self.redis(configuration.redis, role: "feed")) { [weak self] event in
            self?.feed(event)
        }
        self.subscriber = subscriber
        subscriber.start()
        loop.execute { [self] in
            scheduleTick()
            scheduleHeartbeats()
        }
    }

    /// `host:port` (`[host]:port` for IPv6) as bound.
    public var address: String {
        SocketAddress.display(host: SocketAddress.normalized(host: configuration.host), port: server?.boundPort ?? configuration.port)
    }

    /// Closes every stream (1001; no logout: the clients resume their sessions elsewhere, or
    /// they expire), stops listening and ends the threads; also for a gateway never started.
    /// Idempotent.
    public func stop() {
        if let server {
            try? loop.sync {
                ticker?.cancel()
                heartbeats?.cancel()
                let open = Array(streams.values)
                streams.removeAll()
                for stream in open {
                    stream.close(code: .goingAway, reason: "The worker is stopping: reconnect with since=<last version received>.")
                }
                for hub in hubs.values { hub.close() }
                hubs.removeAll()
                hubsByChannel.removeAll()
            }
            server.stop()
            subscriber?.stop()
            self.server = nil
        }
        writeThread.stop()  // what the streams wrote is written first
        readThread.stop()
        loop.stop()
    }

    // MARK: Streams and actions (loop thread)

    /// A stream's connection closed (whoever closed it): its session ends only when the client
    /// said goodbye; otherwise heartbeats stop and it expires unless the client resumes it.
    func streamClosed(_ stream: GatewayStream) {
        guard streams.removeValue(forKey: ObjectIdentifier(stream)) != nil else { return }
        metrics.connections.decrement(labels: ["protocol": stream.kind.label])
        logger.debug("gateway stream closed", metadata: ["protocol": stream.kind.label, "peer": stream.connection.peer,
                                                         "workspace": stream.viewer.workspace.rawValue, "session": stream.session.rawValue])
        if stream.closedByClient { writer.submit([Self.session(.logout, of: stream)]) }
        let workspace = stream.viewer.workspace
        guard let hub = hubs[workspace] else { return }
        hub.remove(stream)
        if hub.isEmpty {
            hub.close()
            hubs[workspace] = nil
            let channel = configuration.keys.feed(workspace: workspace)
            hubsByChannel[channel] = nil
            subscriber?.unsubscribe([channel])
        }
    }

    /// Writes a client's action; `reply` gets what to tell the client.
    func act(_ json: [UInt8], viewer: GatewayViewer, reply: @escaping (ActionReply) -> Void) {
        switch GatewayAction.parse(json, viewer: viewer) {
        case .failure(let refusal):
            metrics.actions.increment(labels: ["outcome": "refused"])
            reply(ActionReply(type: "error", json: GatewayMessages.error(id: refusal.id, refusal.sentence), entry: nil, status: 400))
        case .success(let action):
            writer.submit(action.entry) { [metrics, logger] result in
                switch result {
                case .success(let entry):
                    metrics.actions.increment(labels: ["outcome": "accepted"])
                    reply(ActionReply(type: "accepted", json: GatewayMessages.accepted(id: action.id, entry: entry), entry: entry, status: 202))
                case .failure(let error):
                    metrics.actions.increment(labels: ["outcome": "failed"])
                    logger.error("gateway could not write an action", metadata: ["op": action.entry.command.op, "error": "\(error)"])
                    reply(ActionReply(type: "error", json: GatewayMessages.error(id: action.id, "Redis did not take the action (\(error)); nothing was written, send it again."),
                                      entry: nil, status: 503))
                }
            }
        }
    }

    // MARK: Hubs and the feed

    func hub(for workspace: Identifier) -> WorkspaceHub {
        if let hub = hubs[workspace] { return hub }
        let hub = WorkspaceHub(workspace: workspace, reads: reader) { [loop] delay, work in loop.schedule(after: delay, work) }
        let channel = configuration.keys.feed(workspace: workspace)
        hubs[workspace] = hub
        hubsByChannel[channel] = hub
        subscriber?.subscribe([channel])
        return hub
    }

    /// The feed subscriber's events (its thread): handed to the hubs on the loop.
    private func feed(_ event: RedisSubscriberEvent) {
        switch event {
        case .subscribed(let channels):
            loop.execute { [self] in for channel in channels { hubsByChannel[channel]?.subscribed() } }
        case .message(let message):
            guard let version = Int(message.text) else { return }
            loop.execute { [self] in hubsByChannel[message.channel]?.woke(upTo: version) }
        case .ready:
            loop.execute { [self] in for hub in hubs.values { hub.resubscribed() } }
        case .resumedAfterGap:
            logger.notice("gateway feed subscription resumed; catching up from the events streams")
            loop.execute { [self] in for hub in hubs.values { hub.resubscribed() } }
        case .disconnected(let error):
            logger.error("gateway feed subscription lost; reconnecting", metadata: ["error": "\(error)"])
        @unknown default:
            break
        }
    }

    // MARK: Liveness and sessions

    private func scheduleTick() {
        ticker = loop.schedule(after: configuration.pingInterval) { [weak self] in self?.tick() }
    }

    /// Every ping interval: ping every stream.
    private func tick() {
        for stream in Array(streams.values) { stream.tick() }
        scheduleTick()
    }

    private func scheduleHeartbeats() {
        heartbeats = loop.schedule(after: configuration.heartbeatInterval) { [weak self] in self?.heartbeat() }
    }

    /// Every heartbeat interval: one pipelined heartbeat per open stream's session.
    private func heartbeat() {
        writer.submit(streams.values.filter { $0.connection.isOpen }.map { Self.session(.heartbeat, of: $0) })
        scheduleHeartbeats()
    }

    enum SessionEntry { case login, heartbeat, logout }

    static func session(_ kind: SessionEntry, of stream: GatewayStream) -> IntakeEntry {
        let (agent, session) = (stream.viewer.agent, stream.session)
        let command: IntakeCommand = switch kind {
        case .login: .login(agent: agent, session: session)
        case .heartbeat: .heartbeat(agent: agent, session: session)
        case .logout: .logout(agent: agent, session: session)
        }
        return IntakeEntry(workspace: stream.viewer.workspace, command: command)
    }

}

extension StreamKind {
    /// `websocket` or `sse`, for metrics and logs.
    var label: String { self == .webSocket ? "websocket" : "sse" }
}
