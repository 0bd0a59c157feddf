// The async face of a connection: a connection on its own thread.

/// A Redis connection for async code: the blocking hiredis connection lives on a
/// ``DedicatedThread`` and every call hops there, so no call ever blocks a thread of
/// Swift's cooperative pool. Calls run one at a time, in the order they were made.
public final class RedisClient: Sendable {
    private let thread: DedicatedThread
    private let box: ConnectionBox

    /// Creates a client; the connection opens on the first call.
    public init(configuration: RedisConfiguration) {
        thread = DedicatedThread(name: "redis \(configuration.clientName ?? "client")")
        box = ConnectionBox(RedisConnection(configuration: configuration))
    }

    /// Sends one command. See ``RedisConnection/send(_:timeout:)``.
    @discardableResult
    public func send(_ command: RedisCommand, timeout: Duration? = nil) async throws -> RedisValue {
        let box = self.box
        return try await thread.run { try box.connection.send(command, timeout: timeout) }
    }

    /// Sends commands in one round trip. See ``RedisConnection/pipeline(_:)``.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        let box = self.box
        return try await thread.run { try box.connection.pipeline(commands) }
    }

    /// Runs several blocking calls on the connection's thread as one job.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        let box = self.box
        return try await thread.run { try body(box.connection) }
    }

    deinit {
        // A client dropped without close() must not leak its thread and socket.
        let box = self.box
        thread.submit { box.connection.close() }
        thread.requestStop()
    }

    /// Closes the connection and ends its thread.
    public func close() {
        let box = self.box
        thread.submit { box.connection.close() }
        thread.stop()
    }
}

/// Holds a connection that only the client's dedicated thread ever touches.
// @unchecked: the connection is reached only from jobs run serially on `DedicatedThread`.
private final class ConnectionBox: @unchecked Sendable {
    let connection: RedisConnection
    init(_ connection: RedisConnection) { self.connection = connection }
}
