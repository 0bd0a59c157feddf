import ChildProcess
import Foundation
import Glibc
import Redis
import Testing
import TestSupport
@testable import Switchboard

/// The library's one publish helper: on a Redis Cluster node broadcasts go out with SPUBLISH
/// (to the workspace's shard only), on a single Redis with PUBLISH (the other suites' subscribers).
@Suite("Broadcasts on a Redis Cluster node")
struct ShardedPubSubTests {
    @Test func broadcastsGoOutAsShardedPubSub() throws {
        // A one-node cluster holding every slot: a cluster node, with no cluster client needed.
        let node = try RedisServerProcess(port: try LoopbackPort.free(), arguments: [
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", String(try LoopbackPort.free()),
            // Alone, a node knows no address of its own to give a cluster client.
            "--cluster-announce-ip", "127.0.0.1",
        ])
        try node.cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        try node.awaitCLI("CLUSTER", "INFO", prints: "cluster_state:ok")

        let schema = KeySchema(prefix: "pubsub")
        let workspace = Identifier("w")!
        let channel = schema.workspace(workspace).statusChannel
        let cli = ["/usr/bin/redis-cli", "/usr/local/bin/redis-cli"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "redis-cli"
        func listen(_ command: String) throws -> (ChildProcess, String) {
            let output = NSTemporaryDirectory() + "sb-\(command.lowercased())-\(UUID().uuidString.prefix(8)).log"
            return (try ChildProcess(executable: cli, arguments: ["-s", node.socketPath, command, channel], outputPath: output), output)
        }
        func printed(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        let (sharded, shardedOutput) = try listen("SSUBSCRIBE")
        let (plain, plainOutput) = try listen("SUBSCRIBE")
        defer { for listener in [sharded, plain] { listener.signal(SIGTERM); _ = listener.waitOrKill(after: .seconds(5)) } }
        #expect(eventually { printed(shardedOutput).contains("ssubscribe") && printed(plainOutput).contains("subscribe") })

        let connection = RedisConnection(configuration: node.configuration())
        connection.librariesLoadedOnConnect = [SwitchboardLibrary.library]
        let applier = IntakeApplier(keys: schema, sessionTTL: .seconds(3600), eventsCap: 1000)
        for (id, command) in [("1-0", IntakeCommand.login(agent: Identifier("a")!, session: Identifier("s")!)),
                              ("2-0", .setStatus(agent: Identifier("a")!, status: .busy, message: nil, actor: nil))] {
            let call = applier.call(for: IntakeEntry(workspace: workspace, command: command), entryID: id)
            #expect(try ScriptOutcome(reply: connection.call(call.function, command: call.command)).kind == .applied)
        }
        #expect(eventually { printed(shardedOutput).contains("smessage") && printed(shardedOutput).contains("\"status\":\"busy\"") },
                "the shard's subscriber got the broadcast: \(printed(shardedOutput))")
        // PUBLISH would have reached both subscribers at once: the plain one got nothing.
        #expect(!printed(plainOutput).contains("\"status\""), "\(printed(plainOutput))")
    }
}
