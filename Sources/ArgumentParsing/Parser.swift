// Walks argv: selects subcommands, collects options, flags and positionals, and applies env/default fallbacks.

/// Parses one command line against a root ``CommandSpec``; see ``CommandLineTool/parse(_:arguments:environment:version:)``.
struct Parser {
    let root: CommandSpec
    let environment: [String: String]
    let version: String?

    func parse(_ arguments: [String]) -> ParseOutcome {
        var walk = Walk(tokens: Array(arguments.dropFirst()), root: root, acceptsVersion: version != nil)
        walk.run()
        let specs = walk.levels.map(\.spec)
        let path = specs.map(\.name)
        let help = HelpFormatter(version: version)

        if walk.helpRequested {
            return .exit(code: 0, text: help.render(specs), stream: .standardOutput)
        }
        if walk.versionRequested, let version {
            return .exit(code: 0, text: version + "\n", stream: .standardOutput)
        }
        if let failure = walk.failure {
            return CommandLineTool.usageError(failure.message, path: failure.path)
        }
        guard let command = specs.last, command.run != nil else {
            let text = "error: missing subcommand for '\(path.joined(separator: " "))'\n\n" + help.render(specs)
            return .exit(code: CommandLineTool.usageErrorCode, text: text, stream: .standardError)
        }

        var positionals: [String: [String]] = [:]
        for level in walk.levels {
            switch Self.assign(level.positionals, to: level.spec.arguments) {
            case .success(let assigned): positionals.merge(assigned) { _, deeper in deeper }
            case .failure(let error): return CommandLineTool.usageError(error.message, path: path)
            }
        }
        let parsed = ParsedArguments(
            commandPath: path,
            options: resolveOptions(walk.levels),
            flags: resolveFlags(walk.levels),
            positionals: positionals
        )
        return .run(command: command, arguments: parsed)
    }

    /// Applies command line > environment > default, deeper commands overriding shallower ones.
    private func resolveOptions(_ levels: [Level]) -> [String: ParsedArguments.ResolvedOption] {
        var resolved: [String: ParsedArguments.ResolvedOption] = [:]
        for level in levels {
            for option in level.spec.options {
                let given = level.options[option.name] ?? []
                let entry: ParsedArguments.ResolvedOption
                if !given.isEmpty {
                    entry = .init(option: option, values: given, source: .commandLine)
                } else if let variable = option.environment, let value = environment[variable], !value.isEmpty {
                    entry = .init(option: option, values: [value], source: .environment(variable))
                } else if let value = option.defaultValue {
                    entry = .init(option: option, values: [value], source: .defaultValue)
                } else {
                    entry = .init(option: option, values: [], source: .absent)
                }
                resolved[option.name] = entry
            }
        }
        return resolved
    }

    private func resolveFlags(_ levels: [Level]) -> [String: Bool] {
        var resolved: [String: Bool] = [:]
        for level in levels {
            for flag in level.spec.flags {
                let fromEnvironment = flag.environment
                    .flatMap { environment[$0] }
                    .map { ["1", "true", "yes"].contains($0.trimmingWhitespace().lowercased()) } ?? false
                resolved[flag.name] = level.flags.contains(flag.name) || fromEnvironment
            }
        }
        return resolved
    }

    /// Distributes positional words over the declared arguments in order.
    static func assign(_ words: [String], to arguments: [Positional]) -> Result<[String: [String]], ValidationError> {
        var assigned: [String: [String]] = [:]
        var remaining = words[...]
        for (index, argument) in arguments.enumerated() {
            let requiredAfter = arguments[(index + 1)...].filter { !$0.isOptional }.count
            let surplus = max(0, remaining.count - requiredAfter)
            // Required arguments fill first; optional ones only use words that required ones do not need.
            let minimum = argument.isOptional ? 0 : min(1, remaining.count)
            let take = max(minimum, argument.isVariadic ? surplus : min(1, surplus))
            if take == 0 && !argument.isOptional {
                return .failure(ValidationError("missing required argument '<\(argument.name)>'"))
            }
            assigned[argument.name] = Array(remaining.prefix(take))
            remaining = remaining.dropFirst(take)
        }
        if let extra = remaining.first {
            return .failure(ValidationError("unexpected argument '\(extra)'"))
        }
        return .success(assigned)
    }
}

/// What was collected for one command on the path.
fileprivate struct Level {
    let spec: CommandSpec
    var options: [String: [String]] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []
}

/// The token-by-token state machine. It records the first error but keeps walking,
/// so that a later `--help` still shows help for the deepest command reached.
private struct Walk {
    struct Failure {
        let message: String
        let path: [String]
    }

    let tokens: [String]
    let acceptsVersion: Bool
    var levels: [Level]
    var index = 0
    var optionsEnded = false
    var helpRequested = false
    var versionRequested = false
    var failure: Failure?

    init(tokens: [String], root: CommandSpec, acceptsVersion: Bool) {
        self.tokens = tokens
        self.acceptsVersion = acceptsVersion
        self.levels = [Level(spec: root)]
    }

    private var current: CommandSpec { levels[levels.count - 1].spec }

    mutating func run() {
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            if optionsEnded {
                levels[levels.count - 1].positionals.append(token)
            } else if token == "--" {
                optionsEnded = true
            } else if token == "--help" || token == "-h" {
                helpRequested = true
            } else if token.hasPrefix("--") {
                longOption(token.dropFirst(2))
            } else if token.hasPrefix("-"), token.count > 1, !isNegativeNumber(token) {
                shortOptions(Array(token.dropFirst()))
            } else {
                word(token)
            }
        }
    }

    private mutating func fail(_ message: String) {
        if failure == nil {
            failure = Failure(message: message, path: levels.map(\.spec.name))
        }
    }

    /// A number like `-5` or `-0.5` is a word, unless a short option uses its first character.
    private func isNegativeNumber(_ token: String) -> Bool {
        guard Double(token) != nil, let first = token.dropFirst().first else { return false }
        return current.option(short: first) == nil && current.flag(short: first) == nil
    }

    /// The next token, if it can serve as an option's value (anything but another option; negative numbers are fine).
    private mutating func takeValue() -> String? {
        guard index < tokens.count else { return nil }
        let candidate = tokens[index]
        if candidate.hasPrefix("-"), candidate.count > 1, Double(candidate) == nil { return nil }
        index += 1
        return candidate
    }

    private mutating func record(_ option: Option, _ value: String?) {
        guard let value else {
            return fail("missing value for option '--\(option.name)'; expected <\(option.valueName)>")
        }
        levels[levels.count - 1].options[option.name, default: []].append(value)
    }

    private mutating func longOption(_ body: Substring) {
        let name = String(body.prefix { $0 != "=" })
        let inline = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
        if let option = current.option(named: name) {
            record(option, inline ?? takeValue())
        } else if let flag = current.flag(named: name) {
            if inline != nil { return fail("flag '--\(flag.name)' does not take a value") }
            levels[levels.count - 1].flags.insert(flag.name)
        } else if name == "help" {
            helpRequested = true
        } else if name == "version", inline == nil, acceptsVersion, levels.count == 1 {
            versionRequested = true
        } else {
            fail("unknown option '--\(name)'")
        }
    }

    /// `-j`, grouped flags `-jv`, and short options `-r URL` or `-rURL`.
    private mutating func shortOptions(_ characters: [Character]) {
        for (offset, character) in characters.enumerated() {
            if character == "h" {
                helpRequested = true
            } else if let flag = current.flag(short: character) {
                levels[levels.count - 1].flags.insert(flag.name)
            } else if let option = current.option(short: character) {
                let rest = String(characters[(offset + 1)...])
                return record(option, rest.isEmpty ? takeValue() : rest)
            } else {
                return fail("unknown option '-\(character)'")
            }
        }
    }

    /// A bare word selects a subcommand while one is expected, otherwise it is a positional.
    private mutating func word(_ token: String) {
        let spec = current
        if !spec.subcommands.isEmpty, levels[levels.count - 1].positionals.isEmpty {
            if let subcommand = spec.subcommand(named: token) {
                levels.append(Level(spec: subcommand))
                return
            }
            if spec.arguments.isEmpty {
                let path = levels.map(\.spec.name).joined(separator: " ")
                let known = spec.subcommands.map(\.name).joined(separator: ", ")
                return fail("unknown subcommand '\(token)' for '\(path)'; expected one of: \(known)")
            }
        }
        levels[levels.count - 1].positionals.append(token)
    }
}
