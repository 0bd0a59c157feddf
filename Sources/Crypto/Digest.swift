// Digest: one-shot hashes from OpenSSL's libcrypto (SHA-1 for the WebSocket handshake, SHA-256).

import CCrypto

/// Cryptographic hash functions, computed by libcrypto.
public enum Digest {
    /// The SHA-1 of `bytes`: 20 bytes. Only for protocols that require it (RFC 6455's accept key).
    public static func sha1(_ bytes: [UInt8]) -> [UInt8] {
        digest(bytes, EVP_sha1())
    }

    /// The SHA-256 of `bytes`: 32 bytes.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        digest(bytes, EVP_sha256())
    }

    private static func digest(_ bytes: [UInt8], _ algorithm: OpaquePointer?) -> [UInt8] {
        var hash = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // libcrypto wants a real address even for zero bytes; an empty array may have none.
        let input = bytes.isEmpty ? [0] : bytes
        let result = input.withUnsafeBufferPointer { inputBuffer in
            hash.withUnsafeMutableBufferPointer { output in
                EVP_Digest(inputBuffer.baseAddress, bytes.count, output.baseAddress, &length, algorithm, nil)
            }
        }
        // Only an allocation failure inside libcrypto gets here; there is no sensible fallback.
        precondition(result == 1, "libcrypto's EVP_Digest failed (out of memory?)")
        return Array(hash.prefix(Int(length)))
    }
}
