// What callers need to know of the server's shape: one Redis, or a Redis Cluster whose keys
// live on several primaries. On one Redis (standalone or found through Sentinel) each of
// these is the obvious single-server answer.

extension RedisConnection {
    /// Whether the server is a Redis Cluster (connects first if needed).
    /// - Throws: ``RedisClientError`` if Redis cannot be reached.
    public func isCluster() throws(RedisClientError) -> Bool {
        _ = try openContext()
        return false
    }

    /// `keys` split into groups that one multi-key command may take together (`XREADGROUP …
    /// STREAMS`, `DEL`): one group on a single Redis; on a cluster, one group per hash slot
    /// (Redis refuses a command over several slots with `CROSSSLOT`). Groups keep the order
    /// in which their first key appears, and keys keep their order within a group.
    public func keyGroupsForOneCommand(_ keys: [String]) throws(RedisClientError) -> [[String]] {
        keys.isEmpty ? [] : [keys]
    }

    /// Sends a command that concerns a whole server (`SCAN`, `INFO`, `FUNCTION LIST`,
    /// `DBSIZE`) to every primary: the one server on a single Redis.
    /// - Returns: One reply per primary with the primary's `host:port` (or socket path);
    ///   error replies stay in place as `.error`.
    /// - Throws: ``RedisClientError`` if a primary cannot be reached.
    public func sendToEveryPrimary(_ command: RedisCommand, timeout: Duration? = nil) throws(RedisClientError) -> [(node: String, reply: RedisValue)] {
        [(configuration.endpoint.description, try sendReturningErrors(command, timeout: timeout))]
    }

    /// [WAIT](https://redis.io/commands/wait/) on every primary this connection has written
    /// to: blocks until the writes it sent so far reached `replicas` replicas of each, or
    /// `timeout` passed.
    /// - Returns: The fewest replicas that acknowledged, over the primaries asked.
    public func waitForReplicas(_ replicas: Int, timeout: Duration) throws -> Int {
        let milliseconds = max(1, timeout.wholeMilliseconds)
        let reply = try send(RedisCommand("WAIT", replicas, milliseconds), timeout: timeout + configuration.commandTimeout)
        return reply.int ?? 0
    }
}
