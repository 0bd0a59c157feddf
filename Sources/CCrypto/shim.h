// OpenSSL's libcrypto (Debian's libssl-dev): HMAC, digests, random bytes and constant-time
// comparison for the gateway's tokens and the WebSocket handshake. Switchboard never
// implements cryptography itself.
#ifndef SWITCHBOARD_CRYPTO_SHIM_H
#define SWITCHBOARD_CRYPTO_SHIM_H

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#endif
