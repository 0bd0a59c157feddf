// A Redis whose dataset takes a while to load, to meet a server answering LOADING.
import Redis

/// A private `redis-server` with a dataset that takes about `keys × delayPerKey` to load
/// (20 s by default, far longer than any process start-up): `key-load-delay` (microseconds
/// per key) is the hidden setting Redis's own tests use, and a small
/// `loading-process-events-interval-bytes` lets clients in while it loads. A test that
/// waits for the load to end calls ``finishLoading()`` once it has seen what it waits for;
/// one that meets LOADING only stops the server at its end.
public final class SlowLoadingRedis: Sendable {
    /// The server; its `url` and `configuration()` reach it.
    public let server: RedisServerProcess
    /// How many keys the dataset holds once loaded.
    public let keys: Int

    /// Starts a server, writes `keys` keys and saves them (`dump.rdb`, loaded at each start).
    public init(keys: Int = 2000, delayPerKey microseconds: Int = 10_000) throws {
        self.keys = keys
        server = try RedisServerProcess(arguments: ["--key-load-delay", String(microseconds), "--rdbcompression", "no",
                                                    "--loading-process-events-interval-bytes", "1024"])
        let connection = RedisConnection(configuration: server.configuration())
        // Values of 1 KiB: the server serves clients between every two keys, not every 0.5 s
        // (loading-process-events-interval-bytes is at least 1024).
        try connection.send(RedisCommand("EVAL", "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'key:' .. i, string.rep('x', 1024)) end",
                                         0, keys))
        try connection.send(["SAVE"])
        connection.close()
    }

    /// Restarts the server and returns while it loads (`INFO persistence` says `loading:1`).
    public func restartAndAwaitLoading() throws {
        try server.restart()
        try server.awaitCLI("INFO", "persistence", prints: "loading:1")
    }

    /// Ends the load now: the rest of the keys load without delay (`CONFIG SET` is served
    /// while loading). A restart loads slowly again.
    public func finishLoading() throws {
        try server.cli("CONFIG", "SET", "key-load-delay", "0")
    }
}
