// ConstantTime: comparisons whose duration does not reveal where two secrets differ.

import CCrypto

/// Comparisons for secrets and signatures (libcrypto's `CRYPTO_memcmp`).
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes, in time that depends only on their length.
    /// Arrays of different lengths are unequal (lengths are not secret: signatures have a fixed one).
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { left in
            b.withUnsafeBytes { right in
                CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
            }
        }
    }
}
