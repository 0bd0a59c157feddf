// Renders help text for one command: overview, usage, arguments, options and subcommands in aligned columns.

/// Builds the `--help` text for the last command of a path.
struct HelpFormatter {
    /// The root's version string; when set, the root's help lists `--version`.
    let version: String?

    /// Labels longer than this push their description onto the next line.
    private let maximumLabelWidth = 30

    /// - Parameter path: the commands from the root to the one being described.
    func render(_ path: [CommandSpec]) -> String {
        guard let command = path.last else { return "" }
        let commandPath = path.map(\.name).joined(separator: " ")
        var sections: [String] = []

        if !command.abstract.isEmpty {
            sections.append("OVERVIEW: \(command.abstract)")
        }
        if let discussion = command.discussion, !discussion.isEmpty {
            sections.append(discussion)
        }
        sections.append("USAGE: \(usage(command, path: commandPath))")

        let arguments = command.arguments.map { ("<\($0.name)>", $0.help) }
        var options = command.options.map { (optionLabel($0), optionHelp($0)) }
        options += command.flags.map { (shortPrefix($0.short) + "--\($0.name)", annotate($0.help, environment: $0.environment)) }
        if version != nil, path.count == 1 {
            options.append(("--version", "Show the version."))
        }
        options.append(("-h, --help", "Show help information."))
        let subcommands = command.subcommands.map { ($0.name, $0.abstract) }

        let width = min(
            maximumLabelWidth,
            (arguments + options + subcommands).map(\.0.count).max() ?? 0
        )
        if !arguments.isEmpty { sections.append(table("ARGUMENTS:", arguments, width: width)) }
        sections.append(table("OPTIONS:", options, width: width))
        if !subcommands.isEmpty { sections.append(table("SUBCOMMANDS:", subcommands, width: width)) }
        if !command.subcommands.isEmpty {
            sections.append("See '\(commandPath) <subcommand> --help' for details about a subcommand.")
        }
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// e.g. `switchboard agent status [options] <agent> <status>` or `switchboard agent <subcommand>`.
    private func usage(_ command: CommandSpec, path: String) -> String {
        var parts = [path]
        if !command.options.isEmpty || !command.flags.isEmpty {
            parts.append("[options]")
        }
        for argument in command.arguments {
            var text = "<\(argument.name)>"
            if argument.isVariadic { text += " ..." }
            if argument.isOptional { text = "[\(text)]" }
            parts.append(text)
        }
        if !command.subcommands.isEmpty {
            parts.append(command.run == nil ? "<subcommand>" : "[<subcommand>]")
        }
        return parts.joined(separator: " ")
    }

    private func shortPrefix(_ short: Character?) -> String {
        short.map { "-\($0), " } ?? ""
    }

    private func optionLabel(_ option: Option) -> String {
        shortPrefix(option.short) + "--\(option.name) <\(option.valueName)>"
    }

    private func optionHelp(_ option: Option) -> String {
        var text = annotate(option.help, environment: option.environment)
        if let value = option.defaultValue, !option.isSensitive {
            text += " (default: \(value))"
        }
        if option.isRepeatable {
            text += " (repeatable)"
        }
        return text.trimmingWhitespace()
    }

    private func annotate(_ help: String, environment: String?) -> String {
        guard let environment else { return help }
        return (help + " (env: \(environment))").trimmingWhitespace()
    }

    private func table(_ title: String, _ rows: [(String, String)], width: Int) -> String {
        var lines = [title]
        for (label, help) in rows {
            if help.isEmpty {
                lines.append("  \(label)")
            } else if label.count > width {
                lines.append("  \(label)")
                lines.append(String(repeating: " ", count: width + 4) + help)
            } else {
                lines.append("  " + label + String(repeating: " ", count: width - label.count + 2) + help)
            }
        }
        return lines.joined(separator: "\n")
    }
}
