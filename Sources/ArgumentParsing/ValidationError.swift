// The error type for invalid command-line input; reported as "error: <message>" with exit code 64.

/// A user-facing usage error, such as a missing or malformed option value.
///
/// Thrown by the typed accessors of ``ParsedArguments`` and may be thrown by a command's `run`
/// closure; ``CommandLineTool/main(_:arguments:environment:version:)`` reports it with exit code 64.
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A lower-case sentence describing the problem, without the "error: " prefix.
    public let message: String

    /// Creates an error with the given message.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
