// TLS over a connected socket, driven by us through OpenSSL: the handshake non-blocking
// within the connect deadline, then a blocking socket with timeouts, as for plain text.
import CTLS
import Glibc

/// A TLS client stream over a ``SocketStream``; it owns both.
final class TLSStream: ByteStream {
    let socket: SocketStream
    private let ssl: OpaquePointer
    private let diagnosis: TLSFailureDiagnosis
    /// Set after a fatal TLS error: OpenSSL forbids a shutdown then.
    private var failed = false
    /// Whether application data has arrived: a server's refusal of the client comes before.
    private var receivedData = false

    var fileDescriptor: Int32 { socket.fileDescriptor }
    var hasBufferedInput: Bool { SSL_has_pending(ssl) == 1 }

    private init(socket: SocketStream, ssl: OpaquePointer, diagnosis: TLSFailureDiagnosis) {
        self.socket = socket
        self.ssl = ssl
        self.diagnosis = diagnosis
    }

    deinit {
        // A close_notify, sent once without waiting (a stalled server must not hold the
        // close for a send timeout): the server then logs a clean close.
        if !failed, (try? socket.makeBlocking(false)) != nil { _ = SSL_shutdown(ssl) }
        SSL_free(ssl)
    }

    /// Runs the TLS handshake on `socket` before `deadline`, verifying the server as
    /// `settings` say against `host` (the URL's host).
    /// - Throws: `.connectFailed` with a sentence for each way it fails (see
    ///   ``TLSFailureDiagnosis``), `.invalidConfiguration` for unreadable files.
    static func handshake(over socket: SocketStream, host: String, server: String, settings: RedisTLSConfiguration,
                          deadline: ContinuousClock.Instant, connectTimeout: Duration) throws(RedisClientError) -> TLSStream {
        let context = try TLSClientContext(settings)
        guard let ssl = SSL_new(context.raw) else {
            throw RedisClientError(.connectFailed, "OpenSSL could not start a TLS session (\(TLSClientContext.lastOpenSSLError)).",
                                   recoverySuggestion: "The process may be out of memory.")
        }
        let diagnosis = TLSFailureDiagnosis(server: server, host: host, settings: settings)
        let stream = TLSStream(socket: socket, ssl: ssl, diagnosis: diagnosis)
        SSL_set_fd(ssl, socket.fileDescriptor)
        if settings.verifiesServer {
            if isIPAddress(host) {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
            } else {
                SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
                SSL_set1_host(ssl, host)
            }
        }
        // SNI carries a DNS name only (RFC 6066): a server behind a shared front end picks
        // its certificate by it.
        if !isIPAddress(host) { _ = sb_tls_set_server_name_indication(ssl, host) }

        ERR_clear_error()
        while true {
            let result = SSL_connect(ssl)
            if result == 1 {
                // Blocking from now on, like a plain socket: a reply is waited for inside one
                // SSL_read (measured faster than poll then read).
                sb_tls_return_after_each_record(ssl)
                do { try socket.makeBlocking() } catch {
                    throw RedisClientError(.connectFailed, "Could not set up the socket to Redis at \(server): \(error.reason).",
                                           recoverySuggestion: "Check the system's socket limits.")
                }
                return stream
            }
            let error = SSL_get_error(ssl, result)
            let readiness: SocketReadiness
            switch error {
            case SSL_ERROR_WANT_READ: readiness = .readable
            case SSL_ERROR_WANT_WRITE: readiness = .writable
            default:
                stream.failed = true
                throw diagnosis.handshakeFailure(ssl: ssl, error: error, systemError: errno)
            }
            guard waitUntilReady(socket.fileDescriptor, for: readiness, deadline: deadline) else {
                stream.failed = true
                throw diagnosis.handshakeTimeout(connectTimeout)
            }
        }
    }

    /// Reads what has arrived: nothing when neither OpenSSL nor the socket holds bytes.
    /// (Bytes on the socket may be the start of a record: then SSL_read waits, within the
    /// wait timeout, for its rest, which the server sent with it.)
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamFailure) -> StreamProgress {
        if !hasBufferedInput {
            var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, 0) == 0 { return .wouldBlock(.readable) }
        }
        return try readRecord(into: buffer)
    }

    func readWaiting(into buffer: UnsafeMutableRawBufferPointer, deadline: ContinuousClock.Instant) throws(StreamFailure) -> StreamProgress {
        let progress = try readRecord(into: buffer)
        // On a blocking socket "want read" is a receive that timed out, or a record without
        // data (auto-retry is off): the clock tells which.
        if case .wouldBlock(.readable) = progress, ContinuousClock.now >= deadline { return .timedOut }
        return progress
    }

    /// Waits of the blocking socket: each receive, and each send of a record.
    func setWaitTimeout(_ timeout: Duration) throws(StreamFailure) { try socket.setWaitTimeout(timeout) }

    private func readRecord(into buffer: UnsafeMutableRawBufferPointer) throws(StreamFailure) -> StreamProgress {
        ERR_clear_error()
        let count = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        if count > 0 {
            receivedData = true
            return .moved(Int(count))
        }
        return try progress(afterFailureOf: count)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(StreamFailure) -> StreamProgress {
        ERR_clear_error()
        let count = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        if count > 0 { return .moved(Int(count)) }
        return try progress(afterFailureOf: count)
    }

    private func progress(afterFailureOf result: Int32) throws(StreamFailure) -> StreamProgress {
        let systemError = errno
        let error = SSL_get_error(ssl, result)
        if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE && !receivedData && sb_tls_certificate_was_requested(ssl) == 1 {
            failed = true
            throw diagnosis.clientCertificateMissing
        }
        switch error {
        case SSL_ERROR_WANT_READ: return .wouldBlock(.readable)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(.writable)
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            failed = true
            // No queued error and no errno: the peer closed the socket without a close_notify.
            if ERR_peek_error() == 0 && systemError == 0 { return .closed }
            throw .system(systemError)
        default:
            failed = true
            let code = ERR_peek_error()
            if sb_tls_error_reason(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING { return .closed }
            throw diagnosis.streamFailure(code: code)
        }
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET, host, &buffer) == 1 || inet_pton(AF_INET6, host, &buffer) == 1
    }
}
