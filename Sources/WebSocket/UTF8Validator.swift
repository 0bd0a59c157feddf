// UTF8Validator: checks UTF-8 a piece at a time, so a text message can be refused at the
// fragment that breaks it and a character may span fragments.

/// An incremental UTF-8 check (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF), fed in any split of the bytes.
struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the current character.
    private var pending = 0
    /// The range the next continuation byte must fall in (narrower after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Whether the bytes so far end on a character boundary.
    var isAtBoundary: Bool { pending == 0 }

    /// Checks `bytes` after those already fed; false as soon as one cannot be UTF-8.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> Bool {
        for byte in bytes {
            if pending > 0 {
                guard byte >= lower && byte <= upper else { return false }
                (lower, upper) = (0x80, 0xBF)
                pending -= 1
                continue
            }
            switch byte {
            case 0x00...0x7F: break
            case 0xC2...0xDF: pending = 1
            case 0xE0: (pending, lower) = (2, 0xA0)
            case 0xE1...0xEC, 0xEE...0xEF: pending = 2
            case 0xED: (pending, upper) = (2, 0x9F)
            case 0xF0: (pending, lower) = (3, 0x90)
            case 0xF1...0xF3: pending = 3
            case 0xF4: (pending, upper) = (3, 0x8F)
            default: return false
            }
        }
        return true
    }

    /// Whether `bytes` on their own are whole, valid UTF-8.
    static func isValid(_ bytes: some Sequence<UInt8>) -> Bool {
        var validator = UTF8Validator()
        return validator.feed(bytes) && validator.isAtBoundary
    }
}
