// LogLine: one event rendered as logfmt or JSON. Keys come in a fixed order (ts, level, label,
// msg, then metadata sorted by key); secrets are masked; escaping keeps every event on one line.

struct LogLine {
    var timestamp: String
    var level: Logger.Level
    var label: String
    var message: String
    var metadata: Logger.Metadata

    static let reservedKeys: Set<String> = ["ts", "level", "label", "msg"]
    static let secretKeyFragments = ["password", "secret", "token"]
    static let mask = "***"

    /// The key/value pairs of the line, in output order.
    var pairs: [(key: String, value: String)] {
        let fixed: [(key: String, value: String)] = [
            ("ts", timestamp), ("level", level.rawValue), ("label", label), ("msg", message),
        ]
        var extra: [(key: String, value: String)] = []
        for (key, value) in metadata {
            // A metadata key may not shadow a fixed one: "msg" is written as "meta.msg",
            // unless the metadata also has "meta.msg" itself, which then wins.
            let written = Self.reservedKeys.contains(key) ? "meta." + key : key
            if written != key && metadata[written] != nil { continue }
            extra.append((written, Self.isSecret(key) ? Self.mask : value))
        }
        extra.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return fixed + extra
    }

    static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretKeyFragments.contains { lowered.contains($0) }
    }

    func rendered(as format: Logger.Format) -> String {
        switch format {
        case .logfmt: return Logfmt.line(pairs)
        case .json: return JSONLine.line(pairs)
        }
    }
}

/// logfmt: `key=value` separated by spaces; a value is quoted when empty or when it holds
/// whitespace, `=`, `"`, `\` or anything escaped, so a reader can split the line unambiguously.
enum Logfmt {
    static func line(_ pairs: [(key: String, value: String)]) -> String {
        pairs.map { key($0.key) + "=" + value($0.value) }.joined(separator: " ")
    }

    /// Keys are never quoted, so characters that would end or split one become `_`.
    static func key(_ key: String) -> String {
        if key.isEmpty { return "_" }
        var result = ""
        for scalar in key.unicodeScalars {
            let breaks = scalar == "=" || scalar == "\"" || scalar.properties.isWhitespace || Escaping.isInvisible(scalar)
            result.unicodeScalars.append(breaks ? "_" : scalar)
        }
        return result
    }

    static func value(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
            scalar == "=" || scalar == "\"" || scalar == "\\" || scalar.properties.isWhitespace || Escaping.isInvisible(scalar)
        }
        return needsQuotes ? "\"" + Escaping.escaped(value) + "\"" : value
    }
}

/// JSON: one object per line, keys in the same order as logfmt.
enum JSONLine {
    static func line(_ pairs: [(key: String, value: String)]) -> String {
        "{" + pairs.map { string($0.key) + ":" + string($0.value) }.joined(separator: ",") + "}"
    }

    static func string(_ text: String) -> String {
        "\"" + Escaping.escaped(text) + "\""
    }
}

/// The escapes shared by quoted logfmt values and JSON strings (JSON's rules, which logfmt
/// readers also accept): `\"`, `\\`, `\n`, `\r`, `\t`, and `\uXXXX` for other invisible scalars.
public enum Escaping {
    /// `text` with JSON's escapes (quotes not added).
    public static func escaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if isInvisible(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// Control characters (C0, DEL, C1) and the Unicode line and paragraph separators: all would
    /// break a line or hide in a terminal. All are in the BMP, so `\uXXXX` covers them.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
