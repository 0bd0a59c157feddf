// SHA-1 and SHA-256 against the FIPS 180 example messages.

import Crypto
import Testing

@Suite("Digests (FIPS 180)")
struct DigestTests {
    static let twoBlockMessage = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)

    @Test func sha1OfABC() {
        #expect(hex(Digest.sha1(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func sha1OfTwoBlockMessage() {
        #expect(hex(Digest.sha1(Self.twoBlockMessage)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }

    @Test func sha1OfEmptyInput() {
        #expect(hex(Digest.sha1([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    @Test func sha256OfABC() {
        #expect(hex(Digest.sha256(Array("abc".utf8)))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sha256OfTwoBlockMessage() {
        #expect(hex(Digest.sha256(Self.twoBlockMessage))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func sha256OfEmptyInput() {
        #expect(hex(Digest.sha256([]))
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
