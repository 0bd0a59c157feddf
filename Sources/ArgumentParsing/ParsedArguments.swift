// The result of a successful parse: resolved option values, flags and positionals for one command path.

/// Where an option's effective value came from.
public enum ValueSource: Sendable, Equatable {
    /// Given on the command line.
    case commandLine
    /// Read from the named environment variable.
    case environment(String)
    /// The option's declared default value.
    case defaultValue
    /// Not given, not in the environment and without a default.
    case absent
}

/// The values parsed for a command path, with environment and default fallbacks already applied.
///
/// Lookups cover every command on ``commandPath``; when two levels declare the same name,
/// the deeper command wins. Names that were never declared read as absent.
public struct ParsedArguments: Sendable, CustomStringConvertible {
    struct ResolvedOption: Sendable {
        let option: Option
        let values: [String]
        let source: ValueSource
    }

    /// The names of the selected commands from the root, e.g. `["switchboard", "agent", "status"]`.
    public let commandPath: [String]
    let options: [String: ResolvedOption]
    let flags: [String: Bool]
    let positionalValues: [String: [String]]

    init(
        commandPath: [String],
        options: [String: ResolvedOption],
        flags: [String: Bool],
        positionals: [String: [String]]
    ) {
        self.commandPath = commandPath
        self.options = options
        self.flags = flags
        self.positionalValues = positionals
    }

    /// The option's value: the last one given on the command line, else its environment variable, else its default.
    public func value(_ option: String) -> String? {
        options[option]?.values.last
    }

    /// Every value of a repeatable option in command-line order; falls back to the environment
    /// variable or default as a single value.
    public func values(_ option: String) -> [String] {
        options[option]?.values ?? []
    }

    /// Where the option's value came from, or nil if no command on the path declares the option.
    public func source(_ option: String) -> ValueSource? {
        options[option]?.source
    }

    /// Whether the flag was given on the command line or turned on by its environment variable.
    public func flag(_ name: String) -> Bool {
        flags[name] ?? false
    }

    /// The value of a single positional argument, or nil if it was optional and omitted.
    public func positional(_ name: String) -> String? {
        positionalValues[name]?.first
    }

    /// All values of a variadic positional argument (or the single value of a plain one).
    public func positionals(_ name: String) -> [String] {
        positionalValues[name] ?? []
    }

    /// A summary for debugging; values of sensitive options (see ``Option/isSensitive``) are redacted.
    public var description: String {
        let optionText = options.keys.sorted().compactMap { name -> String? in
            guard let resolved = options[name], !resolved.values.isEmpty else { return nil }
            let shown = resolved.option.isSensitive ? ["<redacted>"] : resolved.values
            return "--\(name)=\(shown.joined(separator: ","))"
        }
        let flagText = flags.keys.sorted().filter { flags[$0] == true }.map { "--\($0)" }
        let positionalText = positionalValues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.joined(separator: ","))" }
        let parts = [commandPath.joined(separator: " ")] + optionText + flagText + positionalText
        return parts.joined(separator: " ")
    }
}
