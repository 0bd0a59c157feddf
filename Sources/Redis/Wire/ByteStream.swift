// The I/O under the Redis protocol: a byte stream, plain or TLS, that can read without
// waiting or wait for a reply within a timeout.
import Glibc

/// What a read or write on a stream achieved.
enum StreamProgress {
    /// This many bytes moved (more than zero).
    case moved(Int)
    /// Nothing moved now; wait until the socket is ready for this and try again. A TLS
    /// stream may need to read in order to write, or the other way round.
    case wouldBlock(SocketReadiness)
    /// The peer closed the stream.
    case closed
    /// A waiting read saw nothing before its timeout.
    case timedOut
}

/// What a stream waits for on its socket.
enum SocketReadiness {
    case readable
    case writable

    var pollEvents: Int16 { Int16(self == .readable ? POLLIN : POLLOUT) }
}

/// Why a stream failed: the system's or OpenSSL's words, and, when the failure means the
/// server refused this client at the TLS level, the sentence and advice for a person.
struct StreamFailure: Error {
    let reason: String
    let refusal: (message: String, advice: String)?

    init(reason: String, refusal: (message: String, advice: String)? = nil) {
        self.reason = reason
        self.refusal = refusal
    }

    /// The failure of the last system call.
    static func system(_ code: Int32 = errno) -> StreamFailure { StreamFailure(reason: String(cString: strerror(code))) }
}

/// A connected byte stream. Owned by one thread, like the connection above it.
protocol ByteStream: AnyObject {
    /// The socket, to wait on with `poll`.
    var fileDescriptor: Int32 { get }
    /// Whether bytes already received are buffered inside the stream (TLS records read but
    /// not yet returned), so that waiting on the socket would wait for nothing.
    var hasBufferedInput: Bool { get }
    /// Reads what has arrived, without waiting.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamFailure) -> StreamProgress
    /// Reads, waiting for bytes in a single blocking system call bounded by the wait timeout
    /// (the path of every sequential command). `.wouldBlock(.readable)` before `deadline`
    /// means "call again": a TLS record was not whole or carried no data.
    func readWaiting(into buffer: UnsafeMutableRawBufferPointer, deadline: ContinuousClock.Instant) throws(StreamFailure) -> StreamProgress
    /// Writes what the socket takes (a TLS stream may wait up to the wait timeout).
    func write(_ bytes: UnsafeRawBufferPointer) throws(StreamFailure) -> StreamProgress
    /// How long one blocking receive (or a TLS write) may wait.
    func setWaitTimeout(_ timeout: Duration) throws(StreamFailure)
}

/// Waits until `fd` is ready for `readiness`, or `deadline` passes: true if it is ready
/// (a closed or failed socket counts as ready, so the next call reports it).
func waitUntilReady(_ fd: Int32, for readiness: SocketReadiness, deadline: ContinuousClock.Instant) -> Bool {
    var descriptor = pollfd(fd: fd, events: readiness.pollEvents, revents: 0)
    while true {
        let remaining = deadline - .now
        if remaining <= .zero { return poll(&descriptor, 1, 0) > 0 }
        let ready = poll(&descriptor, 1, Int32(clamping: (remaining + .nanoseconds(999_999)).wholeMilliseconds))
        if ready > 0 { return true }
        if ready < 0 && errno != EINTR { return true }
        // Timed out (checked against the clock above) or interrupted by a signal: wait the rest.
    }
}
