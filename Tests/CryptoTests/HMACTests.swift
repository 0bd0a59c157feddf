// HMAC-SHA256 against every test case of RFC 4231 §4.2–4.8.

import Crypto
import Testing

@Suite("HMAC-SHA256 (RFC 4231)")
struct HMACTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let data: [UInt8]
        let expectedHex: String
        /// Case 5 publishes only the first 128 bits of the code.
        var truncatedToBytes: Int? = nil
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "case 1",
            key: [UInt8](repeating: 0x0b, count: 20),
            data: Array("Hi There".utf8),
            expectedHex: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        Vector(
            name: "case 2 (key shorter than the output)",
            key: Array("Jefe".utf8),
            data: Array("what do ya want for nothing?".utf8),
            expectedHex: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        Vector(
            name: "case 3 (50 bytes of 0xdd)",
            key: [UInt8](repeating: 0xaa, count: 20),
            data: [UInt8](repeating: 0xdd, count: 50),
            expectedHex: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        Vector(
            name: "case 4 (25-byte key)",
            key: Array(1...25),
            data: [UInt8](repeating: 0xcd, count: 50),
            expectedHex: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        Vector(
            name: "case 5 (truncated to 128 bits)",
            key: [UInt8](repeating: 0x0c, count: 20),
            data: Array("Test With Truncation".utf8),
            expectedHex: "a3b6167473100ee06e0c796c2955552b",
            truncatedToBytes: 16
        ),
        Vector(
            name: "case 6 (131-byte key, hashed first)",
            key: [UInt8](repeating: 0xaa, count: 131),
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            expectedHex: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        Vector(
            name: "case 7 (131-byte key, long data)",
            key: [UInt8](repeating: 0xaa, count: 131),
            data: Array(("This is a test using a larger than block-size key and a larger than block-size data. "
                + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
            expectedHex: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ]

    @Test(arguments: vectors)
    func matchesRFC4231(vector: Vector) {
        let code = HMAC.sha256(key: vector.key, message: vector.data)
        #expect(code.count == 32)
        #expect(hex(Array(code.prefix(vector.truncatedToBytes ?? code.count))) == vector.expectedHex)
    }

    @Test func emptyKeyAndMessageGiveTheKnownCode() {
        // HMAC-SHA256("", ""), as Python's hmac computes it.
        #expect(hex(HMAC.sha256(key: [], message: []))
            == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func differentKeysGiveDifferentCodes() {
        let message = Array("payload".utf8)
        #expect(HMAC.sha256(key: [1], message: message) != HMAC.sha256(key: [2], message: message))
    }
}
