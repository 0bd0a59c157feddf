// TLS over a connected socket, driven by us through OpenSSL's non-blocking API.
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
        // A close_notify, sent once without waiting: the server then logs a clean close.
        if !failed { _ = SSL_shutdown(ssl) }
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
            if result == 1 { return stream }
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

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamFailure) -> StreamProgress {
        ERR_clear_error()
        let count = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        if count > 0 {
            receivedData = true
            return .moved(Int(count))
        }
        return try progress(afterFailureOf: count)
    }

    func readWaiting(into buffer: UnsafeMutableRawBufferPointer, deadline: ContinuousClock.Instant) throws(StreamFailure) -> StreamProgress {
        // Wait first: right after a request the reply has rarely arrived, and a read that
        // finds nothing would cost a system call for nothing.
        if !hasBufferedInput, !waitUntilReady(fileDescriptor, for: .readable, deadline: deadline) { return .timedOut }
        return try read(into: buffer)
    }

    /// The socket stays non-blocking; waits are bounded by the deadline given to each.
    func setReadTimeout(_ timeout: Duration) throws(StreamFailure) {}

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
