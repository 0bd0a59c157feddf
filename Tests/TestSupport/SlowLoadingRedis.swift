// A Redis whose dataset takes a while to load, to meet a server answering LOADING.
import Redis

/// A private `redis-server` with a dataset that takes about `keys × delayPerKey` to load:
/// `key-load-delay` (microseconds per key) is the hidden setting Redis's own tests use, and
/// a small `loading-process-events-interval-bytes` lets clients in while it loads.
public final class SlowLoadingRedis: Sendable {
    /// The server; its `url` and `configuration()` reach it.
    public let server: RedisServerProcess
    /// How many keys the dataset holds once loaded.
    public let keys: Int

    /// Starts a server, writes `keys` keys and saves them (`dump.rdb`, loaded at each start).
    public init(keys: Int = 2000, delayPerKey microseconds: Int = 750) throws {
        self.keys = keys
        server = try RedisServerProcess(arguments: ["--key-load-delay", String(microseconds),
                                                    "--loading-process-events-interval-bytes", "1024"])
        let connection = RedisConnection(configuration: server.configuration())
        try connection.send(RedisCommand("EVAL", "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'key:' .. i, i) end", 0, keys))
        try connection.send(["SAVE"])
        connection.close()
    }

    /// Restarts the server and returns while it loads (`INFO persistence` says `loading:1`).
    public func restartAndAwaitLoading() throws {
        try server.restart()
        try server.awaitCLI("INFO", "persistence", prints: "loading:1")
    }
}
