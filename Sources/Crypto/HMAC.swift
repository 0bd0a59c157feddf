// HMAC: keyed message authentication from OpenSSL's libcrypto (the gateway's token signatures).

import CCrypto

/// Hash-based message authentication codes (RFC 2104), computed by libcrypto.
public enum HMAC {
    /// The HMAC-SHA256 of `message` under `key`: 32 bytes. Any key length works (RFC 4231).
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var code = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // libcrypto reads an absent key pointer as "reuse the previous key" and wants a real
        // address for empty data, so empty arrays (which may have none) pass a dummy byte.
        let keyBytes = key.isEmpty ? [0] : key
        let messageBytes = message.isEmpty ? [0] : message
        let result = keyBytes.withUnsafeBufferPointer { keyBuffer in
            messageBytes.withUnsafeBufferPointer { messageBuffer in
                code.withUnsafeMutableBufferPointer { codeBuffer in
                    CCrypto.HMAC(
                        EVP_sha256(), keyBuffer.baseAddress, Int32(key.count),
                        messageBuffer.baseAddress, message.count,
                        codeBuffer.baseAddress, &length
                    )
                }
            }
        }
        // Only an allocation failure inside libcrypto gets here; there is no sensible fallback.
        precondition(result != nil, "libcrypto's HMAC failed (out of memory?)")
        return Array(code.prefix(Int(length)))
    }
}
