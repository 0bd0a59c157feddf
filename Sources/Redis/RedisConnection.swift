// One connection to Redis: connect, authenticate, send, pipeline, reconnect with backoff.
//
// Concurrency model of the Redis module
// -------------------------------------
// hiredis contexts are not thread-safe and every call on them blocks. So:
// - A `RedisConnection` is a non-`Sendable` class: the compiler keeps it in one isolation
//   region, and its owner uses it from one thread at a time (the worker's own loop thread,
//   the CLI's main thread).
// - Async code never calls it directly: `RedisClient` owns a connection on a dedicated OS
//   thread (`DedicatedThread`) and exposes `async` methods that hop onto that thread, so a
//   blocking read never occupies a thread of Swift's cooperative pool.
// - `RedisSubscriber` owns its own connection and thread, and calls its handler there.
// - SIGPIPE is ignored process-wide the first time a connection is created: writing to a
//   socket the server closed must surface as an error, not kill the process.
import Glibc

/// A blocking connection to one Redis server, or to a Redis Cluster.
///
/// On its first connect the connection asks the server whether it is a Redis Cluster. If it
/// is, the connection keeps one link per primary and sends each command to the primary of its
/// key's hash slot, following the cluster's redirections (see `ClusterRouter`); callers use
/// the same methods either way.
///
/// The connection opens lazily and reopens itself after a failure: a command finding the
/// link dead fails with a ``RedisClientError`` (the command may or may not have run), and
/// the next command reconnects, waiting out an exponential backoff after failed attempts.
/// Every (re)connect re-applies the command timeout, TCP keepalive, `AUTH`, `SELECT`,
/// `CLIENT SETNAME` and the libraries to load: hiredis's own `redisReconnect` would silently
/// drop the first two.
///
/// - Important: Not thread-safe. Use it from one thread, or through ``RedisClient``.
public final class RedisConnection {
    /// Where and how this connection talks to Redis.
    public let configuration: RedisConfiguration
    /// How many times a connection was opened successfully (the first one included; on a
    /// cluster, the links to its nodes included).
    public var connectCount: Int { ownConnects + (router?.connectCount ?? 0) }
    /// Asked while waiting out a reconnect backoff; returning true ends the wait early
    /// (so a worker asked to stop does not sit out a 5 s backoff).
    public var interruptWait: (() -> Bool)?
    /// Called when a connect finds Redis refusing for a while (`LOADING`, `BUSY`,
    /// `MASTERDOWN`; see ``RedisServerError/transientState``) and starts waiting it out within
    /// the connect timeout; not again until a connect has succeeded. The owner logs it: the
    /// connection has no logger.
    public var onWaitingForServer: ((RedisServerError) -> Void)?
    /// Function libraries loaded (`FUNCTION LOAD REPLACE`) by every new connection, right
    /// after its set-up and before any command of the owner: the functions it calls then run
    /// the code it was given, even if another user replaced a library of that name meanwhile
    /// (Redis does not tie a library's name to its code). Set it before the first command.
    public var librariesLoadedOnConnect: [RedisFunctionLibrary] = []

    private var context: RedisWire?
    private var ownConnects = 0
    /// Whether the server was asked whether it is a cluster (never asked by a cluster's node link).
    private var topologyKnown = false
    /// The cluster router, once the server said it is a Redis Cluster.
    private(set) var router: ClusterRouter?
    private var consecutiveFailures = 0
    private var lastFailure: ContinuousClock.Instant?
    private var isClosed = false
    private var waitReported = false
    /// The connect count when this connection first wrote since the last `WAIT`
    /// (``waitForReplicas(_:timeout:)``): a `WAIT` on a later connection cannot confirm it.
    var connectOfUnconfirmedWrites: Int?
    /// Where the primary is, for a Sentinel endpoint; asked on every (re)connect.
    let sentinel: SentinelResolver?

    /// Creates a connection; it opens on the first command or on ``connect()``.
    public init(configuration: RedisConfiguration) {
        _ = ignoreBrokenPipeSignal
        self.configuration = configuration
        if case .sentinel(let name, let sentinels) = configuration.endpoint {
            sentinel = SentinelResolver(masterName: name, sentinels: sentinels, password: configuration.sentinelPassword, tls: configuration.tls)
        } else {
            sentinel = nil
        }
    }

    /// A link to one node of a cluster that `owner` talks to: the owner's settings and hooks,
    /// the node's address, and no cluster detection of its own.
    init(nodeOf owner: RedisConnection, at node: RedisConfiguration.Endpoint) {
        var configuration = owner.configuration
        configuration.endpoint = node
        configuration.otherSeeds = []
        self.configuration = configuration
        sentinel = nil
        topologyKnown = true
        interruptWait = owner.interruptWait
        onWaitingForServer = owner.onWaitingForServer
        librariesLoadedOnConnect = owner.librariesLoadedOnConnect
    }

    deinit { context = nil }

    /// Whether a connection is currently open.
    public var isConnected: Bool { router?.isConnected ?? (context != nil) }

    /// Opens the connection now if it is not open (waiting out the backoff after a failure).
    /// - Throws: ``RedisClientError`` if Redis cannot be reached or refuses the credentials.
    public func connect() throws(RedisClientError) {
        if let router = try clusterRouter() { try router.connect() } else { _ = try openContext() }
    }

    /// Closes the connection; later commands fail with kind `.closed`.
    public func close() {
        context = nil
        router?.close()
        isClosed = true
    }

    /// Sends one command and waits for its reply.
    /// - Parameters:
    ///   - command: The command and its arguments.
    ///   - timeout: A reply timeout for this command only (for commands that block on purpose,
    ///     such as `XREADGROUP … BLOCK` or `DEBUG SLEEP`); the configured one otherwise.
    /// - Returns: The reply; never `.error`.
    /// - Throws: ``RedisServerError`` for an error reply, ``RedisClientError`` if the
    ///   connection failed (it is dropped and reopened by the next command).
    @discardableResult
    public func send(_ command: RedisCommand, timeout: Duration? = nil) throws -> RedisValue {
        try sendReturningErrors(command, timeout: timeout).orThrow()
    }

    /// Sends one command and returns its reply, error replies included as `.error`.
    /// - Throws: ``RedisClientError`` only.
    public func sendReturningErrors(_ command: RedisCommand, timeout: Duration? = nil) throws(RedisClientError) -> RedisValue {
        if let router = try clusterRouter() { return try router.send(command, timeout: timeout) }
        let context = try openContext()
        if let timeout { try guarded { () throws(RedisClientError) in try context.setTimeout(timeout) } }
        let reply = try noteWrites(of: [command]) { () throws(RedisClientError) in
            try guarded { () throws(RedisClientError) in
                try context.append(command)
                return try context.readReply(for: command.name)
            }
        }
        // The command ran; if the timeout cannot be restored, drop the link but keep the reply.
        if timeout != nil, (try? context.setTimeout(configuration.commandTimeout)) == nil { self.context = nil }
        dropLinkIfDemoted([reply])
        return reply
    }

    /// Sends many commands in one write and reads all their replies: one round trip.
    /// - Returns: One reply per command, in order; error replies stay in place as `.error`.
    /// - Throws: ``RedisClientError`` if the connection failed; any of the commands may have run.
    public func pipeline(_ commands: [RedisCommand]) throws(RedisClientError) -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        if let router = try clusterRouter() { return try router.pipeline(commands) }
        let context = try openContext()
        return try noteWrites(of: commands) { () throws(RedisClientError) in
            try guarded { () throws(RedisClientError) in
                for command in commands { try context.append(command) }
                var replies: [RedisValue] = []
                replies.reserveCapacity(commands.count)
                for command in commands { replies.append(try context.readReply(for: command.name)) }
                dropLinkIfDemoted(replies)
                return replies
            }
        }
    }

    /// Runs commands on the open context and records, if one of them writes and ran (or may
    /// have), the connection it ran on: see ``connectOfUnconfirmedWrites``.
    private func noteWrites<T>(of commands: [RedisCommand], _ operation: () throws(RedisClientError) -> T) throws(RedisClientError) -> T {
        let connect = ownConnects
        func note() {
            if connectOfUnconfirmedWrites == nil, commands.contains(where: { !$0.isReadOnly }) { connectOfUnconfirmedWrites = connect }
        }
        do {
            let result = try operation()
            note()
            return result
        } catch {
            if error.commandMayHaveRun { note() }
            throw error
        }
    }

    // MARK: - Connection management

    /// The cluster router if the server is a Redis Cluster, `nil` for a single Redis. The first
    /// call connects and asks (`HELLO 2`, which every ACL user may send, says the server's mode).
    @inline(__always)
    func clusterRouter() throws(RedisClientError) -> ClusterRouter? {
        if topologyKnown { return router }
        return try detectTopology()
    }

    private func detectTopology() throws(RedisClientError) -> ClusterRouter? {
        let context = try openContext()
        let host = configuration.endpoint.host
        let map = try guarded { () throws(RedisClientError) -> ClusterSlotMap? in
            let send = { (command: RedisCommand) throws(RedisClientError) -> RedisValue in
                try context.append(command)
                return try context.readReply(for: command.name)
            }
            // A Redis older than 6 does not know HELLO: it is no cluster this client can use.
            guard try send(["HELLO", "2"]).fieldMap?["mode"]?.string == "cluster" else { return nil }
            return try ClusterSlotMap.fetch(host: host, send: send)
        }
        topologyKnown = true
        guard let map else { return nil }
        // The seed link was only for asking: the router opens its own links, one per primary.
        self.context = nil
        router = ClusterRouter(owner: self, map: map)
        return router
    }

    /// Drops the current context (after a failure seen outside `guarded`); the next call reopens.
    func dropContext() { context = nil }

    /// Runs an operation on the open context; on failure drops the context so the next
    /// command starts on a fresh one (a failed hiredis context must never be reused).
    func guarded<T>(_ operation: () throws(RedisClientError) -> T) throws(RedisClientError) -> T {
        do {
            return try operation()
        } catch {
            context = nil
            throw error
        }
    }

    /// The open context, opening one if needed. An idle link the server has closed is
    /// replaced here, before a command is written to it.
    func openContext() throws(RedisClientError) -> RedisWire {
        if isClosed {
            throw RedisClientError(.closed, "This Redis connection was closed.", recoverySuggestion: "Create a new connection.")
        }
        if let context {
            if !context.isStale { return context }
            self.context = nil
        }
        if consecutiveFailures > 0, let lastFailure {
            let readyAt = lastFailure + configuration.reconnectBackoff.delay(afterFailures: consecutiveFailures)
            let now = ContinuousClock.now
            if readyAt > now { sleep(for: readyAt - now) }
        }
        do {
            let opened = if let sentinel { try openPrimary(via: sentinel) } else {
                try openAndPrepare(at: configuration.endpoint, deadline: .now + configuration.connectTimeout)
            }
            context = opened
            consecutiveFailures = 0
            waitReported = false
            ownConnects += 1
            return opened
        } catch {
            consecutiveFailures += 1
            lastFailure = .now
            throw error
        }
    }

    /// Opens a context and applies everything a fresh connection needs, in one round trip.
    /// A server that refuses only for a while (loading its dataset, running a long script, a
    /// replica cut off from its primary) is asked again with a short backoff until the
    /// connect timeout is spent: a Redis restarting with a large AOF is not a refusal.
    func openAndPrepare(at endpoint: RedisConfiguration.Endpoint, deadline: ContinuousClock.Instant) throws(RedisClientError) -> RedisWire {
        // The configured endpoint stands for every seed of the URL; a resolved one for itself.
        let context = try connect(toFirstOf: endpoint == configuration.endpoint ? configuration.seeds : [endpoint], before: deadline)
        if configuration.tcpKeepAlive, case .tcp = endpoint { try context.enableKeepAlive() }
        let setup = setupCommands()
        var pause: Duration = .milliseconds(20)
        var waitingOut: (error: RedisServerError, state: (reason: String, advice: String))?
        while true {
            // Every reply is read, so that the context stays in step for another attempt.
            var refusal: (error: RedisServerError, explain: (RedisServerError) -> RedisClientError)?
            do throws(RedisClientError) {
                // The set-up round trip counts against the connect timeout, not the command
                // timeout: a stopped or swamped server must not hold a connect for longer.
                try context.setTimeout(max(deadline - .now, .milliseconds(1)))
                for (command, _) in setup { try context.append(command) }
                for (command, explain) in setup {
                    if case .error(let error) = try context.readReply(for: command.name), refusal == nil { refusal = (error, explain) }
                }
            } catch where error.kind == .timeout {
                // A server already seen refusing for a while is still doing so: name that cause.
                if let waitingOut { throw gaveUpError(waitingOut.error, waitingOut.state) }
                throw RedisClientError(
                    .connectFailed,
                    "Redis at \(configuration) accepted the connection but did not answer its set-up within the connect timeout (\(configuration.connectTimeout.shortDescription)).",
                    recoverySuggestion: "Check that the server is running and not overloaded (a stopped process, a full CPU, a long fork), or raise the connect timeout (--redis-connect-timeout).")
            }
            guard let refusal else {
                if sentinel != nil { try verifyPrimaryRole(of: context, at: endpoint) }
                try loadLibraries(on: context)
                try context.setTimeout(configuration.commandTimeout)
                return context
            }
            // Without a password every command after the missing AUTH says NOAUTH, not only PING.
            if refusal.error.code == "NOAUTH" { throw missingPasswordError }
            guard let state = refusal.error.transientState else { throw refusal.explain(refusal.error) }
            let remaining = deadline - .now
            if interruptWait?() == true {
                throw RedisClientError(.connectFailed, "Stopped waiting for Redis at \(configuration): \(state.reason) (\(refusal.error.message)).",
                                       recoverySuggestion: "The connection was not opened because its owner is stopping.")
            }
            guard remaining > .zero else { throw gaveUpError(refusal.error, state) }
            waitingOut = (refusal.error, state)
            if !waitReported {
                waitReported = true
                onWaitingForServer?(refusal.error)
            }
            sleep(for: min(pause, remaining))
            pause = min(pause * 2, .milliseconds(500))
        }
    }

    /// A context to the first seed that accepts a connection, in the URL's order (one seed for
    /// a URL that names one server).
    private func connect(toFirstOf seeds: [RedisConfiguration.Endpoint], before deadline: ContinuousClock.Instant) throws(RedisClientError) -> RedisWire {
        guard seeds.count > 1 else { return try RedisWire.connect(to: seeds[0], timeout: max(deadline - .now, .milliseconds(1)), tls: configuration.tls) }
        var failures: [String] = []
        for seed in seeds {
            do {
                return try RedisWire.connect(to: seed, timeout: max(deadline - .now, .milliseconds(1)), tls: configuration.tls)
            } catch {
                failures.append(error.message)
            }
        }
        throw RedisClientError(.connectFailed, "Could not connect to any seed of \(configuration): " + failures.joined(separator: " "),
                               recoverySuggestion: "Check that the Redis nodes listed in REDIS_URL are running and reachable.")
    }

    /// The error of a connect whose timeout ran out while the server refused for a while.
    private func gaveUpError(_ refusal: RedisServerError, _ state: (reason: String, advice: String)) -> RedisClientError {
        RedisClientError(
            .connectFailed,
            "Gave up connecting to Redis at \(configuration) after the connect timeout (\(configuration.connectTimeout.shortDescription)): "
                + "\(state.reason) (\(refusal.message)).",
            recoverySuggestion: state.advice)
    }

    /// Loads ``librariesLoadedOnConnect`` on a connection that has passed its set-up, in one
    /// round trip of its own: Redis drops a connection that sends a large argument before it
    /// has authenticated, which would hide a refused password behind a reset.
    private func loadLibraries(on context: RedisWire) throws(RedisClientError) {
        guard !librariesLoadedOnConnect.isEmpty else { return }
        for library in librariesLoadedOnConnect { try context.append(RedisCommand("FUNCTION", "LOAD", "REPLACE", library.source)) }
        var refusal: (library: String, error: RedisServerError)?
        for library in librariesLoadedOnConnect {
            if case .error(let error) = try context.readReply(for: "FUNCTION"), refusal == nil { refusal = (library.name, error) }
        }
        guard let refusal else { return }
        throw RedisClientError(
            .connectFailed, "Redis at \(configuration) refused to load the function library \(refusal.library): \(refusal.error.message)",
            recoverySuggestion: refusal.error.code == "NOPERM"
                ? "Allow this user FUNCTION LOAD (ACL: +function|load)."
                : "The library does not load into this Redis: Redis 7.0 or later is required.")
    }

    /// What a fresh connection sends, each with the error its refusal means.
    private func setupCommands() -> [(RedisCommand, (RedisServerError) -> RedisClientError)] {
        var setup: [(RedisCommand, (RedisServerError) -> RedisClientError)] = []
        if let password = configuration.password {
            let command = configuration.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password)
            setup.append((command, authenticationError))
        } else if let username = configuration.username {
            // A user without a password: right for a `nopass` ACL user, and a clear WRONGPASS
            // otherwise, instead of silently working as the default user.
            setup.append((RedisCommand("AUTH", username, ""), authenticationError))
        }
        if configuration.database != 0 {
            setup.append((RedisCommand("SELECT", configuration.database), { error in
                RedisClientError(.invalidConfiguration, "Redis refused database \(self.configuration.database): \(error.message)",
                                 recoverySuggestion: "Use a database number the server has (see 'databases' in redis.conf).")
            }))
        }
        if let name = configuration.clientName {
            setup.append((RedisCommand("CLIENT", "SETNAME", name), { error in
                RedisClientError(.invalidConfiguration, "Redis refused the client name '\(name)': \(error.message)",
                                 recoverySuggestion: "Use a name without spaces or newlines.")
            }))
        }
        // Always end with PING: a server that accepts and then refuses (maxclients, protected
        // mode) must count as a failed connect, so that reconnecting backs off. PING is also
        // what a loading server or a cut-off replica refuses (AUTH, SELECT pass).
        setup.append((RedisCommand("PING"), { error in
            RedisClientError(.connectFailed, "Redis at \(self.configuration) refused the connection: \(error.message)",
                             recoverySuggestion: "Check the server's maxclients, protected-mode and bind settings.")
        }))
        return setup
    }

    private var missingPasswordError: RedisClientError {
        RedisClientError(.authenticationFailed, "Redis at \(configuration) requires a password and none was given.",
                         recoverySuggestion: "Put the credentials in REDIS_URL (redis://user:password@host) or use --redis-password-file.")
    }

    /// Turns an `AUTH` refusal into an error that names the user but never the password.
    private func authenticationError(_ error: RedisServerError) -> RedisClientError {
        let who = configuration.username.map { "user '\($0)'" } ?? "the default user"
        guard ["WRONGPASS", "NOAUTH", "NOPERM"].contains(error.code) || error.message.contains("password") else {
            return RedisClientError(.connectFailed, "Redis at \(configuration) refused the connection: \(error.message)",
                                    recoverySuggestion: "Check the server's maxclients, protected-mode and bind settings.")
        }
        if error.message.contains("without any password configured") || error.message.contains("no password is set") {
            return RedisClientError(.authenticationFailed, "A password was given but the Redis server at \(configuration) has none configured.",
                                    recoverySuggestion: "Remove the password from REDIS_URL, or set requirepass/ACL users on the server.")
        }
        return RedisClientError(
            .authenticationFailed, "Redis at \(configuration) refused the credentials of \(who) (\(error.code)).",
            recoverySuggestion: "Check the user and password in REDIS_URL or the password file, and that the ACL user is enabled.")
    }

    /// Sleeps, in steps, until `duration` passed or ``interruptWait`` says to stop.
    func sleep(for duration: Duration) {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end, interruptWait?() != true {
            let step = min(end - ContinuousClock.now, .milliseconds(50))
            var request = timespec(tv_sec: Int(step.components.seconds), tv_nsec: Int(step.components.attoseconds / 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
        }
    }
}

/// Ignores SIGPIPE once per process, the first time a connection is created.
private let ignoreBrokenPipeSignal: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
