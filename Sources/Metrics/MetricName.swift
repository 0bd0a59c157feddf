// MetricName: the spelling rules for metric and label names in the Prometheus text format.

enum MetricName {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isValidMetricName(_ name: String) -> Bool {
        isValid(name, allowColon: true)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved for Prometheus itself).
    static func isValidLabelName(_ name: String) -> Bool {
        isValid(name, allowColon: false) && !name.hasPrefix("__")
    }

    private static func isValid(_ name: String, allowColon: Bool) -> Bool {
        guard let first = name.utf8.first else { return false }
        func isLetterOrUnderscore(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || byte == UInt8(ascii: "_") || (allowColon && byte == UInt8(ascii: ":"))
        }
        guard isLetterOrUnderscore(first) else { return false }
        return name.utf8.dropFirst().allSatisfy { byte in
            isLetterOrUnderscore(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
    }

    /// Stops the program with a message when a family's name or label names are misspelled;
    /// names come from source code, so a bad one is a programming error.
    static func validate(metric name: String, labelNames: [String], reserved: Set<String> = []) {
        precondition(isValidMetricName(name), "invalid metric name \"\(name)\": use [a-zA-Z_:][a-zA-Z0-9_:]*")
        for label in labelNames {
            precondition(isValidLabelName(label), "metric \(name): invalid label name \"\(label)\": use [a-zA-Z_][a-zA-Z0-9_]*, not starting with __")
            precondition(!reserved.contains(label), "metric \(name): the label name \"\(label)\" is reserved")
        }
        precondition(Set(labelNames).count == labelNames.count, "metric \(name): label names \(labelNames) repeat a name")
    }
}
