// Which primary serves each hash slot, read from CLUSTER SHARDS (Redis 7.0) or CLUSTER SLOTS.

/// The primary of every hash slot of a Redis Cluster, as one node described it.
struct ClusterSlotMap {
    typealias Node = RedisConfiguration.Endpoint

    /// The primaries, in the order of their lowest slot.
    private(set) var primaries: [Node] = []
    /// For each slot, its primary's index in `primaries`; -1 when no primary serves it.
    private var owners = [Int16](repeating: -1, count: ClusterSlot.count)

    /// The primary serving `slot`, if any.
    func primary(ofSlot slot: Int) -> Node? {
        let owner = owners[slot]
        return owner < 0 ? nil : primaries[Int(owner)]
    }

    /// Records that `node` serves `slot` (a `MOVED` reply said so).
    mutating func assign(slot: Int, to node: Node) {
        guard (0..<ClusterSlot.count).contains(slot) else { return }
        if let index = primaries.firstIndex(of: node) {
            owners[slot] = Int16(index)
        } else {
            primaries.append(node)
            owners[slot] = Int16(primaries.count - 1)
        }
    }

    /// Asks a node for the map: `CLUSTER SHARDS`, or `CLUSTER SLOTS` on a Redis older than 7.0.
    /// - Parameters:
    ///   - host: The host the node was reached at, for nodes that announce no address of their own.
    ///   - send: Sends one command to that node.
    /// - Throws: ``RedisClientError`` when the node cannot be asked or refuses to say (an ACL
    ///   user not allowed `CLUSTER SHARDS`).
    static func fetch(host: String, send: (RedisCommand) throws(RedisClientError) -> RedisValue) throws(RedisClientError) -> ClusterSlotMap {
        var reply = try send(["CLUSTER", "SHARDS"])
        if let map = parse(shards: reply, host: host) { return map }
        if reply.serverError?.message.lowercased().contains("unknown subcommand") == true {
            reply = try send(["CLUSTER", "SLOTS"])
            if let map = parse(slots: reply, host: host) { return map }
        }
        throw RedisClientError(
            reply.serverError?.code == "NOPERM" ? .authenticationFailed : .protocolError,
            "The Redis Cluster node at \(host) did not give its slot map: \(reply.serverError?.message ?? "an unexpected reply").",
            recoverySuggestion: "A cluster client reads the map with CLUSTER SHARDS (CLUSTER SLOTS before Redis 7.0) and follows ASK redirections: allow the user +cluster|shards +cluster|slots +asking.")
    }

    /// Reads a `CLUSTER SHARDS` reply; `nil` if it is not one.
    static func parse(shards reply: RedisValue, host: String) -> ClusterSlotMap? {
        guard let shards = reply.array else { return nil }
        var ranges: [(low: Int, high: Int, node: Node)] = []
        for shard in shards {
            guard let fields = shard.fieldMap, let slots = fields["slots"]?.array,
                  let primary = fields["nodes"]?.array?.compactMap(\.fieldMap).first(where: { $0["role"]?.string == "master" }),
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
