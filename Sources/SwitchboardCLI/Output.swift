// Writing to standard error, and colour only when a person is watching.
import Foundation

func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}

/// ANSI colours, used only when standard output is a terminal.
enum Terminal {
    static let isInteractive = isatty(STDOUT_FILENO) == 1

    static func paint(_ text: String, _ code: String) -> String {
        isInteractive ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// A coloured dot for a status: green online, yellow busy, amber away, red dnd, grey offline.
    static func dot(for status: String) -> String {
        let code = ["online": "32", "busy": "33", "away": "38;5;214", "dnd": "31"][status] ?? "90"
        return paint("●", code)
    }
}
