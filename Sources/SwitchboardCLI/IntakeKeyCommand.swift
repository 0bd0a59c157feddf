// `switchboard intake-key`: which intake stream a workspace's entries go to, for producers
// and operators (the same rule as the workers: docs/protocol.md §1).
import ArgumentParsing
import Switchboard

enum IntakeKeyCommand {
    static let spec = CommandSpec(
        name: "intake-key",
        abstract: "Print the intake stream a workspace's entries must be written to.",
        discussion: """
        With one intake shard (the default) every workspace writes to sb:intake. With N shards
        a workspace's entries go to sb:intake:<crc32(workspace) mod N>, the IEEE CRC-32 of
        the workspace id's UTF-8 bytes as zlib computes it. The number of shards is read from
        Redis (sb:config, field intake_shards, recorded by the first worker; 1 when no worker
        has run yet) unless --intake-shards is given, which needs no Redis.
        """,
        options: RedisOptions.options + [
            CommonOptions.workspace, CommonOptions.prefix,
            Option(name: "intake-shards", valueName: "N",
                   help: "Compute the key for this many shards instead of reading the recorded count from Redis.",
                   environment: "SWITCHBOARD_INTAKE_SHARDS"),
        ]
    ) { arguments in
        let workspace = try CommonOptions.workspace(arguments)
        let keys = CommonOptions.keys(arguments)
        let shards: Int
        if let given = try arguments.integer("intake-shards", in: 1...KeySchema.maximumIntakeShards) {
            shards = given
        } else {
            shards = try IntakeShardCount.recorded(keys: keys, on: try RedisOptions.connection(from: arguments, clientName: "switchboard-cli"))
        }
        print(keys.intake(forWorkspace: workspace.rawValue, shards: shards))
        return 0
    }
}
