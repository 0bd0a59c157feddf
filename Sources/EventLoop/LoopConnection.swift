// LoopConnection: one accepted TCP connection on a loop, with a bounded write buffer.

import CEpoll
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A non-blocking TCP connection owned by a loop; everything on it happens on the loop's thread.
///
/// Bytes read arrive in ``onData``; ``write(_:)`` sends what the socket takes at once and
/// buffers the rest, up to ``writeBufferLimit`` (a peer that does not read cannot make the
/// process hold unbounded memory: `write` refuses, and the caller decides, typically closing).
/// ``onClose`` runs exactly once, whatever closed the connection: the peer (end of stream,
/// reset), an error, ``close()``, ``closeAfterWriting(within:)`` or the loop stopping. After
/// it, every callback is let go (closures that capture the connection cannot leak it).
public final class LoopConnection: @unchecked Sendable {
    /// Its loop.
    public let loop: EventLoop
    /// The peer's address, e.g. `127.0.0.1:5555` or `[::1]:5555`.
    public let peer: String
    /// Called with each chunk read (at most 64 KiB), unless reading is paused.
    public var onData: (([UInt8]) -> Void)?
    /// Called once when the connection has closed, for whatever reason.
    public var onClose: (() -> Void)?
    /// Called when bytes were buffered and the buffer became empty again: a writer that was
    /// refused may write again.
    public var onDrained: (() -> Void)?
    /// The most bytes ``write(_:)`` keeps buffered; 1 MiB unless changed.
    public var writeBufferLimit = 1024 * 1024
    /// Bytes written but not yet taken by the socket.
    public private(set) var bufferedBytes = 0
    /// False once closed.
    public private(set) var isOpen = true

    private let descriptor: Int32
    private var token: UInt64 = 0
    /// Chunks written and not yet sent, from `pending[pendingHead]` on (an index rather than
    /// removeFirst, which would copy the rest for each chunk sent to a slow peer).
    private var pending: [[UInt8]] = []
    private var pendingHead = 0
    /// How much of `pending[pendingHead]` the socket has taken.
    private var pendingOffset = 0
    private var hasPending: Bool { pendingHead < pending.count }
    private var wantsReading = true
    private var watchedEvents: UInt32 = 0
    /// ``closeAfterWriting(within:)`` was called: no more writes, input is discarded.
    private var isClosing = false
    /// The write side is shut (FIN sent): waiting for the peer's end of stream.
    private var isLingering = false
    private var closeDeadline: LoopTimer?

    init(loop: EventLoop, descriptor: Int32, peer: String) {
        self.loop = loop
        self.descriptor = descriptor
        self.peer = peer
        watchedEvents = EPOLLIN.rawValue
        token = loop.register(self, descriptor: descriptor, events: watchedEvents)
    }

    deinit {
        if isOpen { Glibc.close(descriptor) }
    }

    /// Sends `bytes`, buffering what the socket does not take at once. Returns false, queueing
    /// nothing, when the connection is closed or closing, or when the buffer would pass
    /// ``writeBufferLimit``. A failed send closes the connection on the loop's next turn.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        loop.assertOnLoop()
        guard isOpen, !isClosing, bufferedBytes + bytes.count <= writeBufferLimit else { return false }
        guard !bytes.isEmpty else { return true }
        var offset = 0
        if !hasPending {
            let sent = send(bytes, from: 0)
            guard sent >= 0 else {
                // Closing here would run onClose inside the caller's write: do it next turn.
                loop.schedule(after: .zero) { [weak self] in self?.close() }
                return true
            }
            offset = sent
            if offset == bytes.count { return true }
        }
        pending.append(offset == 0 ? bytes : Array(bytes[offset...]))
        bufferedBytes += bytes.count - offset
        updateInterest()
        return true
    }

    /// Closes now, dropping anything still buffered; runs ``onClose``. Idempotent.
    public func close() {
        loop.assertOnLoop()
        guard isOpen else { return }
        isOpen = false
        closeDeadline?.cancel()
        closeDeadline = nil
        loop.unregister(descriptor: descriptor, token: token)
        Glibc.close(descriptor)
        pending = []
        pendingHead = 0
        bufferedBytes = 0
        let onClose = self.onClose
        self.onData = nil
        self.onClose = nil
        self.onDrained = nil
        onClose?()
    }

    /// Sends what is buffered, then ends the stream (FIN) and closes once the peer has ended
    /// its side; input meanwhile is discarded (closing with unread input would reset the
    /// connection and could destroy the answer before the peer read it). At `within` it closes
    /// whatever the state. Later writes are refused.
    public func closeAfterWriting(within limit: Duration) {
        loop.assertOnLoop()
        guard isOpen, !isClosing else { return }
        isClosing = true
        onData = nil
        closeDeadline = loop.schedule(after: limit) { [weak self] in self?.close() }
        if !hasPending { shutDownWriting() }
    }

    /// Stops reading: the kernel buffers, then TCP flow control holds the peer back.
    public func pauseReading() {
        loop.assertOnLoop()
        wantsReading = false
        updateInterest()
    }

    /// Reads again after ``pauseReading()``.
    public func resumeReading() {
        loop.assertOnLoop()
        wantsReading = true
        updateInterest()
    }

    // MARK: - Internals

    /// The number of bytes the socket took (0 when full), or -1 when the connection failed.
    private func send(_ bytes: [UInt8], from offset: Int) -> Int {
        while true {
            let sent = bytes.withUnsafeBytes { buffer in
                Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent >= 0 { return sent }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            default: return -1
            }
        }
    }

    /// Sends buffered bytes until the socket is full or the buffer is empty.
    private func flush() {
        while hasPending {
            let first = pending[pendingHead]
            let sent = send(first, from: pendingOffset)
            guard sent >= 0 else { close(); return }
            if sent == 0 { break }
            pendingOffset += sent
            bufferedBytes -= sent
            if pendingOffset == first.count {
                pendingHead += 1
                pendingOffset = 0
            }
        }
        if !hasPending {
            pending.removeAll(keepingCapacity: pending.count <= 64)
            pendingHead = 0
        } else if pendingHead >= 1024 {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
        guard !hasPending else { return }
        updateInterest()
        if isClosing {
            shutDownWriting()
        } else {
            onDrained?()
        }
    }

    private func shutDownWriting() {
        guard !isLingering else { return }
        isLingering = true
        shutdown(descriptor, Int32(SHUT_WR))
        wantsReading = true  // to see the peer's end of stream
        updateInterest()
    }

    private func readOnce() {
        let buffer = loop.readBuffer
        let received = recv(descriptor, buffer.baseAddress, buffer.count, 0)
        if received > 0 {
            if !isClosing { onData?(Array(buffer[..<received])) }
            return
        }
        if received < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) { return }
        if received == 0 && isClosing && !isLingering {
            // The peer is done sending but may still read: finish writing first.
            wantsReading = false
            updateInterest()
            return
        }
        close()
    }

    private func updateInterest() {
        guard isOpen else { return }
        var events: UInt32 = 0
        if wantsReading { events |= EPOLLIN.rawValue }
        if hasPending { events |= EPOLLOUT.rawValue }
        guard events != watchedEvents else { return }
        watchedEvents = events
        loop.modify(descriptor: descriptor, token: token, events: events)
    }
}

extension LoopConnection: LoopRegistered {
    func handle(events: UInt32) {
        if events & EPOLLERR.rawValue != 0 {
            close()
            return
        }
        if events & EPOLLOUT.rawValue != 0 {
            flush()
        }
        guard isOpen else { return }
        if events & EPOLLIN.rawValue != 0 && wantsReading {
            readOnce()
        } else if events & EPOLLHUP.rawValue != 0 {
            // Both directions are shut (or reset): nothing more can be read or written.
            close()
        }
    }

    func closeForStop() {
        close()
    }
}
