// The incremental UTF-8 check against chosen edge cases and against the standard library.

import Testing
@testable import WebSocket

@Suite("UTF-8 validator")
struct UTF8ValidatorTests {
    @Test(arguments: [
        [], [0x00], [0x7F], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],  // U+D7FF
        [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],  // U+10FFFF
    ] as [[UInt8]])
    func acceptsValidSequences(bytes: [UInt8]) {
        #expect(UTF8Validator.isValid(bytes))
    }

    @Test(arguments: [
        [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],  // stray and overlong
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // surrogates
        [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],  // overlong, above U+10FFFF
        [0xC2], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC2, 0x41],  // cut short
    ] as [[UInt8]])
    func refusesInvalidSequences(bytes: [UInt8]) {
        #expect(!UTF8Validator.isValid(bytes))
    }

    @Test func agreesWithTheStandardLibraryInEverySplit() {
        var random = SplitMix64(seed: 6455)
        // Bytes drawn mostly from the interesting lead and continuation ranges.
        let pool: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF]
        for _ in 0 ..< 20_000 {
            let bytes = (0 ..< Int(random.next() % 7)).map { _ in pool[Int(random.next() % UInt64(pool.count))] }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(UTF8Validator.isValid(bytes) == expected, "\(bytes)")
            let cut = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count))
            var validator = UTF8Validator()
            let split = validator.feed(bytes[..<cut]) && validator.feed(bytes[cut...]) && validator.isAtBoundary
            #expect(split == expected, "\(bytes) cut at \(cut)")
        }
    }
}

/// A small seeded generator, so a failure can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
