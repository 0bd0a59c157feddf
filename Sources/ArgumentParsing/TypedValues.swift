// Validating accessors on ParsedArguments: required options, integers and durations.

extension ParsedArguments {
    /// The option's value, or a ``ValidationError`` naming the option (and its environment variable) when absent.
    public func require(_ option: String) throws(ValidationError) -> String {
        if let value = value(option) { return value }
        let spec = options[option]?.option
        var message = "missing required option '--\(option)'"
        if let environment = spec?.environment {
            message += "; pass --\(option) <\(spec?.valueName ?? option)> or set the \(environment) environment variable"
        }
        throw ValidationError(message)
    }

    /// The option's value as an integer, or nil when absent.
    /// Throws when the value is not an integer or lies outside `range`.
    public func integer(_ option: String, in range: ClosedRange<Int>? = nil) throws(ValidationError) -> Int? {
        guard let text = value(option) else { return nil }
        guard let number = Int(text.trimmingWhitespace()) else {
            throw invalid(option, text, expected: "an integer")
        }
        if let range, !range.contains(number) {
            let subject = isSensitive(option) ? "the value" : "value \(number)"
            throw ValidationError(
                "\(subject) for option '--\(option)'\(origin(option)) is out of range; expected an integer from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return number
    }

    /// The option's value as a duration, or nil when absent. Accepts a non-negative number with an
    /// optional unit: `250ms`, `5s`, `2m`, `1h`, `7d`, `1.5s`; a bare number means seconds.
    public func duration(_ option: String) throws(ValidationError) -> Duration? {
        guard let text = value(option) else { return nil }
        guard let duration = DurationText.parse(text) else {
            throw invalid(option, text, expected: "a duration such as 250ms, 5s, 2m or 1h (a bare number means seconds)")
        }
        return duration
    }

    private func isSensitive(_ option: String) -> Bool {
        options[option]?.option.isSensitive ?? false
    }

    /// Describes a value's origin when it did not come from the command line.
    private func origin(_ option: String) -> String {
        switch options[option]?.source {
        case .environment(let variable): " (from environment variable \(variable))"
        case .defaultValue: " (from its default value)"
        default: ""
        }
    }

    private func invalid(_ option: String, _ text: String, expected: String) -> ValidationError {
        if isSensitive(option) {
            return ValidationError("the value for option '--\(option)'\(origin(option)) was rejected (value not shown); expected \(expected)")
        }
        return ValidationError("invalid value '\(text)' for option '--\(option)'\(origin(option)); expected \(expected)")
    }
}

/// Parses human-friendly duration text.
enum DurationText {
    /// Longest accepted duration, in seconds (about 31 years), so nanosecond arithmetic cannot overflow.
    static let maximumSeconds = 1e9

    static func parse(_ raw: String) -> Duration? {
        let text = raw.trimmingWhitespace().lowercased()
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        var number = Substring(text)
        var scale = 1.0
        for unit in units where text.hasSuffix(unit.suffix) {
            number = text.dropLast(unit.suffix.count)
            scale = unit.seconds
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let magnitude = Double(number), magnitude.isFinite
        else { return nil }
        let seconds = magnitude * scale
        guard seconds <= maximumSeconds else { return nil }
        if let whole = Int(number) {
            switch scale {
            case 0.001: return .milliseconds(whole)
            case 1: return .seconds(whole)
            default: return .seconds(whole * Int(scale))
            }
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
