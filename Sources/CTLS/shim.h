// OpenSSL's libssl (Debian's libssl-dev) for TLS to Redis. Switchboard drives the TLS
// connection; OpenSSL does all of the cryptography. The accessors below wrap what OpenSSL
// defines as macros, which Swift cannot call.
#ifndef SWITCHBOARD_TLS_SHIM_H
#define SWITCHBOARD_TLS_SHIM_H

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static inline int sb_tls_set_minimum_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

// Partial writes let a non-blocking writer resume with the rest; a moving buffer lets it
// retry a write from a buffer that has since grown (a Swift array may move).
static inline void sb_tls_set_writer_modes(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

// An encrypted key file must fail to load, never stop a worker to ask for a passphrase on
// its terminal.
static inline int sb_tls_refuse_passphrase(char *buf, int size, int rwflag, void *userdata) {
    (void)buf; (void)size; (void)rwflag; (void)userdata;
    return 0;
}
static inline void sb_tls_never_ask_passphrase(SSL_CTX *ctx) {
    SSL_CTX_set_default_passwd_cb(ctx, sb_tls_refuse_passphrase);
}

// Without auto-retry, SSL_read returns after a record that carries no data (a session ticket)
// instead of blocking for the next one: the idle check and the draining read stay quick on
// a blocking socket.
static inline void sb_tls_return_after_each_record(SSL *ssl) { SSL_clear_mode(ssl, SSL_MODE_AUTO_RETRY); }

static inline int sb_tls_set_server_name_indication(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

// A TLS 1.3 server judges the client's certificate after the client has finished its half of
// the handshake, and a refusal then often arrives as a reset rather than a readable alert. So
// the client notes whether the server asked for a certificate it did not have (OpenSSL calls
// this callback only then) and can say so when the connection breaks before any reply.
static inline int sb_tls_note_certificate_request(SSL *ssl, X509 **certificate, EVP_PKEY **key) {
    (void)certificate; (void)key;
    SSL_set_app_data(ssl, (void *)1);
    return 0;
}
static inline void sb_tls_watch_certificate_requests(SSL_CTX *ctx) {
    SSL_CTX_set_client_cert_cb(ctx, sb_tls_note_certificate_request);
}
static inline int sb_tls_certificate_was_requested(const SSL *ssl) { return SSL_get_app_data(ssl) != NULL; }

static inline int sb_tls_error_reason(unsigned long code) { return ERR_GET_REASON(code); }

#endif
