// A reply from Redis, copied out of hiredis into plain Swift values.

/// One RESP2 reply: what a Redis command returns.
///
/// Replies are copied out of hiredis immediately, so a `RedisValue` owns its bytes and is
/// freely `Sendable`. Error replies are kept as values here (a pipeline or `EXEC` may mix
/// them with successes); `RedisConnection.send` turns a top-level error into a thrown
/// ``RedisServerError``.
public enum RedisValue: Sendable, Hashable {
    /// A simple string such as `OK` or `PONG`.
    case status(String)
    /// An error reply, e.g. `WRONGTYPE Operation against a key holding the wrong kind of value`.
    case error(RedisServerError)
    /// An integer reply.
    case integer(Int64)
    /// A bulk string: arbitrary bytes, not necessarily UTF-8.
    case bulk([UInt8])
    /// The null bulk string or null array (`GET` of a missing key, `BLPOP` timing out).
    case null
    /// An array reply, possibly nested.
    case array([RedisValue])
}

extension RedisValue {
    /// The reply as text: bulk strings decoded as UTF-8 (invalid sequences repaired),
    /// statuses as they are, integers in decimal; `nil` for null, arrays and errors.
    public var string: String? {
        switch self {
        case .status(let text): return text
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .integer(let value): return String(value)
        case .null, .array, .error: return nil
        }
    }

    /// The reply as bytes; `nil` for null, arrays and errors.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): return bytes
        case .status(let text): return Array(text.utf8)
        case .integer(let value): return Array(String(value).utf8)
        case .null, .array, .error: return nil
        }
    }

    /// The reply as an integer: integer replies, and bulk or status replies holding a decimal.
    public var int: Int? {
        switch self {
        case .integer(let value): return Int(value)
        case .bulk, .status: return string.flatMap { Int($0) }
        case .null, .array, .error: return nil
        }
    }

    /// The elements of an array reply; `nil` for anything else.
    public var array: [RedisValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// Whether this is the null reply.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The error, when this is an error reply.
    public var serverError: RedisServerError? {
        if case .error(let error) = self { return error }
        return nil
    }

    /// Returns the value, or throws it when it is an error reply.
    /// - Throws: ``RedisServerError`` for an error reply.
    public func orThrow() throws(RedisServerError) -> RedisValue {
        if case .error(let error) = self { throw error }
        return self
    }

    /// A flat array of field/value pairs (`HGETALL`, `CONFIG GET`, stream entry fields) as a
    /// dictionary of strings; `nil` if this is not an array of even length.
    public var stringPairs: [String: String]? {
        guard let elements = array, elements.count % 2 == 0 else { return nil }
        var result: [String: String] = [:]
        result.reserveCapacity(elements.count / 2)
        var index = 0
        while index < elements.count {
            if let key = elements[index].string { result[key] = elements[index + 1].string ?? "" }
            index += 2
        }
        return result
    }
}

extension RedisValue: CustomStringConvertible {
    /// A `redis-cli`-like rendering, for logs and test failures.
    public var description: String {
        switch self {
        case .status(let text): return text
        case .error(let error): return "(error) \(error.message)"
        case .integer(let value): return "(integer) \(value)"
        case .bulk(let bytes): return "\"\(String(decoding: bytes, as: UTF8.self))\""
        case .null: return "(nil)"
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
