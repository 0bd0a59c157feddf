// One connection's wire: hiredis's formatter and reader over our own socket I/O.
//
// hiredis stays the protocol core: `redisFormatCommandArgv` builds each command and a
// `redisReader` parses replies (both binary-safe, both used by hiredis's own contexts). The
// bytes move over a `ByteStream` we drive, plain or TLS, so both kinds of connection take
// one path: a command is appended, written when flushed, and its reply read with `poll`
// enforcing the timeout. A wire that has failed is never reused: the owner drops it and
// opens a new one.
import CHiredis
import Glibc

/// A connection's protocol state (formatted output not yet written, the reply reader) and
/// its stream. Not thread-safe: one owner, one thread at a time.
final class RedisWire {
    private let stream: any ByteStream
    private let reader: UnsafeMutablePointer<redisReader>
    /// Formatted commands not yet written; `outputStart` bytes of it already were.
    private var output: [UInt8] = []
    private var outputStart = 0
    /// Where received bytes land before hiredis's reader copies them.
    private let inputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)
    /// The command timeout in force: how long one reply (or one write) may take. `.zero`
    /// until ``setTimeout(_:)``, which every owner calls before its first command.
    private var timeout: Duration = .zero

    private init(stream: any ByteStream) {
        self.stream = stream
        reader = redisReaderCreate()
    }

    deinit {
        redisReaderFree(reader)
        inputBuffer.deallocate()
    }

    /// Opens a connection, with a TLS handshake when `tls` is set, all within `timeout`.
    static func connect(to endpoint: RedisConfiguration.Endpoint, timeout: Duration, tls: RedisTLSConfiguration?) throws(RedisClientError) -> RedisWire {
        let deadline = ContinuousClock.now + timeout
        let socket: SocketStream
        do {
            socket = try SocketStream.connect(to: endpoint, deadline: deadline)
        } catch {
            throw RedisClientError(
                .connectFailed, "Could not connect to Redis at \(endpoint): \(error.reason).",
                recoverySuggestion: "Check that redis-server is running there and that REDIS_URL is right.")
        }
        guard let tls else {
            do { try socket.makeBlocking() } catch {
                throw RedisClientError(.connectFailed, "Could not set up the socket to Redis at \(endpoint): \(error.reason).",
                                       recoverySuggestion: "Check the system's socket limits.")
            }
            return RedisWire(stream: socket)
        }
        guard case .tcp(let host, _) = endpoint else {
            throw RedisClientError(.invalidConfiguration, "TLS needs a TCP address; \(endpoint) is a Unix socket.",
                                   recoverySuggestion: "Use unix:// without TLS, or rediss://host:port.")
        }
        return RedisWire(stream: try TLSStream.handshake(over: socket, host: host, server: endpoint.description, settings: tls,
                                                         deadline: deadline, connectTimeout: timeout))
    }

    /// The socket's file descriptor, to wait on with `poll`.
    var fileDescriptor: Int32 { stream.fileDescriptor }

    /// Bytes appended but not yet written to the socket.
    var pendingOutputBytes: Int { output.count - outputStart }

    /// Sets how long a reply or a write may take from now on.
    func setTimeout(_ timeout: Duration) throws(RedisClientError) {
        guard timeout != self.timeout else { return }
        do { try stream.setWaitTimeout(timeout) } catch {
            throw RedisClientError(.connectionLost, "Could not set the Redis connection's timeout: \(error.reason).",
                                   recoverySuggestion: "It will be reopened on the next command.")
        }
        self.timeout = max(timeout, .milliseconds(1))
    }

    /// Enables TCP keepalive (probes after 15 s idle).
    func enableKeepAlive() throws(RedisClientError) {
        let socket = (stream as? SocketStream) ?? (stream as? TLSStream)?.socket
        do { try socket?.enableKeepAlive() } catch {
            throw RedisClientError(.connectFailed, "Could not enable TCP keepalive: \(error.reason).", recoverySuggestion: "Check the system's socket limits.")
        }
    }

    /// Formats a command into the output buffer without writing it (pipelining).
    func append(_ command: RedisCommand) throws(RedisClientError) {
        guard command.count > 0 else {
            throw RedisClientError(.invalidConfiguration, "A command needs at least a name.", recoverySuggestion: "Pass the command name as the first argument.")
        }
        // An empty storage has no base address; hiredis only needs a valid pointer to copy 0 bytes.
        let storage = command.storage.isEmpty ? [0] : command.storage
        var formatted: UnsafeMutablePointer<CChar>?
        let length: Int32 = storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            var argv: [UnsafePointer<CChar>?] = []
            argv.reserveCapacity(command.lengths.count)
            var offset = 0
            for length in command.lengths {
                argv.append((base + offset).assumingMemoryBound(to: CChar.self))
                offset += length
            }
            return command.lengths.withUnsafeBufferPointer { lengths in
                redisFormatCommandArgv(&formatted, Int32(argv.count), &argv, lengths.baseAddress)
            }
        }
        guard length >= 0, let formatted else {
            throw RedisClientError(.protocolError, "Out of memory while formatting \(command.name).", recoverySuggestion: "Reduce the pipeline size.")
        }
        output.append(contentsOf: UnsafeRawBufferPointer(start: formatted, count: Int(length)))
        redisFreeCommand(formatted)
    }

    /// Writes what is buffered and waits until the next reply is read.
    func readReply(for commandName: @autoclosure () -> String) throws(RedisClientError) -> RedisValue {
        if pendingOutputBytes > 0 { try flush(for: commandName()) }
        var deadline: ContinuousClock.Instant?
        while true {
            if let reply = try nextParsedReply(for: commandName()) { return reply }
            let end = deadline ?? (ContinuousClock.now + timeout)
            deadline = end
            let progress: StreamProgress
            do { progress = try stream.readWaiting(into: inputBuffer, deadline: end) } catch { throw broken(commandName(), error, written: true) }
            try take(progress, for: commandName(), deadline: end)
        }
    }

    /// A reply already received, without touching the socket; `nil` if none is complete.
    func bufferedReply() throws(RedisClientError) -> RedisValue? {
        try nextParsedReply(for: "read")
    }

    /// Reads everything the socket has now into the reader, without waiting (call it when
    /// the socket is readable). A closed connection is an error.
    func readAvailable() throws(RedisClientError) {
        var deadline: ContinuousClock.Instant?
        while try receive(for: "read", deadline: &deadline) {}
    }

    /// Writes the whole output buffer, waiting (up to the timeout) while the socket is full.
    func flush() throws(RedisClientError) { try flush(for: "write") }

    private func flush(for commandName: @autoclosure () -> String) throws(RedisClientError) {
        var deadline: ContinuousClock.Instant?
        while outputStart < output.count {
            let attempt = output.withUnsafeBytes { bytes in
                Result { () throws(StreamFailure) in try stream.write(UnsafeRawBufferPointer(rebasing: bytes[outputStart...])) }
            }
            let progress: StreamProgress
            switch attempt {
            case .success(let made): progress = made
            case .failure(let failure): throw broken(commandName(), failure, written: true)
            }
            switch progress {
            case .moved(let count):
                outputStart += count
            case .wouldBlock(let readiness):
                let end = deadline ?? (ContinuousClock.now + timeout)
                deadline = end
                guard waitUntilReady(stream.fileDescriptor, for: readiness, deadline: end) else { throw timedOut(commandName()) }
            case .closed, .timedOut:
                throw RedisClientError(.connectionLost, "The Redis connection broke during \(commandName()): the server closed the connection.",
                                       recoverySuggestion: "It will be reopened on the next command; the command may have run.", commandMayHaveRun: true)
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 1 << 20)
        outputStart = 0
    }

    /// Waits up to `milliseconds` for input (data, or the peer closing); true if some came.
    func waitReadable(milliseconds: Int) -> Bool {
        stream.hasBufferedInput || waitUntilReady(stream.fileDescriptor, for: .readable, deadline: .now + .milliseconds(milliseconds))
    }

    /// True when the server has closed the connection or sent something unasked while the
    /// connection sat idle (`CLIENT KILL`, a Redis restart, an idle timeout). Checked before
    /// a command is written, so a dead idle link is replaced instead of failing the command.
    /// A TLS record that carries no data (a TLS 1.3 session ticket) does not count.
    var isStale: Bool {
        if stream.hasBufferedInput { return true }
        var descriptor = pollfd(fd: stream.fileDescriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) != 0 else { return false }
        guard case .wouldBlock = try? stream.read(into: inputBuffer) else { return true }
        return false
    }

    /// One read into the reader. Returns whether bytes came (false: none waiting now).
    private func receive(for commandName: @autoclosure () -> String, deadline: inout ContinuousClock.Instant?) throws(RedisClientError) -> Bool {
        let progress: StreamProgress
        do { progress = try stream.read(into: inputBuffer) } catch { throw broken(commandName(), error, written: true) }
        if case .wouldBlock(.readable) = progress { return false }
        let end = deadline ?? (ContinuousClock.now + timeout)
        deadline = end
        try take(progress, for: commandName(), deadline: end)
        return true
    }

    /// Feeds what a read brought to the reader, or waits for what TLS needs to go on.
    private func take(_ progress: StreamProgress, for commandName: @autoclosure () -> String, deadline: ContinuousClock.Instant) throws(RedisClientError) {
        switch progress {
        case .moved(let count):
            guard redisReaderFeed(reader, inputBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), count) == REDIS_OK else {
                throw readerFailure(commandName())
            }
        case .wouldBlock(.readable):
            // A TLS record not yet whole: the next waiting read goes on.
            break
        case .wouldBlock(.writable):
            // TLS wants to write (a key update) before it can read: wait for room, then go on.
            guard waitUntilReady(stream.fileDescriptor, for: .writable, deadline: deadline) else { throw timedOut(commandName()) }
        case .timedOut:
            throw timedOut(commandName())
        case .closed:
            throw RedisClientError(.connectionLost, "The Redis connection broke during \(commandName()): the server closed the connection.",
                                   recoverySuggestion: "It will be reopened on the next command; the command may have run.", commandMayHaveRun: true)
        }
    }

    private func nextParsedReply(for commandName: @autoclosure () -> String) throws(RedisClientError) -> RedisValue? {
        var reply: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &reply) == REDIS_OK else { throw readerFailure(commandName()) }
        return reply.map(Self.take)
    }

    private func timedOut(_ command: String) -> RedisClientError {
        RedisClientError(
            .timeout, "Redis did not answer \(command) within its timeout (\(timeout.shortDescription)).",
            recoverySuggestion: "The connection was dropped and will be reopened; the command may have run. Check the server's load (SLOWLOG GET, LATENCY DOCTOR) or raise the command timeout (--redis-command-timeout).",
            commandMayHaveRun: true)
    }

    private func broken(_ command: String, _ failure: StreamFailure, written: Bool) -> RedisClientError {
        if let refusal = failure.refusal {
            return RedisClientError(.connectFailed, refusal.message, recoverySuggestion: refusal.advice, commandMayHaveRun: written)
        }
        return RedisClientError(
            .connectionLost, "The Redis connection broke during \(command): \(failure.reason).",
            recoverySuggestion: "It will be reopened on the next command; the command may have run.", commandMayHaveRun: written)
    }

    private func readerFailure(_ command: String) -> RedisClientError {
        let text = String(cString: sb_reader_errstr(reader))
        return RedisClientError(.protocolError, "Redis sent a reply the client cannot parse (\(text)) during \(command).",
                                recoverySuggestion: "Check that REDIS_URL points at a Redis server and not another service.", commandMayHaveRun: true)
    }

    /// Copies a hiredis reply into a `RedisValue` and frees it.
    private static func take(_ pointer: UnsafeMutableRawPointer) -> RedisValue {
        defer { freeReplyObject(pointer) }
        return convert(pointer.assumingMemoryBound(to: redisReply.self))
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulk(r.len == 0 ? [] : Array(UnsafeRawBufferPointer(start: r.str, count: r.len)))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: UnsafeRawBufferPointer(start: r.str, count: r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(RedisServerError(message: String(decoding: UnsafeRawBufferPointer(start: r.str, count: r.len), as: UTF8.self)))
        case REDIS_REPLY_INTEGER:
            return .integer(r.integer)
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(r.elements)
            for index in 0..<r.elements { elements.append(convert(sb_reply_element(reply, index))) }
            return .array(elements)
        default:
            return .null
        }
    }
}
