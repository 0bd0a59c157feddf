// LoopListener: a listening socket on a loop, accepting connections as they come.

import CEpoll
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A listening socket made by ``EventLoop/listen(host:port:onAccept:)``.
public final class LoopListener: @unchecked Sendable {
    /// The port bound (the system's choice when 0 was asked for).
    public let port: Int
    /// Its loop.
    public let loop: EventLoop

    private let descriptor: Int32
    private var token: UInt64 = 0
    /// Let go of on close: what it captures (a server, say) may hold the listener.
    private var onAccept: ((LoopConnection) -> Void)?
    private var isOpen = true
    private var backOff: LoopTimer?

    /// Connections taken per readiness report before the loop serves others: a burst of
    /// thousands cannot starve the open connections.
    private static let acceptsPerTurn = 128
    /// How long accepting pauses when the process is out of descriptors or memory.
    private static let backOffDelay = Duration.milliseconds(100)

    init(loop: EventLoop, descriptor: Int32, port: Int, onAccept: @escaping (LoopConnection) -> Void) {
        self.loop = loop
        self.descriptor = descriptor
        self.port = port
        self.onAccept = onAccept
        token = loop.register(self, descriptor: descriptor, events: EPOLLIN.rawValue)
    }

    /// Stops listening and closes the socket (connections already accepted stay open).
    /// Idempotent; from another thread it is handed to the loop.
    public func close() {
        guard loop.isCurrent else {
            loop.execute { self.close() }
            return
        }
        guard isOpen else { return }
        isOpen = false
        onAccept = nil
        backOff?.cancel()
        loop.unregister(descriptor: descriptor, token: token)
        Glibc.close(descriptor)
    }

    deinit {
        if isOpen { Glibc.close(descriptor) }
    }
}

extension LoopListener: LoopRegistered {
    func handle(events: UInt32) {
        for _ in 0..<Self.acceptsPerTurn where isOpen {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let connection = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(descriptor, $0, &length) }
            }
            if connection < 0 {
                switch errno {
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    pauseAccepting()
                    return
                default:
                    return  // EAGAIN: nobody else waiting
                }
            }
            // Glibc's module leaves out accept4 (a GNU extension): the flags follow at once.
            _ = fcntl(connection, F_SETFD, fcntl(connection, F_GETFD) | FD_CLOEXEC)
            _ = fcntl(connection, F_SETFL, fcntl(connection, F_GETFL) | O_NONBLOCK)
            // Small messages (events, pings) go out at once rather than waiting to be coalesced.
            var one: Int32 = 1
            setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            onAccept?(LoopConnection(loop: loop, descriptor: connection, peer: SocketAddress.display(storage)))
        }
    }

    /// Out of descriptors or memory: the socket stays readable, so stop watching it for a
    /// moment instead of spinning, then try again.
    private func pauseAccepting() {
        loop.modify(descriptor: descriptor, token: token, events: 0)
        backOff = loop.schedule(after: Self.backOffDelay) { [weak self] in
            guard let self, self.isOpen else { return }
            self.loop.modify(descriptor: self.descriptor, token: self.token, events: EPOLLIN.rawValue)
        }
    }

    func closeForStop() {
        close()
    }
}
