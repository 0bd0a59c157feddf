// `switchboard inspect …`: read the current state straight from Redis.
import ArgumentParsing
import Foundation
import Redis
import Switchboard

enum InspectCommand {
    private static let shared = RedisOptions.options + [CommonOptions.workspace, CommonOptions.prefix]

    static let spec = CommandSpec(
        name: "inspect",
        abstract: "Show the current state of agents, read straight from Redis.",
        subcommands: [
            CommandSpec(name: "agent", abstract: "One agent: status, message, since, sessions, routing eligibility.",
                        options: shared, flags: [CommonOptions.json], arguments: [Positional(name: "agent", help: "The agent's id.")]) { arguments in
                let workspace = try CommonOptions.workspace(arguments)
                let agent = try CommonOptions.identifier(arguments.positional("agent"), field: "agent")
                guard let snapshot = try reader(arguments).agent(agent, in: workspace) else {
                    printError("workspace '\(workspace)' has no agent '\(agent)'.")
                    return 1
                }
                print(arguments.flag("json") ? try encode(snapshot) : table([snapshot]))
                return 0
            },
            CommandSpec(name: "agents", abstract: "Every agent of a workspace.", options: shared, flags: [CommonOptions.json]) { arguments in
                let snapshots = try reader(arguments).agents(in: try CommonOptions.workspace(arguments))
                print(arguments.flag("json") ? try encode(snapshots) : table(snapshots))
                return 0
            },
        ]
    )

    private static func reader(_ arguments: ParsedArguments) throws -> PresenceReader {
        let connection = RedisConnection(configuration: try RedisOptions.configuration(from: arguments, clientName: "switchboard-inspect"))
        return PresenceReader(connection: connection, keys: CommonOptions.keys(arguments))
    }

    private static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func table(_ snapshots: [AgentSnapshot]) -> String {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let rows = snapshots.map { agent -> [String] in
            let since = agent.since.map { "\(max(0, now - $0) / 1000)s ago" } ?? "–"
            return [agent.agent, "\(Terminal.dot(for: agent.status)) \(agent.status)", agent.message ?? "", since,
                    String(agent.sessions.count), agent.eligible ? "yes" : "no", agent.capacity.map(String.init) ?? "default",
                    agent.teams.joined(separator: ","), agent.role, agent.reason ?? ""]
        }
        let header = ["AGENT", "STATUS", "MESSAGE", "SINCE", "SESSIONS", "ROUTABLE", "CAPACITY", "TEAMS", "ROLE", "REASON"]
        let visible = { (cell: String) in cell.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression).count }
        let widths = header.indices.map { column in ([header] + rows).map { visible($0[column]) }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { column, cell in cell + String(repeating: " ", count: widths[column] - visible(cell)) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
