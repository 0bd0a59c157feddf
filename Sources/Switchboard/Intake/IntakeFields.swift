// IntakeFields: the raw field/value pairs of one entry, checked for size, UTF-8 and
// duplicates and then looked up by name while remembering which names were used.

/// Decoded fields of one entry, in arrival order, each name once.
struct IntakeFields {
    /// Names in arrival order.
    private(set) var names: [String] = []
    private var values: [String: String] = [:]

    /// Applies the entry-shape rules in the order of the contract: limits, UTF-8, duplicates.
    init(_ raw: [(name: [UInt8], value: [UInt8])]) throws(IntakeRejection) {
        try Self.checkLimits(raw)
        var decoded: [(name: String, value: String)] = []
        decoded.reserveCapacity(raw.count)
        for field in raw {
            guard let name = UTF8Validation.decode(field.name) else {
                let offset = UTF8Validation.firstInvalidOffset(field.name) ?? 0
                throw IntakeRejection(
                    "A field name (\(IntakeDisplay.quoted(bytes: field.name))) is not valid UTF-8 at byte \(offset + 1)"
                        + "; field names and values must be UTF-8 text."
                )
            }
            guard let value = UTF8Validation.decode(field.value) else {
                let offset = UTF8Validation.firstInvalidOffset(field.value) ?? 0
                throw IntakeRejection(
                    "Field \(IntakeDisplay.quoted(name)) is not valid UTF-8 (bad byte 0x\(hex(field.value[offset])) at byte \(offset + 1))"
                        + "; field names and values must be UTF-8 text."
                )
            }
            decoded.append((name, value))
        }
        for (name, value) in decoded {
            if values[name] != nil {
                let times = decoded.filter { $0.name == name }.count
                throw IntakeRejection("Field \(IntakeDisplay.quoted(name)) appears \(times) times; each field may appear only once.")
            }
            names.append(name)
            values[name] = value
        }
    }

    private static func checkLimits(_ raw: [(name: [UInt8], value: [UInt8])]) throws(IntakeRejection) {
        if raw.count > IntakeParser.maxFields {
            throw IntakeRejection("The entry has \(raw.count) fields; at most \(IntakeParser.maxFields) are allowed.")
        }
        for field in raw {
            if field.name.count > IntakeParser.maxFieldNameBytes {
                throw IntakeRejection(
                    "A field name is \(field.name.count) bytes long (\(IntakeDisplay.quoted(bytes: field.name)))"
                        + "; field names may be at most \(IntakeParser.maxFieldNameBytes) bytes."
                )
            }
            if field.value.count > IntakeParser.maxValueBytes {
                throw IntakeRejection(
                    "Field \(IntakeDisplay.quoted(bytes: field.name)) is \(field.value.count) bytes long"
                        + "; values may be at most \(IntakeParser.maxValueBytes) bytes."
                )
            }
        }
    }

    /// The value of `name`, or `nil` if absent.
    subscript(name: String) -> String? {
        values[name]
    }

    /// The value of `name`, or a rejection saying it is missing and why it is needed.
    func required(_ name: String, neededBy purpose: String) throws(IntakeRejection) -> String {
        guard let value = values[name] else {
            throw IntakeRejection("Field '\(name)' is missing; \(purpose).")
        }
        return value
    }

    /// Names present that are not in `allowed`, in arrival order.
    func names(notIn allowed: [String]) -> [String] {
        names.filter { !allowed.contains($0) }
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return byte < 16 ? "0" + digits : digits
}

/// Strict UTF-8 checks (overlong forms, surrogates and truncated sequences are invalid).
enum UTF8Validation {
    /// The text of `bytes`, or `nil` if they are not valid UTF-8.
    static func decode(_ bytes: [UInt8]) -> String? {
        firstInvalidOffset(bytes) == nil ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// The offset of the first byte of the first invalid sequence, or `nil` if all is valid.
    static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
