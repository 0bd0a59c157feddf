// The one file that touches hiredis pointers.
//
// Responsibilities: open a context, send argument arrays, read replies and copy them into
// Swift values (freeing each reply once), map hiredis failures to `RedisClientError`, and
// free the context. A context that has failed is never reused: the owner drops it and opens
// a new one (hiredis's own rule; `redisReconnect` would also lose the socket options).
import CHiredis
import Glibc

/// A hiredis `redisContext` in blocking mode. Not thread-safe: one owner, one thread at a time.
final class HiredisContext {
    private let raw: UnsafeMutablePointer<redisContext>
    /// The socket timeout in force, named in a timeout error.
    private var timeout: Duration?

    private init(raw: UnsafeMutablePointer<redisContext>) { self.raw = raw }

    deinit { redisFree(raw) }

    /// Opens a blocking connection.
    static func connect(to endpoint: RedisConfiguration.Endpoint, timeout: Duration) throws(RedisClientError) -> HiredisContext {
        let tv = timeval(duration: timeout)
        let pointer: UnsafeMutablePointer<redisContext>?
        switch endpoint {
        case .tcp(let host, let port): pointer = redisConnectWithTimeout(host, Int32(port), tv)
        case .unixSocket(let path): pointer = redisConnectUnixWithTimeout(path, tv)
        case .sentinel:
            throw RedisClientError(.invalidConfiguration, "A Sentinel endpoint is not an address: ask the sentinels for the primary first.",
                                   recoverySuggestion: "Connect through RedisConnection, which resolves it.")
        }
        guard let pointer else {
            throw RedisClientError(.connectFailed, "Could not allocate a Redis connection.", recoverySuggestion: "The process is out of memory.")
        }
        let context = HiredisContext(raw: pointer)
        sb_set_cloexec(sb_context_fd(pointer))
        if sb_context_err(pointer) != 0 {
            throw RedisClientError(
                .connectFailed, "Could not connect to Redis at \(endpoint): \(context.errorText).",
                recoverySuggestion: "Check that redis-server is running there and that REDIS_URL is right.")
        }
        return context
    }

    /// The socket's file descriptor.
    var fileDescriptor: Int32 { sb_context_fd(raw) }

    /// Bytes appended but not yet written to the socket.
    var pendingOutputBytes: Int { sb_pending_output_bytes(raw) }

    /// Sets the send and receive timeout of the socket; `.zero` waits forever.
    func setTimeout(_ timeout: Duration) throws(RedisClientError) {
        // Round up: 0 ms would mean "wait forever" to the socket.
        let milliseconds = timeout <= .zero ? 1 : max(1, (timeout + .nanoseconds(999_999)).wholeMilliseconds)
        if sb_set_timeout_ms(raw, milliseconds) != REDIS_OK {
            throw failure(command: "timeout", written: false)
        }
        self.timeout = timeout
    }

    /// Enables TCP keepalive (hiredis's 15 s interval).
    func enableKeepAlive() throws(RedisClientError) {
        if redisEnableKeepAlive(raw) != REDIS_OK { throw failure(command: "keepalive", written: false) }
    }

    /// Appends a command to the output buffer without writing it (pipelining).
    func append(_ command: RedisCommand) throws(RedisClientError) {
        guard command.count > 0 else {
            throw RedisClientError(.invalidConfiguration, "A command needs at least a name.", recoverySuggestion: "Pass the command name as the first argument.")
        }
        // An empty storage has no base address; hiredis only needs a valid pointer to copy 0 bytes.
        let storage = command.storage.isEmpty ? [0] : command.storage
        let status: Int32 = storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            var argv: [UnsafePointer<CChar>?] = []
            argv.reserveCapacity(command.lengths.count)
            var offset = 0
            for length in command.lengths {
                argv.append((base + offset).assumingMemoryBound(to: CChar.self))
                offset += length
            }
            return command.lengths.withUnsafeBufferPointer { lengths in
                redisAppendCommandArgv(raw, Int32(argv.count), &argv, lengths.baseAddress)
            }
        }
        if status != REDIS_OK { throw failure(command: command.name, written: false) }
    }

    /// Writes what is buffered and blocks until the next reply is read.
    func readReply(for commandName: @autoclosure () -> String) throws(RedisClientError) -> RedisValue {
        var reply: UnsafeMutableRawPointer?
        if redisGetReply(raw, &reply) != REDIS_OK || reply == nil {
            throw failure(command: commandName(), written: true)
        }
        return Self.take(reply!)
    }

    /// A reply already received and buffered, without touching the socket; `nil` if none.
    func bufferedReply() throws(RedisClientError) -> RedisValue? {
        var reply: UnsafeMutableRawPointer?
        if redisGetReplyFromReader(raw, &reply) != REDIS_OK { throw failure(command: "read", written: true) }
        return reply.map(Self.take)
    }

    /// Reads whatever the socket has into hiredis's buffer (call when it is readable).
    func readAvailable() throws(RedisClientError) {
        if redisBufferRead(raw) != REDIS_OK { throw failure(command: "read", written: true) }
    }

    /// Writes the whole output buffer to the socket.
    func flush() throws(RedisClientError) {
        var done: Int32 = 0
        while done == 0 {
            if redisBufferWrite(raw, &done) != REDIS_OK { throw failure(command: "write", written: true) }
        }
    }

    /// Waits up to `milliseconds` for the socket to become readable.
    /// Returns true if it is readable (data or the peer closed it).
    func waitReadable(milliseconds: Int32) -> Bool {
        sb_wait_readable(fileDescriptor, milliseconds) == 1
    }

    /// True when the server has closed the connection or sent something unasked while the
    /// connection sat idle (`CLIENT KILL`, a Redis restart, an idle timeout). Checked before
    /// a command is written, so a dead idle link is replaced instead of failing the command.
    var isStale: Bool { sb_wait_readable(fileDescriptor, 0) != 0 }

    /// hiredis's description of the last error.
    private var errorText: String { String(cString: sb_context_errstr(raw)) }

    /// Maps the context's error to a client error. `written` says whether the command may
    /// already have reached the server.
    private func failure(command: String, written: Bool) -> RedisClientError {
        let code = sb_context_err(raw)
        let text = errorText
        let timedOut = code == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK || text.contains("temporarily unavailable"))
        if timedOut {
            return RedisClientError(
                .timeout, "Redis did not answer \(command) within its timeout\(timeout.map { " (\($0.shortDescription))" } ?? "").",
                recoverySuggestion: "The connection was dropped and will be reopened; the command may have run. Check the server's load (SLOWLOG GET, LATENCY DOCTOR) or raise the command timeout (--redis-command-timeout).",
                commandMayHaveRun: written)
        }
        switch code {
        case REDIS_ERR_PROTOCOL:
            return RedisClientError(.protocolError, "Redis sent a reply the client cannot parse (\(text)) during \(command).",
                                    recoverySuggestion: "Check that REDIS_URL points at a Redis server and not another service.", commandMayHaveRun: written)
        case REDIS_ERR_OOM:
            return RedisClientError(.protocolError, "Out of memory while handling \(command).", recoverySuggestion: "Reduce the pipeline size.", commandMayHaveRun: written)
        default:
            let reason = code == REDIS_ERR_EOF ? "the server closed the connection" : (text.isEmpty ? "an I/O error" : text)
            return RedisClientError(
                .connectionLost, "The Redis connection broke during \(command): \(reason).",
                recoverySuggestion: "It will be reopened on the next command; the command may have run.",
                commandMayHaveRun: written)
        }
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

extension timeval {
    init(duration: Duration) {
        let ms = duration.wholeMilliseconds
        self.init(tv_sec: ms / 1000, tv_usec: (ms % 1000) * 1000)
    }
}
