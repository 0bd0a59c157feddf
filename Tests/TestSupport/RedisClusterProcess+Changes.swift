// Changes made to a private cluster while workers use it: a slot moved to another primary
// as `redis-cli --cluster reshard` does it, and who replicates whom, for failover tests.
import Foundation

extension RedisClusterProcess {
    /// The node id of the node on `port`.
    public func nodeID(port: Int) throws -> String {
        guard let node = node(port: port) else { throw TestSupportError("no node on port \(port)") }
        return try cli(["CLUSTER", "MYID"], node: node).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The node replicating the primary on `port`, as the replica itself says (`ROLE`: other
    /// nodes may learn of it a moment later).
    public func replica(ofPrimaryPort port: Int) throws -> RedisServerProcess {
        for node in nodes where node.isRunning && node.port != port {
            let role = try cli(["ROLE"], node: node).split(separator: "\n")
            if role.count >= 3, role[0] == "slave", Int(role[2]) == port { return node }
        }
        throw TestSupportError("the primary on port \(port) has no replica")
    }

    /// Moves `slot` from the primary serving it to the primary on `port`, as
    /// `redis-cli --cluster reshard` does: IMPORTING on the target, MIGRATING on the source,
    /// its keys moved with `MIGRATE … KEYS` `keysPerMigrate` at a time (small batches keep
    /// the slot in the migrating state longer, so clients meet ASK and TRYAGAIN), then the
    /// new owner announced to every primary. `betweenBatches` runs after each batch.
    public func moveSlot(_ slot: Int, toPrimaryPort target: Int, keysPerMigrate: Int = 10, betweenBatches: () throws -> Void = {}) throws {
        let source = try primaryPort(ofSlot: slot)
        guard source != target, let sourceNode = node(port: source), let targetNode = node(port: target) else {
            throw TestSupportError("slot \(slot) is on \(source) already or a port is unknown")
        }
        let sourceID = try nodeID(port: source), targetID = try nodeID(port: target)
        try expectOK(cli(["CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID], node: targetNode), "SETSLOT IMPORTING")
        try expectOK(cli(["CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID], node: sourceNode), "SETSLOT MIGRATING")
        while true {
            let keys = try cli(["CLUSTER", "GETKEYSINSLOT", String(slot), String(keysPerMigrate)], node: sourceNode)
                .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            if keys.isEmpty { break }
            let reply = try cli(["MIGRATE", "127.0.0.1", String(target), "", "0", "5000", "KEYS"] + keys, node: sourceNode)
            guard reply.contains("OK") || reply.contains("NOKEY") else { throw TestSupportError("MIGRATE of \(keys) failed: \(reply)") }
            try betweenBatches()
        }
        // The target first, so that the slot is never without an owner that says so.
        try expectOK(cli(["CLUSTER", "SETSLOT", String(slot), "NODE", targetID], node: targetNode), "SETSLOT NODE on the target")
        try expectOK(cli(["CLUSTER", "SETSLOT", String(slot), "NODE", targetID], node: sourceNode), "SETSLOT NODE on the source")
        for node in nodes where node.isRunning && node !== sourceNode && node !== targetNode {
            let role = try cli(["ROLE"], node: node)
            if role.hasPrefix("master") { try expectOK(cli(["CLUSTER", "SETSLOT", String(slot), "NODE", targetID], node: node), "SETSLOT NODE") }
        }
    }

    private func expectOK(_ reply: String, _ what: String) throws {
        guard reply.contains("OK") else { throw TestSupportError("\(what) failed: \(reply)") }
    }
}
