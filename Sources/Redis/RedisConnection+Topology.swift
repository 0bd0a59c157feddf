// What callers need to know of the server's shape: one Redis, or a Redis Cluster whose keys
// live on several primaries. On one Redis (standalone or found through Sentinel) each of
// these is the obvious single-server answer.

extension RedisConnection {
    /// Whether the server is a Redis Cluster (connects first if needed).
    /// - Throws: ``RedisClientError`` if Redis cannot be reached.
    public func isCluster() throws(RedisClientError) -> Bool {
        try clusterRouter() != nil
    }

    /// `keys` split into groups that one multi-key command may take together (`XREADGROUP …
    /// STREAMS`, `DEL`): one group on a single Redis; on a cluster, one group per hash slot
    /// (Redis refuses a command over several slots with `CROSSSLOT`). Groups keep the order
    /// in which their first key appears, and keys keep their order within a group.
    public func keyGroupsForOneCommand(_ keys: [String]) throws(RedisClientError) -> [[String]] {
        guard !keys.isEmpty else { return [] }
        guard try clusterRouter() != nil else { return [keys] }
        var groups: [[String]] = []
        var groupOfSlot: [Int: Int] = [:]
        for key in keys {
            let slot = ClusterSlot.of(key)
            if let group = groupOfSlot[slot] {
                groups[group].append(key)
            } else {
                groupOfSlot[slot] = groups.count
                groups.append([key])
            }
        }
        return groups
    }

    /// Sends a command that concerns a whole server (`SCAN`, `INFO`, `FUNCTION LIST`,
    /// `DBSIZE`) to every primary: the one server on a single Redis.
    /// - Returns: One reply per primary with the primary's `host:port` (or socket path);
    ///   error replies stay in place as `.error`.
    /// - Throws: ``RedisClientError`` if a primary cannot be reached.
    public func sendToEveryPrimary(_ command: RedisCommand, timeout: Duration? = nil) throws(RedisClientError) -> [(node: String, reply: RedisValue)] {
        if let router = try clusterRouter() { return try router.sendToEveryPrimary(command, timeout: timeout) }
        return [(configuration.endpoint.description, try sendReturningErrors(command, timeout: timeout))]
    }

    /// Sends a command to one primary, named as ``sendToEveryPrimary(_:timeout:)`` names it:
    /// for a command that continues there (`SCAN` with the cursor that primary returned).
    /// - Throws: ``RedisClientError`` if the primary cannot be reached or is no longer a primary.
    public func send(_ command: RedisCommand, toPrimary node: String, timeout: Duration? = nil) throws(RedisClientError) -> RedisValue {
        if let router = try clusterRouter() { return try router.send(command, toPrimary: node, timeout: timeout) }
        return try sendReturningErrors(command, timeout: timeout)
    }

    /// [WAIT](https://redis.io/commands/wait/) on every primary this connection has written
    /// to: blocks until the writes it sent so far reached `replicas` replicas of each, or
    /// `timeout` passed.
    ///
    /// `WAIT` covers the writes of the connection it runs on only: writes made before the
    /// connection (or, on a cluster, its link to a node) was reopened, or on a node that
    /// stopped being a primary, cannot be confirmed, and make this return 0. Through Sentinel
    /// a reconnect to a new primary is exactly that case.
    /// - Returns: The fewest replicas that acknowledged, over the primaries asked.
    public func waitForReplicas(_ replicas: Int, timeout: Duration) throws -> Int {
        if let router = try clusterRouter() { return try router.waitForReplicas(replicas, timeout: timeout) }
        let milliseconds = max(1, timeout.wholeMilliseconds)
        let reply = try send(RedisCommand("WAIT", replicas, milliseconds), timeout: timeout + configuration.commandTimeout)
        let sameConnection = connectOfUnconfirmedWrites.map { $0 == connectCount } ?? true
        connectOfUnconfirmedWrites = nil
        return sameConnection ? reply.int ?? 0 : 0
    }
}
