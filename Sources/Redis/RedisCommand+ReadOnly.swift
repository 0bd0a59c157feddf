// Which commands only read: a node that served only these holds nothing for WAIT to confirm.

extension RedisCommand {
    /// Commands that never change the data set (the read family and `FCALL_RO`).
    private static let readOnlyNames: Set<String> = [
        "FCALL_RO", "EVALSHA_RO", "EVAL_RO",
        "GET", "MGET", "STRLEN", "GETRANGE", "EXISTS", "TYPE", "TTL", "PTTL", "SCAN",
        "HGET", "HMGET", "HGETALL", "HKEYS", "HVALS", "HLEN", "HEXISTS", "HSCAN", "HSTRLEN",
        "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX",
        "ZSCORE", "ZMSCORE", "ZRANK", "ZREVRANK", "ZCARD", "ZCOUNT", "ZLEXCOUNT", "ZSCAN",
        "XRANGE", "XREVRANGE", "XLEN", "XINFO", "XPENDING",
        "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD", "SSCAN",
        "LRANGE", "LLEN", "LINDEX", "LPOS",
        "PING", "ECHO", "INFO", "DBSIZE", "TIME", "WAIT",
    ]

    /// Whether this command only reads, so the node that runs it has no write of this
    /// connection to wait for.
    var isReadOnly: Bool { Self.readOnlyNames.contains(name) }
}
