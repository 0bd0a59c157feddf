// What a failed TLS connection means, in a sentence a person can act on.
import CTLS
import Glibc

/// Turns OpenSSL's verification results and alerts into errors that say what happened and
/// what to do: an unknown CA, a certificate for another name, an expired one, a server that
/// does not speak TLS, a server that wants a client certificate. No message holds a secret:
/// they name the server, the host and the files, never their contents.
struct TLSFailureDiagnosis {
    /// The server as the messages name it (`host:port`).
    let server: String
    let host: String
    let settings: RedisTLSConfiguration

    private var flagAdvice: String { "--redis-tls-cert-file and --redis-tls-key-file (REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE)" }

    /// The error of a handshake that OpenSSL ended with `error` (`SSL_get_error`).
    func handshakeFailure(ssl: OpaquePointer, error: Int32, systemError: Int32) -> RedisClientError {
        let verification = SSL_get_verify_result(ssl)
        if settings.verifiesServer, verification != X509_V_OK {
            return certificateRefused(Int32(verification))
        }
        let code = ERR_peek_error()
        if sb_tls_certificate_was_requested(ssl) == 1, let refusal = clientCertificateMissing.refusal {
            return failure(refusal.message, advice: refusal.advice)
        }
        if error == SSL_ERROR_SYSCALL && code == 0 {
            if systemError != 0 {
                return failure("The TLS handshake with Redis at \(server) broke: \(String(cString: strerror(systemError))).",
                               advice: "Check that the server is reachable and running.")
            }
            return closedDuringHandshake
        }
        if let refusal = refusal(code: code) { return failure(refusal.message, advice: refusal.advice) }
        if sb_tls_error_reason(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING { return closedDuringHandshake }
        return failure("The TLS handshake with Redis at \(server) failed: \(reasonText(code)).",
                       advice: "Check the server's TLS settings (tls-port, tls-protocols, tls-ciphers) and its log.")
    }

    /// The error of a handshake that did not finish within the connect timeout.
    func handshakeTimeout(_ timeout: Duration) -> RedisClientError {
        failure("Redis at \(server) accepted the connection but did not finish a TLS handshake within the connect timeout (\(timeout.shortDescription)): it does not speak TLS on this port, or it is overloaded.",
                advice: "Use the server's tls-port with rediss:// (a plain-text port takes redis://), or raise --redis-connect-timeout if the server is only slow.")
    }

    /// A TLS failure after the handshake; a refusal by the server (TLS 1.3 servers check a
    /// client certificate after the client has finished its part) keeps its sentence.
    func streamFailure(code: UInt) -> StreamFailure {
        StreamFailure(reason: "TLS error: \(reasonText(code))", refusal: refusal(code: code))
    }

    /// The server asked for a client certificate this client does not have, and then ended
    /// the connection.
    var clientCertificateMissing: StreamFailure {
        StreamFailure(reason: "the server requires a client certificate",
                      refusal: ("Redis at \(server) requires a client certificate (tls-auth-clients) and this client has none.",
                                "Give the client certificate and its key with \(flagAdvice)."))
    }

    private var closedDuringHandshake: RedisClientError {
        failure("Redis at \(server) closed the connection during the TLS handshake: it does not speak TLS on this port, or it refused this client (its log says which).",
                advice: "Use the server's tls-port with rediss:// (a plain-text port takes redis://); if it requires client certificates, give them with \(flagAdvice).")
    }

    /// An alert or error that says the server will not talk to this client, if `code` is one.
    private func refusal(code: UInt) -> (message: String, advice: String)? {
        let reason = sb_tls_error_reason(code)
        switch reason {
        case SSL_R_WRONG_VERSION_NUMBER, SSL_R_PACKET_LENGTH_TOO_LONG, SSL_R_RECORD_LENGTH_MISMATCH, SSL_R_HTTP_REQUEST:
            return ("Redis at \(server) does not speak TLS on this port: it answered in plain text (\(reasonText(code))).",
                    "Use the server's tls-port with rediss://, or redis:// for this plain-text port.")
        case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED where settings.certificateFile == nil,
             SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE where settings.certificateFile == nil:
            return clientCertificateMissing.refusal
        case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED, SSL_R_TLSV1_ALERT_UNKNOWN_CA, SSL_R_SSLV3_ALERT_BAD_CERTIFICATE,
             SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED, SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED, SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE,
             SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN, SSL_R_TLSV1_ALERT_ACCESS_DENIED, SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
            return ("Redis at \(server) refused this client's certificate \(settings.certificateFile ?? "") (\(reasonText(code))).",
                    "The server's tls-ca-cert-file must hold the CA that signed this certificate, and the certificate must be valid now and made for client authentication.")
        case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL:
            return ("Redis at \(server) offers only TLS versions older than 1.2, which this client refuses.",
                    "Enable TLS 1.2 or 1.3 on the server (tls-protocols \"TLSv1.2 TLSv1.3\").")
        default:
            return nil
        }
    }

    private func certificateRefused(_ verification: Int32) -> RedisClientError {
        let detail = String(cString: X509_verify_cert_error_string(Int(verification)))
        switch verification {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return failure("Redis at \(server) presented a certificate that is no longer valid: the certificate has expired.",
                           advice: "Renew the server's certificate (tls-cert-file); if it should still be valid, check this machine's clock.")
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return failure("Redis at \(server) presented a certificate that is not valid yet.",
                           advice: "Check this machine's clock, or wait for the certificate's start date.")
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            return failure("Redis at \(server) presented a certificate that does not cover the host name '\(host)' of the URL.",
                           advice: "Connect with a name or address the certificate lists (see them with: openssl s_client -connect \(server) </dev/null | openssl x509 -noout -ext subjectAltName), or reissue the certificate for '\(host)'.")
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
             X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_UNTRUSTED:
            let advice = settings.caFile.map { "The CA file \($0) does not hold the CA that signed it: give the right one with --redis-tls-ca-file (REDIS_TLS_CA_FILE)." }
                ?? "Give the CA certificate that signed it with --redis-tls-ca-file (REDIS_TLS_CA_FILE); without one, the system trust store is used."
            return failure("Redis at \(server) presented a certificate not signed by a CA this client trusts (\(detail)).", advice: advice)
        default:
            return failure("Redis at \(server) presented a certificate that failed verification: \(detail).",
                           advice: "Check the server's certificate (tls-cert-file) and the CA given with --redis-tls-ca-file (REDIS_TLS_CA_FILE).")
        }
    }

    private func reasonText(_ code: UInt) -> String {
        ERR_reason_error_string(code).map { String(cString: $0) } ?? "OpenSSL error \(code)"
    }

    private func failure(_ message: String, advice: String) -> RedisClientError {
        RedisClientError(.connectFailed, message, recoverySuggestion: advice)
    }
}
