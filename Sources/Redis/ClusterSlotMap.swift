// Which primary serves each hash slot, read from CLUSTER SHARDS (Redis 7.0) or CLUSTER SLOTS.

/// The primary of every hash slot of a Redis Cluster, as one node described it.
struct ClusterSlotMap {
    typealias Node = RedisConfiguration.Endpoint

    /// The primaries, in the order of their lowest slot.
    private(set) var primaries: [Node] = []
    /// For each slot, its primary's index in `primaries`; -1 when no primary serves it.
    private var owners = [Int16](repeating: -1, count: ClusterSlot.count)
    /// For each primary, how many slots it serves: a primary left with none is dropped.
    private var slotCounts: [Int] = []

    /// How many slots have a primary (a map read from a node may miss some: a shard whose
    /// primary failed and was not replaced yet).
    var servedSlotCount: Int { slotCounts.reduce(0, +) }

    /// Whether every slot has a primary.
    var coversEverySlot: Bool { servedSlotCount == ClusterSlot.count }

    /// The primary serving `slot`, if any.
    func primary(ofSlot slot: Int) -> Node? {
        let owner = owners[slot]
        return owner < 0 ? nil : primaries[Int(owner)]
    }

    /// Records that `node` serves `slot` (a `MOVED` reply said so). A primary that loses its
    /// last slot is no longer listed: commands for every primary must not go to it.
    mutating func assign(slot: Int, to node: Node) {
        guard (0..<ClusterSlot.count).contains(slot) else { return }
        let index: Int
        if let known = primaries.firstIndex(of: node) {
            index = known
        } else {
            primaries.append(node)
            slotCounts.append(0)
            index = primaries.count - 1
        }
        let previous = Int(owners[slot])
        guard previous != index else { return }
        owners[slot] = Int16(index)
        slotCounts[index] += 1
        guard previous >= 0 else { return }
        slotCounts[previous] -= 1
        if slotCounts[previous] == 0 { drop(previous) }
    }

    /// Removes a primary that serves no slot, keeping the indices of the others right.
    private mutating func drop(_ index: Int) {
        primaries.remove(at: index)
        slotCounts.remove(at: index)
        let removed = Int16(index)
        for slot in owners.indices where owners[slot] > removed { owners[slot] -= 1 }
    }

    /// Asks a node for the map: `CLUSTER SHARDS`, or `CLUSTER SLOTS` on a Redis older than 7.0.
    /// - Parameters:
    ///   - host: The host the node was reached at, for nodes that announce no address of their own.
    ///   - send: Sends one command to that node.
    /// - Throws: ``RedisClientError`` when the node cannot be asked or refuses to say (an ACL
    ///   user not allowed `CLUSTER SHARDS`).
    ///
    /// A `CLUSTER SHARDS` map that leaves slots without a primary is checked against `CLUSTER
    /// SLOTS`, which lists only the nodes serving slots: after a failover, Redis 7.2 may list a
    /// shard's failed primary beside the promoted one, or the new primary not yet as `master`.
    static func fetch(host: String, send: (RedisCommand) throws(RedisClientError) -> RedisValue) throws(RedisClientError) -> ClusterSlotMap {
        var reply = try send(["CLUSTER", "SHARDS"])
        let fromShards = parse(shards: reply, host: host)
        if let fromShards, fromShards.coversEverySlot { return fromShards }
        if fromShards != nil || reply.serverError?.message.lowercased().contains("unknown subcommand") == true {
            let slotsReply = try send(["CLUSTER", "SLOTS"])
            // Neither may serve every slot (a cluster being set up, a failover under way): the
            // map that serves more stands.
            if let map = parse(slots: slotsReply, host: host), map.servedSlotCount >= fromShards?.servedSlotCount ?? 0 { return map }
            if let fromShards { return fromShards }
            reply = slotsReply
        }
        throw RedisClientError(
            reply.serverError?.code == "NOPERM" ? .authenticationFailed : .protocolError,
            "The Redis Cluster node at \(host) did not give its slot map: \(reply.serverError?.message ?? "an unexpected reply").",
            recoverySuggestion: "A cluster client reads the map with CLUSTER SHARDS (CLUSTER SLOTS before Redis 7.0) and follows ASK redirections: allow the user +cluster|shards +cluster|slots +asking.")
    }

    /// Reads a `CLUSTER SHARDS` reply; `nil` if it is not one. A shard's primary is its
    /// `master` whose `health` is `online`: a failed primary may still be listed as `master`.
    static func parse(shards reply: RedisValue, host: String) -> ClusterSlotMap? {
        guard let shards = reply.array else { return nil }
        var ranges: [(low: Int, high: Int, node: Node)] = []
        for shard in shards {
            guard let fields = shard.fieldMap, let slots = fields["slots"]?.array,
                  let primary = fields["nodes"]?.array?.compactMap(\.fieldMap).first(where: { $0["role"]?.string == "master" && ($0["health"]?.string ?? "online") == "online" }),
                  let port = primary["port"]?.int else { continue }
            var address = primary["endpoint"]?.string ?? ""
            if address.isEmpty || address == "?" { address = primary["ip"]?.string ?? "" }
            let node = Node.tcp(host: address.isEmpty ? host : address, port: port)
            var index = 0
            while index + 1 < slots.count {
                if let low = slots[index].int, let high = slots[index + 1].int { ranges.append((low, high, node)) }
                index += 2
            }
        }
        return build(ranges)
    }

    /// Reads a `CLUSTER SLOTS` reply; `nil` if it is not one.
    static func parse(slots reply: RedisValue, host: String) -> ClusterSlotMap? {
        guard let entries = reply.array else { return nil }
        var ranges: [(low: Int, high: Int, node: Node)] = []
        for entry in entries {
            guard let parts = entry.array, parts.count >= 3, let low = parts[0].int, let high = parts[1].int,
                  let primary = parts[2].array, primary.count >= 2, let port = primary[1].int else { continue }
            let address = primary[0].string ?? ""
            ranges.append((low, high, .tcp(host: address.isEmpty || address == "?" ? host : address, port: port)))
        }
        return build(ranges)
    }

    private static func build(_ ranges: [(low: Int, high: Int, node: Node)]) -> ClusterSlotMap? {
        var map = ClusterSlotMap()
        for range in ranges.sorted(by: { $0.low < $1.low }) where range.low <= range.high {
            for slot in max(range.low, 0)...min(range.high, ClusterSlot.count - 1) { map.assign(slot: slot, to: range.node) }
        }
        return map
    }
}

extension RedisValue {
    /// A flat array of name/value pairs as a dictionary of names to values (`CLUSTER SHARDS`).
    var fieldMap: [String: RedisValue]? {
        guard let elements = array, elements.count % 2 == 0 else { return nil }
        var fields: [String: RedisValue] = [:]
        var index = 0
        while index < elements.count {
            if let name = elements[index].string { fields[name] = elements[index + 1] }
            index += 2
        }
        return fields
    }
}
