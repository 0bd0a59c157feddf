// Identifier: the one validated shape shared by every id in the intake contract.
// Ids become parts of Redis keys (`sb:{<workspace>}:agent:<id>`), so the alphabet is
// deliberately narrow: no braces (hash tags), colons (key separators), spaces or globs.

/// A validated id (workspace, agent, session, conversation, team): 1–64 chars of [A-Za-z0-9._@-].
public struct Identifier: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The longest id accepted, in characters (all allowed characters are one byte).
    public static let maxLength = 64

    /// The id text, guaranteed to match the rule above.
    public let rawValue: String

    /// Creates an id, or returns `nil` if `text` is empty, longer than 64 characters, or has a
    /// character outside `[A-Za-z0-9._@-]`.
    public init?(_ text: String) {
        guard Identifier.problem(in: text) == nil else { return nil }
        rawValue = text
    }

    /// Validates `text` as the id in field `field`, throwing a sentence that names the field,
    /// shows the value (escaped, truncated to 80 characters) and states the rule.
    public static func validate(_ text: String, field: String) throws(IntakeRejection) -> Identifier {
        if let problem = problem(in: text) {
            throw IntakeRejection("Field '\(field)' \(problem.describing(text)); expected \(ruleDescription).")
        }
        return Identifier(unchecked: text)
    }

    /// The id text.
    public var description: String { rawValue }

    /// Orders ids by their text, byte for byte (all ids are ASCII).
    public static func < (lhs: Identifier, rhs: Identifier) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    /// The rule in words, for rejection sentences.
    static let ruleDescription =
        "an id of 1 to 64 characters, each a letter, a digit, '.', '_', '@' or '-'"

    init(unchecked text: String) {
        rawValue = text
    }

    /// Why `text` is not an id, or `nil` if it is one.
    static func problem(in text: String) -> IdentifierProblem? {
        if text.isEmpty { return .empty }
        if let bad = text.first(where: { !isAllowed($0) }) { return .invalidCharacter(bad) }
        if text.utf8.count > maxLength { return .tooLong(characters: text.count) }
        return nil
    }

    private static func isAllowed(_ character: Character) -> Bool {
        guard character.utf8.count == 1, let byte = character.utf8.first else { return false }
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

/// What is wrong with a would-be id; turned into words by whoever knows the context.
enum IdentifierProblem: Equatable {
    case empty
    case invalidCharacter(Character)
    case tooLong(characters: Int)

    /// The middle of a sentence after "Field 'x' ", e.g. "is 'a b', which contains ' '".
    func describing(_ text: String) -> String {
        switch self {
        case .empty:
            return "is empty"
        case .invalidCharacter(let character):
            return "is \(IntakeDisplay.quoted(text)), which contains \(IntakeDisplay.quoted(String(character)))"
        case .tooLong(let characters):
            return "is \(characters) characters long (\(IntakeDisplay.quoted(text)))"
        }
    }
}
