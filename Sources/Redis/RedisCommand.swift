// A command as an argument list: binary-safe, stored flat so sending it costs one buffer.

/// A Redis command: its name and arguments, as bytes.
///
/// Arguments are binary-safe (they may contain `\0` and non-UTF-8 bytes). They are stored
/// back to back in one buffer so a command costs one allocation to build and none to send.
///
/// ```swift
/// let command = RedisCommand("HSET", key, "status", "online")
/// ```
public struct RedisCommand: Sendable, Hashable {
    /// All arguments, back to back.
    private(set) var storage: [UInt8] = []
    /// The length of each argument in `storage`.
    private(set) var lengths: [Int] = []

    /// Creates a command from its name and arguments.
    public init(_ name: String, _ arguments: any RedisArgumentConvertible...) {
        append(name)
        for argument in arguments { argument.append(to: &self) }
    }

    /// Creates a command from its name and an argument array.
    public init(_ name: String, arguments: [any RedisArgumentConvertible]) {
        append(name)
        for argument in arguments { argument.append(to: &self) }
    }

    /// Creates a command whose every argument, the name included, is given as bytes.
    public init(argumentBytes: [[UInt8]]) {
        for argument in argumentBytes { append(argument) }
    }

    /// Appends a text argument (UTF-8).
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { storage.append(contentsOf: $0) }
        lengths.append(text.utf8.count)
    }

    /// Appends a binary argument.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        storage.append(contentsOf: bytes)
        lengths.append(bytes.count)
    }

    /// Appends an integer argument in decimal.
    public mutating func append(_ value: Int) { append(String(value)) }

    /// The number of arguments, the name included.
    public var count: Int { lengths.count }

    /// The arguments as separate byte arrays.
    public var arguments: [[UInt8]] {
        var result: [[UInt8]] = []
        var offset = 0
        for length in lengths {
            result.append(Array(storage[offset..<offset + length]))
            offset += length
        }
        return result
    }

    /// The command name, upper-cased, for logs and errors (arguments may be secret, so only the name).
    public var name: String {
        guard let first = lengths.first else { return "" }
        return String(decoding: storage[0..<first], as: UTF8.self).uppercased()
    }
}

/// A value that can be a Redis command argument.
public protocol RedisArgumentConvertible: Sendable {
    /// Appends this value to a command as one argument.
    func append(to command: inout RedisCommand)
}

extension String: RedisArgumentConvertible {
    public func append(to command: inout RedisCommand) { command.append(self) }
}

extension Substring: RedisArgumentConvertible {
    public func append(to command: inout RedisCommand) { command.append(String(self)) }
}

extension Int: RedisArgumentConvertible {
    public func append(to command: inout RedisCommand) { command.append(self) }
}

extension Array: RedisArgumentConvertible where Element == UInt8 {
    public func append(to command: inout RedisCommand) { command.append(self) }
}

extension RedisCommand: ExpressibleByArrayLiteral {
    /// Creates a command from string literals: `["SET", "key", "value"]`.
    public init(arrayLiteral elements: String...) {
        for element in elements { append(element) }
    }
}
