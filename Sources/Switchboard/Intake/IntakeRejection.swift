// IntakeRejection: why an intake entry was refused, in words for the person who sent it.

/// Why an intake entry was refused; the message goes to `sb:dead` as the `error` field.
public struct IntakeRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// One sentence a person understands, saying what is wrong and what is expected, e.g.
    /// "Field 'status' is 'sleeping'; expected one of online, busy, away, dnd, offline."
    public let message: String

    /// The entry's workspace, set when the `workspace` field itself was valid (so the rejection
    /// can also be reported on that workspace's event stream).
    public let workspace: Identifier?

    /// Creates a rejection with the given sentence.
    public init(_ message: String, workspace: Identifier? = nil) {
        self.message = message
        self.workspace = workspace
    }

    /// The message.
    public var description: String { message }
}
