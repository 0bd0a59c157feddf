// OpenSSL's client context for one connection: what it trusts, what it presents.
import CTLS
import Glibc

/// An `SSL_CTX` made from ``RedisTLSConfiguration``. A fresh one is made for every
/// connection, so a renewed CA or client certificate on disk is used from the next
/// (re)connect on, without restarting the worker; the few milliseconds it costs are spent
/// only when connecting.
final class TLSClientContext {
    let raw: OpaquePointer

    deinit { SSL_CTX_free(raw) }

    /// - Throws: `.invalidConfiguration` with a sentence when a file cannot be read or the
    ///   key does not belong to the certificate.
    init(_ settings: RedisTLSConfiguration) throws(RedisClientError) {
        guard let raw = SSL_CTX_new(TLS_client_method()) else {
            throw RedisClientError(.connectFailed, "OpenSSL could not create a TLS context (\(Self.lastOpenSSLError)).",
                                   recoverySuggestion: "The process may be out of memory.")
        }
        self.raw = raw
        guard sb_tls_set_minimum_tls12(raw) == 1 else {
            throw RedisClientError(.connectFailed, "OpenSSL refused TLS 1.2 as the lowest version (\(Self.lastOpenSSLError)).",
                                   recoverySuggestion: "Check the system's OpenSSL configuration.")
        }
        sb_tls_set_writer_modes(raw)
        sb_tls_never_ask_passphrase(raw)
        SSL_CTX_set_verify(raw, settings.verifiesServer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)

        if let caFile = settings.caFile {
            try Self.requireReadable(caFile, what: "TLS CA file", option: "--redis-tls-ca-file")
            guard SSL_CTX_load_verify_locations(raw, caFile, nil) == 1 else {
                throw Self.badFile("The TLS CA file \(caFile) holds no CA certificate OpenSSL can read (\(Self.lastOpenSSLError)).",
                                   advice: "Give a PEM file of CA certificates with --redis-tls-ca-file (REDIS_TLS_CA_FILE).")
            }
        } else if SSL_CTX_set_default_verify_paths(raw) != 1 {
            throw Self.badFile("OpenSSL could not open the system trust store (\(Self.lastOpenSSLError)).",
                               advice: "Install ca-certificates, or give the CA with --redis-tls-ca-file (REDIS_TLS_CA_FILE).")
        }

        switch (settings.certificateFile, settings.keyFile) {
        case (nil, nil):
            sb_tls_watch_certificate_requests(raw)
        case (let certificate?, let key?):
            try Self.requireReadable(certificate, what: "TLS client certificate", option: "--redis-tls-cert-file")
            try Self.requireReadable(key, what: "TLS client key", option: "--redis-tls-key-file")
            guard SSL_CTX_use_certificate_chain_file(raw, certificate) == 1 else {
                throw Self.badFile("The TLS client certificate \(certificate) is not a PEM certificate OpenSSL can read (\(Self.lastOpenSSLError)).",
                                   advice: "Give a PEM certificate (optionally followed by its chain) with --redis-tls-cert-file (REDIS_TLS_CERT_FILE).")
            }
            guard SSL_CTX_use_PrivateKey_file(raw, key, SSL_FILETYPE_PEM) == 1 else {
                if sb_tls_error_reason(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH {
                    ERR_clear_error()
                    throw Self.badFile("The TLS client key \(key) does not belong to the certificate \(certificate).",
                                       advice: "Give the key that was made with that certificate (--redis-tls-key-file, REDIS_TLS_KEY_FILE).")
                }
                throw Self.badFile("The TLS client key \(key) is not a PEM private key OpenSSL can read without a passphrase (\(Self.lastOpenSSLError)).",
                                   advice: "Give an unencrypted PEM key with --redis-tls-key-file (REDIS_TLS_KEY_FILE); decrypt one with: openssl pkey -in key.pem -out plain.pem.")
            }
            guard SSL_CTX_check_private_key(raw) == 1 else {
                throw Self.badFile("The TLS client key \(key) does not belong to the certificate \(certificate).",
                                   advice: "Give the key that was made with that certificate (--redis-tls-key-file, REDIS_TLS_KEY_FILE).")
            }
        case (nil, _?), (_?, nil):
            throw Self.badFile("A TLS client certificate needs both its certificate and its key; only one was given.",
                               advice: "Give both --redis-tls-cert-file and --redis-tls-key-file (REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE).")
        }
    }

    /// OpenSSL's words for the oldest error queued on this thread (and clears the queue).
    static var lastOpenSSLError: String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no detail" }
        return ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)"
    }

    private static func requireReadable(_ path: String, what: String, option: String) throws(RedisClientError) {
        guard access(path, R_OK) != 0 else { return }
        let reason = String(cString: strerror(errno))
        let variable = String(option.dropFirst(2).uppercased().map { $0 == "-" ? "_" : $0 })
        throw badFile("Cannot read the \(what) \(path): \(reason).", advice: "Check the path given with \(option) (\(variable)) and that this user may read it.")
    }

    private static func badFile(_ message: String, advice: String) -> RedisClientError {
        RedisClientError(.invalidConfiguration, message, recoverySuggestion: advice)
    }
}
