// Declarative descriptions of a command line: commands, their options, flags and positional arguments.

/// An option that takes a value, such as `--redis redis://localhost:6379`, `--redis=URL` or `-r URL`.
///
/// When the option is absent from the command line, the ``environment`` variable is consulted,
/// then the ``defaultValue``. Options are scoped to the command that declares them.
public struct Option: Sendable, Equatable {
    /// The long name without leading dashes, e.g. `"redis"` for `--redis`.
    public var name: String
    /// An optional single-character short name, e.g. `"r"` for `-r`.
    public var short: Character?
    /// The placeholder shown in help, e.g. `"URL"` renders as `--redis <URL>`.
    public var valueName: String
    /// A one-line description shown in help.
    public var help: String
    /// An environment variable consulted when the option is absent, e.g. `"REDIS_URL"`.
    public var environment: String?
    /// The value used when the option is absent from both the command line and the environment.
    public var defaultValue: String?
    /// Whether the option may be given several times; see ``ParsedArguments/values(_:)``.
    public var isRepeatable: Bool

    /// Creates an option. `valueName` defaults to the option's `name`.
    public init(
        name: String,
        short: Character? = nil,
        valueName: String? = nil,
        help: String = "",
        environment: String? = nil,
        defaultValue: String? = nil,
        isRepeatable: Bool = false
    ) {
        self.name = name
        self.short = short
        self.valueName = valueName ?? name
        self.help = help
        self.environment = environment
        self.defaultValue = defaultValue
        self.isRepeatable = isRepeatable
    }

    /// True when the name contains "password" or "secret": such values are never echoed in errors or help.
    public var isSensitive: Bool {
        let lowered = name.lowercased()
        return lowered.contains("password") || lowered.contains("secret")
    }
}

/// A boolean switch such as `--json` or `-j`; it is on when given on the command line,
/// or when its ``environment`` variable is `1`, `true` or `yes` (case-insensitive).
public struct Flag: Sendable, Equatable {
    /// The long name without leading dashes, e.g. `"json"` for `--json`.
    public var name: String
    /// An optional single-character short name, e.g. `"j"` for `-j`.
    public var short: Character?
    /// A one-line description shown in help.
    public var help: String
    /// An environment variable that turns the flag on when set to `1`, `true` or `yes`.
    public var environment: String?

    /// Creates a flag.
    public init(name: String, short: Character? = nil, help: String = "", environment: String? = nil) {
        self.name = name
        self.short = short
        self.help = help
        self.environment = environment
    }
}

/// A positional argument such as `<agent>`. Positionals are filled in declaration order;
/// a variadic positional collects all remaining values and must be declared last.
public struct Positional: Sendable, Equatable {
    /// The name used in help (`<name>`) and for lookup in ``ParsedArguments``.
    public var name: String
    /// A one-line description shown in help.
    public var help: String
    /// Whether the argument may be omitted.
    public var isOptional: Bool
    /// Whether the argument collects every remaining value (at least one unless optional).
    public var isVariadic: Bool

    /// Creates a positional argument.
    public init(name: String, help: String = "", isOptional: Bool = false, isVariadic: Bool = false) {
        self.name = name
        self.help = help
        self.isOptional = isOptional
        self.isVariadic = isVariadic
    }
}

/// A command (or a group of subcommands) with its options, flags, positionals and action.
///
/// `--help`/`-h` is always available and is reserved; the root also understands `--version`
/// when a version string is passed to ``CommandLineTool``.
public struct CommandSpec: Sendable {
    /// The action's signature: receives the parsed arguments and returns the process exit code.
    public typealias Action = @Sendable (ParsedArguments) throws -> Int32

    /// The word that selects this command, e.g. `"status"`; for the root, the executable name.
    public var name: String
    /// A one-line summary shown in help and in the parent's SUBCOMMANDS list.
    public var abstract: String
    /// Optional longer, possibly multi-line, text shown in help after the abstract.
    public var discussion: String?
    /// Options accepted by this command.
    public var options: [Option]
    /// Flags accepted by this command.
    public var flags: [Flag]
    /// Positional arguments accepted by this command, in order.
    public var arguments: [Positional]
    /// Nested commands selected by name.
    public var subcommands: [CommandSpec]
    /// The action, or nil for a pure group (invoking a group without a subcommand
    /// prints its help to standard error and exits with 64).
    public var run: Action?

    /// Creates a command specification.
    public init(
        name: String,
        abstract: String = "",
        discussion: String? = nil,
        options: [Option] = [],
        flags: [Flag] = [],
        arguments: [Positional] = [],
        subcommands: [CommandSpec] = [],
        run: Action? = nil
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.flags = flags
        self.arguments = arguments
        self.subcommands = subcommands
        self.run = run
    }

    func option(named name: String) -> Option? { options.first { $0.name == name } }
    func option(short: Character) -> Option? { options.first { $0.short == short } }
    func flag(named name: String) -> Flag? { flags.first { $0.name == name } }
    func flag(short: Character) -> Flag? { flags.first { $0.short == short } }
    func subcommand(named name: String) -> CommandSpec? { subcommands.first { $0.name == name } }
}
