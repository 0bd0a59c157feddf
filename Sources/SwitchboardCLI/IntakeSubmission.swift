// Writing one intake entry from the command line, as any producer would: the fields are
// validated exactly as a worker will validate them (exit 64, nothing written, when they
// are wrong), then appended to the intake stream; with --wait the worker's outcome is printed.
import ArgumentParsing
import Redis
import Switchboard

enum IntakeSubmission {
    /// The options of every command that writes an entry.
    static let options: [Option] = RedisOptions.options + [CommonOptions.workspace, CommonOptions.prefix,
        Option(name: "timeout", valueName: "DURATION", help: "With --wait: how long to wait for a worker.", defaultValue: "5s")]
    static let wait = Flag(name: "wait", help: "Wait until a worker has applied the entry and print the outcome.")
    static let overCapacity = Flag(name: "over-capacity", help: "Assign even when the agent has no room left.")

    /// `(name_with_underscores, value)` for each of the named options that was given:
    /// `--preferred-status` becomes the field `preferred_status`.
    static func fields(_ arguments: ParsedArguments, options names: [String]) -> [(String, String)] {
        names.compactMap { name in arguments.value(name).map { (name.replacingOccurrences(of: "-", with: "_"), $0) } }
    }

    /// `over_capacity true` when `--over-capacity` was given.
    static func overCapacityField(_ arguments: ParsedArguments) -> [(String, String)] {
        arguments.flag(overCapacity.name) ? [("over_capacity", "true")] : []
    }

    /// Validates `op` with `fields` (and the workspace) exactly as a worker will, writes the
    /// entry, and with --wait prints the worker's outcome.
    /// - Returns: 0, or 1 when the worker rejected the entry or none answered in time.
    static func submit(_ arguments: ParsedArguments, op: String, _ fields: [(String, String)]) throws -> Int32 {
        let workspace = try CommonOptions.workspace(arguments)
        let waiting = arguments.flag(wait.name)
        let all = [("op", op), ("workspace", workspace.rawValue)] + fields + (waiting ? [("reply", "1")] : [])
        let entry: IntakeEntry
        switch IntakeParser.parse(all.map { (name: $0.0, value: $0.1) }) {
        case .success(let parsed): entry = parsed
        case .failure(let rejection): throw ValidationError(rejection.message)
        }
        let connection = try RedisOptions.connection(from: arguments, clientName: "switchboard-cli")
        let client = try IntakeClient(connection: connection, keys: CommonOptions.keys(arguments))
        let id = try client.submit(entry)
        guard waiting else {
            print(id)
            return 0
        }
        guard let outcome = try client.outcome(of: id, workspace: workspace, timeout: try arguments.duration("timeout") ?? .seconds(5)) else {
            printError("entry \(id) was written but no worker applied it within the timeout: is a worker running (switchboard worker)?")
            return 1
        }
        print(outcome)
        return outcome.contains("\"outcome\":\"rejected\"") ? 1 : 0
    }
}
