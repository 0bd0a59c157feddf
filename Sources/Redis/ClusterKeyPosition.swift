// Where a command's keys are, so a Redis Cluster client can send it to the node owning them.
// A small table of the commands this code base sends; a command not in it goes to any primary,
// which answers MOVED if it holds a key elsewhere.

/// Where the first key of a command is (every key of one command must share its slot).
enum ClusterKeyPosition {
    /// At this argument index (the name is index 0).
    case argument(Int)
    /// After a `numkeys` argument at this index (`FCALL`, `EVAL`): the first key follows it.
    case afterKeyCount(Int)
    /// After the `STREAMS` argument (`XREAD`, `XREADGROUP`).
    case afterStreams

    /// The commands whose keys the client knows; also `SPUBLISH`, whose channel is routed like a key.
    static let table: [String: ClusterKeyPosition] = {
        var table: [String: ClusterKeyPosition] = [:]
        for name in ["GET", "SET", "SETNX", "GETDEL", "INCR", "INCRBY", "DECR", "APPEND", "STRLEN", "MGET", "MSET",
                     "DEL", "UNLINK", "EXISTS", "TYPE", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "TTL", "PTTL", "PERSIST", "DUMP", "RESTORE",
                     "HSET", "HSETNX", "HGET", "HMGET", "HGETALL", "HDEL", "HINCRBY", "HEXISTS", "HLEN", "HKEYS", "HVALS", "HSCAN",
                     "SADD", "SREM", "SCARD", "SISMEMBER", "SMEMBERS", "SRANDMEMBER", "SSCAN",
                     "ZADD", "ZREM", "ZCARD", "ZSCORE", "ZINCRBY", "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE", "ZRANK", "ZCOUNT",
                     "ZREMRANGEBYSCORE", "ZREMRANGEBYRANK", "ZRANDMEMBER", "ZPOPMIN", "ZSCAN",
                     "LPUSH", "RPUSH", "LPOP", "RPOP", "LLEN", "LRANGE", "LTRIM", "BLPOP", "BRPOP",
                     "XADD", "XLEN", "XRANGE", "XREVRANGE", "XDEL", "XACK", "XCLAIM", "XAUTOCLAIM", "XPENDING", "XTRIM", "XSETID",
                     "WATCH", "SPUBLISH", "SSUBSCRIBE", "SUNSUBSCRIBE"] {
            table[name] = .argument(1)
        }
        for name in ["XGROUP", "XINFO", "MEMORY", "OBJECT"] { table[name] = .argument(2) }  // XGROUP CREATE <key> …
        for name in ["FCALL", "FCALL_RO", "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO"] { table[name] = .afterKeyCount(2) }
        for name in ["XREAD", "XREADGROUP"] { table[name] = .afterStreams }
        return table
    }()

    /// The slot of the command's first key; `nil` for a command without keys or not in the table.
    static func slot(of command: RedisCommand) -> Int? {
        guard let position = table[command.name] else { return nil }
        let lengths = command.lengths
        var index: Int
        switch position {
        case .argument(let at):
            index = at
        case .afterKeyCount(let at):
            guard at < lengths.count, let keys = Int(command.argumentText(at)), keys > 0 else { return nil }
            index = at + 1
        case .afterStreams:
            guard let streams = (1..<lengths.count).first(where: { command.argumentText($0).uppercased() == "STREAMS" }) else { return nil }
            index = streams + 1
        }
        guard index < lengths.count else { return nil }
        let start = lengths[..<index].reduce(0, +)
        return command.storage.withUnsafeBytes { ClusterSlot.of(bytes: UnsafeRawBufferPointer(rebasing: $0[start..<start + lengths[index]])) }
    }
}

extension RedisCommand {
    /// Argument `index` decoded as UTF-8.
    func argumentText(_ index: Int) -> String {
        let start = lengths[..<index].reduce(0, +)
        return String(decoding: storage[start..<start + lengths[index]], as: UTF8.self)
    }
}
