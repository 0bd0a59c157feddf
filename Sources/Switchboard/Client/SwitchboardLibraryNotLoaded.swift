// A read-only user (the operator) may call the library's read-only functions but not load the
// library: loading is what lets a user replace the code the workers run. When Redis lacks it,
// say who loads it.
import Redis

/// Redis does not hold this release's function library, and the user may not load it.
public struct SwitchboardLibraryNotLoaded: Error, Sendable, CustomStringConvertible {
    /// What Redis refused, with the library's name.
    public let underlying: RedisFunctionLibraryNotLoaded

    /// Wraps the refusal of `FUNCTION LOAD`.
    public init(_ underlying: RedisFunctionLibraryNotLoaded) { self.underlying = underlying }

    public var description: String {
        "The function library \(underlying.library) is not loaded in Redis: start a worker of this release, which loads it, "
            + "or run this command as a user allowed FUNCTION LOAD. (Loading it was refused: \(underlying.refusal.message))"
    }
}
