// Exposition: the pieces of the Prometheus text format 0.0.4 (escaping, numbers, sample lines).

enum Exposition {
    /// `# HELP` and `# TYPE` lines of a family.
    static func header(name: String, help: String, type: String, into text: inout String) {
        text += "# HELP \(name) \(escapeHelp(help))\n"
        text += "# TYPE \(name) \(type)\n"
    }

    /// One sample line: `name{label="value",…} value`; `extra` (a histogram's `le`) comes last.
    static func sample(
        _ name: String, labelNames: [String], labelValues: [String], extra: (name: String, value: String)? = nil,
        value: String, into text: inout String
    ) {
        text += name
        if !labelNames.isEmpty || extra != nil {
            text += "{"
            var first = true
            for (label, labelValue) in zip(labelNames, labelValues) {
                if !first { text += "," }
                first = false
                text += "\(label)=\"\(escapeLabelValue(labelValue))\""
            }
            if let extra {
                if !first { text += "," }
                text += "\(extra.name)=\"\(escapeLabelValue(extra.value))\""
            }
            text += "}"
        }
        text += " \(value)\n"
    }

    /// A sample value or bucket bound: integral values without a fraction (`3`, not `3.0`),
    /// others in the shortest form that reads back exactly, `+Inf`, `-Inf` and `NaN` as Prometheus spells them.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == value.rounded(.towardZero) && abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }

    /// Help text: backslash and line feed escaped.
    static func escapeHelp(_ text: String) -> String {
        escape(text, quote: false)
    }

    /// A label value: backslash, double quote and line feed escaped.
    static func escapeLabelValue(_ text: String) -> String {
        escape(text, quote: true)
    }

    // Scalars, not Characters: "\r\n" is one Character, and its "\n" must still be escaped.
    private static func escape(_ text: String, quote: Bool) -> String {
        let needsEscaping = text.utf8.contains { byte in
            byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\n") || (quote && byte == UInt8(ascii: "\""))
        }
        guard needsEscaping else { return text }
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped.append(contentsOf: #"\\"#.unicodeScalars)
            case "\n": escaped.append(contentsOf: #"\n"#.unicodeScalars)
            case "\"" where quote: escaped.append(contentsOf: #"\""#.unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}
