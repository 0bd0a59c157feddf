// StatusMessage: the rules for the optional `message` of `agent.status`. Dashboards show it on
// one line next to the agent, so it is short and has no control characters.

enum StatusMessage {
    /// The message to store: `nil` for "" (clears the message), else `text` unchanged.
    static func parse(_ text: String) throws(IntakeRejection) -> String? {
        if text.isEmpty { return nil }
        let length = text.count
        if length > IntakeParser.maxMessageCharacters {
            throw IntakeRejection(
                "Field 'message' is \(length) characters long; expected at most \(IntakeParser.maxMessageCharacters)."
            )
        }
        for (position, character) in text.enumerated() {
            // Line and paragraph separators break the one line too.
            if let control = character.unicodeScalars.first(where: {
                [.control, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory)
            }) {
                throw IntakeRejection(
                    "Field 'message' contains the control character \(IntakeDisplay.codePoint(control)) "
                        + "at character \(position + 1); expected one line of text without control characters "
                        + "(no newlines or tabs)."
                )
            }
        }
        return text
    }
}
