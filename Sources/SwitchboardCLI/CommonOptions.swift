// Options shared by the commands that address a workspace or the key prefix.
import ArgumentParsing
import Redis
import Switchboard

enum CommonOptions {
    static let workspace = Option(name: "workspace", short: "w", valueName: "ID", help: "The workspace.", environment: "SWITCHBOARD_WORKSPACE")
    static let prefix = Option(name: "prefix", valueName: "PREFIX", help: "Prefix of every Switchboard key.", environment: "SWITCHBOARD_PREFIX", defaultValue: "sb")
    static let json = Flag(name: "json", help: "Print JSON instead of text.")

    static func keys(_ arguments: ParsedArguments) -> KeySchema { KeySchema(prefix: arguments.value("prefix") ?? "sb") }

    static func identifier(_ text: String?, field: String) throws -> Identifier {
        guard let text else { throw ValidationError("Missing --\(field).") }
        do {
            return try Identifier.validate(text, field: field)
        } catch {
            throw ValidationError(error.message)
        }
    }

    static func workspace(_ arguments: ParsedArguments) throws -> Identifier {
        guard let value = arguments.value("workspace") else {
            throw ValidationError("Missing --workspace (or SWITCHBOARD_WORKSPACE): which workspace?")
        }
        return try identifier(value, field: "workspace")
    }
}
