// How received values are quoted inside rejection sentences. Sentences end up in the dead
// stream and in logs, so a value is escaped (a sentence never breaks a line or hides text
// behind bidi controls) and truncated (a hostile value cannot bloat what is stored).

enum IntakeDisplay {
    /// The most characters of a value shown, not counting the quotes and the ellipsis.
    static let maxCharacters = 80

    /// `text` escaped, truncated and wrapped in single quotes: `'a\nb'`.
    static func quoted(_ text: String) -> String {
        "'" + escaped(text) + "'"
    }

    /// `bytes` decoded leniently (invalid sequences become U+FFFD), then quoted.
    static func quoted(bytes: [UInt8]) -> String {
        quoted(String(decoding: bytes, as: UTF8.self))
    }

    /// `text` with quotes, backslashes and invisible or line-breaking scalars escaped Swift-style,
    /// cut at a character boundary once it would exceed ``maxCharacters`` (marked with "…").
    static func escaped(_ text: String) -> String {
        var result = ""
        var length = 0
        for character in text {
            let piece = escaped(character)
            if length + piece.count > maxCharacters { return result + "…" }
            result += piece
            length += piece.count
        }
        return result
    }

    private static func escaped(_ character: Character) -> String {
        guard character.unicodeScalars.contains(where: needsEscape) else { return String(character) }
        return character.unicodeScalars.map { scalar in
            needsEscape(scalar) ? escaped(scalar) : String(scalar)
        }.joined()
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\\": return "\\\\"
        case "'": return "\\'"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\0": return "\\0"
        default: return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x5C, 0x27: return true                        // backslash, quote
        case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: return true  // bidi controls
        default: break
        }
        switch scalar.properties.generalCategory {
        // Format characters (zero-width space, BOM, soft hyphen…) are invisible too.
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned: return true
        default: return false
        }
    }

    /// "a", "a and b", "a, b and c" (or "or" with `conjunction: "or"`).
    static func list(_ items: [String], conjunction: String = "and") -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items[items.count - 1]
        }
    }

    /// A scalar as "U+000A".
    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
