// `switchboard token`: mints a workspace token for the gateway, for operators, scripts and
// the demo (back ends usually mint their own with a JWT library; docs/gateway.md).
import ArgumentParsing
import Foundation
import Switchboard
import Tokens

enum TokenCommand {
    static let spec = CommandSpec(
        name: "token",
        abstract: "Print a signed workspace token for the gateway (a JWT, HS256).",
        discussion: """
        The token lets its bearer open the workspace's live feed on any worker's gateway and act
        there as the agent, with the role's rights, until it expires. Sign it with the secret
        file the workers were given (their --gateway-secret-file). Prints the token and a
        newline, e.g.:
          switchboard token --workspace acme --agent 42 --role supervisor --ttl 8h \\
            --secret-file /run/secrets/switchboard-gateway
        """,
        options: [
            CommonOptions.workspace,
            Option(name: "agent", valueName: "ID",
                   help: "The agent the token is for (its sub claim): the actor of everything done with it."),
            Option(name: "role", valueName: "ROLE",
                   help: "What the bearer may do: agent, supervisor, admin or owner."),
            Option(name: "ttl", valueName: "DURATION",
                   help: "How long the token is valid, e.g. 90s, 30m, 1h or 7d.", defaultValue: "1h"),
            Option(name: "secret-file", valueName: "PATH",
                   help: "The file holding the gateway's secret (at least 32 bytes; trailing newlines ignored).",
                   environment: "SWITCHBOARD_GATEWAY_SECRET_FILE"),
        ]
    ) { arguments in
        let workspace = try CommonOptions.workspace(arguments)
        let agent = try CommonOptions.identifier(arguments.value("agent"), field: "agent")
        let role = try role(arguments)
        let lifetime = try lifetime(arguments)
        let signer = try TokenSigner(secret: try TokenSigner.loadSecret(fromFile: try arguments.require("secret-file")))
        let now = Int(Date().timeIntervalSince1970)
        let claims = WorkspaceClaims(agent: agent.rawValue, workspace: workspace.rawValue, role: role,
                                     expiresAt: now + lifetime, issuedAt: now)
        print(signer.sign(claims))
        return 0
    }

    private static func role(_ arguments: ParsedArguments) throws -> AgentRole {
        let roles = AgentRole.allCases.map(\.rawValue).joined(separator: ", ")
        guard let text = arguments.value("role") else {
            throw ValidationError("missing required option '--role'; expected one of \(roles)")
        }
        guard let role = AgentRole(rawValue: text) else {
            throw ValidationError("invalid value '\(text)' for option '--role'; expected one of \(roles)")
        }
        return role
    }

    /// The token's lifetime in whole seconds, at least one.
    private static func lifetime(_ arguments: ParsedArguments) throws -> Int {
        let ttl = try arguments.duration("ttl") ?? .zero
        let seconds = Int(ttl.components.seconds)
        guard seconds >= 1 else {
            throw ValidationError("option '--ttl' must be at least 1s; a token that expires at once opens nothing")
        }
        return seconds
    }
}
