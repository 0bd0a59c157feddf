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

/// Text and JSON renderings shared by the commands that print state.
enum Render {
    /// Pretty, key-sorted JSON.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // One naming convention for the whole public contract: snake_case, as in intake
        // fields, stored hash fields and events (docs/protocol.md, "Field names").
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Left-aligned columns two spaces apart; colour codes do not count towards a cell's width.
    static func table(_ rows: [[String]]) -> String {
        let visible = { (cell: String) in cell.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression).count }
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? visible($0[column]) : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in cell + String(repeating: " ", count: widths[column] - visible(cell)) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    /// Milliseconds since 1970 as now.
    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// `42s ago` (or `in 42s` for a time ahead), or `–` for no time.
    static func ago(_ milliseconds: Int64?, now: Int64 = now()) -> String {
        milliseconds.map { $0 > now ? "in \(($0 - now) / 1000)s" : "\((now - $0) / 1000)s ago" } ?? "–"
    }

    /// `2025-01-02T12:01:02.345Z (42s ago)`, or `–` for no time.
    static func time(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return "–" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)) + " (\(ago(milliseconds)))"
    }
}
