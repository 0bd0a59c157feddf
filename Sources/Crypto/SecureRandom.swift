// SecureRandom: unpredictable bytes from libcrypto's CSPRNG (session ids, test secrets).

import CCrypto

/// Cryptographically secure random bytes.
public enum SecureRandom {
    /// `count` bytes from libcrypto's `RAND_bytes`.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes(count:) needs a count of 0 or more")
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        let result = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        // RAND_bytes fails only when the generator cannot be seeded; guessable bytes are worse
        // than stopping.
        precondition(result == 1, "libcrypto's RAND_bytes failed: the random generator is not seeded")
        return bytes
    }
}
