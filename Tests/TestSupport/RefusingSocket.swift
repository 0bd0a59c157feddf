// Stands where a Redis server that cannot serve would be, and counts who knocks.
import Foundation
import Glibc
import Synchronization

/// A Unix socket that accepts every connection and closes it at once, recording each one:
/// to a client it looks like a Redis server that hangs up (as one at `maxclients` does), so a
/// test can count the client's connection attempts instead of timing it.
///
/// Its accept thread holds it until ``stop()``: call that (a `defer` right after creating one).
public final class RefusingSocket: Sendable {
    public let path: String
    /// One event per accepted (and closed) connection.
    public let attempts = EventRecorder<Date>()
    private let descriptor: Int32
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Listens on `path` (which must not exist).
    public init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket(AF_UNIX) failed: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestSupportError("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
            buffer[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw TestSupportError("could not listen on \(path): \(reason)")
        }
        let thread = Thread { [self] in acceptUntilStopped() }
        thread.start()
    }

    private func acceptUntilStopped() {
        defer { finished.signal() }
        while !stopRequested.load(ordering: .acquiring) {
            // poll with a short timeout, so that stop() is noticed without closing under accept().
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 50) > 0 else { continue }
            let client = accept(descriptor, nil, nil)
            if client >= 0 {
                close(client)
                attempts.record(Date())
            }
        }
    }

    /// Stops accepting, closes the socket and removes its file (so a real server can take the path).
    public func stop() {
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // The accept loop polls every 50 ms; if it has not ended within 5 s, close anyway.
        _ = finished.wait(timeout: .now() + 5)
        close(descriptor)
        unlink(path)
    }
}
