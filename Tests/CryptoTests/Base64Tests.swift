// Base64 and base64url: RFC 4648 §10 vectors, round trips, and what decoding refuses.

import Crypto
import Testing

@Suite("Base64")
struct Base64Tests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func standardMatchesRFC4648(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
    }

    @Test func webSocketAcceptKeyFromRFC6455() {
        // RFC 6455 §1.3: base64(SHA-1(key + GUID)).
        let key = "dGhlIHNhbXBsZSBub25jZQ==" + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        #expect(Base64.encode(Digest.sha1(Array(key.utf8))) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"),
        ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func urlSafeDropsPadding(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func urlSafeUsesDashAndUnderscore() {
        // 0xfb 0xff 0xbf is "+/+/" in the standard alphabet.
        #expect(Base64.encode([0xfb, 0xff, 0xbf]) == "+/+/")
        #expect(Base64URL.encode([0xfb, 0xff, 0xbf]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xfb, 0xff, 0xbf])
    }

    @Test func urlSafeRoundTripsEveryLength() {
        for length in 0...70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let encoded = Base64URL.encode(bytes)
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
            #expect(Base64URL.decode(encoded) == bytes, "length \(length)")
        }
    }

    @Test func urlSafeRoundTripsRandomBytes() {
        for _ in 0..<100 {
            let bytes = SecureRandom.bytes(count: Int.random(in: 0...64))
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    @Test(arguments: [
        "Zg==",     // padding
        "Zm9v+w",   // standard alphabet
        "Zm9v/w",
        "Zm 9v",    // whitespace
        "Zm9v\n",
        "Z",        // impossible length
        "Zh",       // non-zero unused bits ("Zg" is the one spelling of "f")
        "Zm9vYmF=",
        "Zm9vYmÉ",  // non-ASCII
    ])
    func urlSafeRefusesNonCanonicalText(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
