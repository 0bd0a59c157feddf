// SecureRandom and ConstantTime.

import Crypto
import Testing

@Suite("Random bytes and constant-time comparison")
struct RandomAndComparisonTests {
    @Test func randomBytesHaveTheRequestedCount() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        #expect(SecureRandom.bytes(count: 1).count == 1)
        #expect(SecureRandom.bytes(count: 1000).count == 1000)
    }

    @Test func randomBytesDiffer() {
        // Two 32-byte draws collide with probability 2^-256.
        #expect(SecureRandom.bytes(count: 32) != SecureRandom.bytes(count: 32))
    }

    @Test func equalBytesCompareEqual() {
        let bytes = SecureRandom.bytes(count: 32)
        #expect(ConstantTime.equals(bytes, bytes))
        #expect(ConstantTime.equals([], []))
    }

    @Test func anyDifferingByteMakesThemUnequal() {
        let bytes = SecureRandom.bytes(count: 32)
        for index in bytes.indices {
            var other = bytes
            other[index] ^= 0x01
            #expect(!ConstantTime.equals(bytes, other), "byte \(index)")
        }
    }

    @Test func differentLengthsAreUnequal() {
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equals([], [0]))
    }
}
