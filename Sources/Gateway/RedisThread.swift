// A Redis connection on an OS thread of its own: the gateway's blocking Redis work never
// runs on the event loop, nor on Swift's cooperative pool.
import Redis

/// One connection and the thread that alone uses it; jobs run in order.
final class RedisThread: Sendable {
    private let thread: DedicatedThread
    private let box: ConnectionBox

    init(name: String, configuration: RedisConfiguration) {
        thread = DedicatedThread(name: name)
        box = ConnectionBox(RedisConnection(configuration: configuration))
    }

    /// Runs `job` with the connection, on the thread, after the jobs queued before it.
    func run(_ job: @escaping @Sendable (RedisConnection) -> Void) {
        let box = self.box
        thread.submit { job(box.connection) }
    }

    /// Lets queued jobs finish, closes the connection and ends the thread.
    func stop() {
        let box = self.box
        thread.submit { box.connection.close() }
        thread.stop()
    }
}

/// Holds a connection only its thread's jobs touch.
// @unchecked: the connection is reached only from jobs run serially on one DedicatedThread.
private final class ConnectionBox: @unchecked Sendable {
    let connection: RedisConnection
    init(_ connection: RedisConnection) { self.connection = connection }
}

/// A value made on the loop thread that travels through another thread and comes back to
/// the loop untouched (a completion handler).
// @unchecked: the value is only used on the loop thread, where it was made.
struct LoopBound<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
