// The Redis Cluster side of a RedisConnection: one link per primary, commands sent to the
// primary of their key's slot, redirections followed, pipelines split per node.
//
// The links are RedisConnections themselves (with cluster detection off), used from the
// owner's thread: a pipeline writes every node's part before reading any reply, so the nodes
// work in parallel without a thread per node.

/// Routes the commands of a ``RedisConnection`` that found a Redis Cluster.
final class ClusterRouter {
    typealias Node = RedisConfiguration.Endpoint

    /// The connection this router works for: its configuration, hooks and sleep.
    private unowned let owner: RedisConnection
    private var map: ClusterSlotMap
    private var links: [Node: RedisConnection] = [:]
    /// The nodes written to since the last ``waitForReplicas(_:timeout:)``, each with its
    /// link's connect count at the first such write: `WAIT` covers only the writes of the
    /// connection it runs on, so a link that reconnected since cannot confirm them.
    private var written: [Node: Int] = [:]
    /// A node written to since the last wait stopped being a primary (a failover): its
    /// writes may be lost, and no `WAIT` can say otherwise.
    private var writesOnRetiredNode = false
    private var lastRefresh = ContinuousClock.now
    /// A command failed on a link that may be gone: refresh the map before the next one.
    private var mapIsSuspect = false
    /// Connects made by links since closed (they still count in ``connectCount``).
    private var retiredConnects = 0
    private var isClosed = false
    /// How often a `MOVED` may have the whole map read again.
    var refreshInterval: Duration = .milliseconds(250)
    /// How many redirections one command follows before its last reply is returned as it is.
    private let maximumRedirections = 16
    /// Pauses between attempts while the cluster says `TRYAGAIN` / `CLUSTERDOWN` or a primary is
    /// unreachable (a replica is being promoted): short at first, since a failover takes seconds.
    private let retryBackoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(500), jitter: 0.5)

    init(owner: RedisConnection, map: ClusterSlotMap) {
        self.owner = owner
        self.map = map
    }

    /// Connections opened by the links so far.
    var connectCount: Int { retiredConnects + links.values.reduce(0) { $0 + $1.connectCount } }

    /// Whether a link to some node is open.
    var isConnected: Bool { links.values.contains { $0.isConnected } }

    /// Closes every link; links made afterwards are closed from the start, so every later
    /// command fails with kind `.closed` as on a single Redis.
    func close() {
        isClosed = true
        for link in links.values { link.close() }
    }

    /// Opens a link to some primary, if none is open.
    func connect() throws(RedisClientError) {
        if !isConnected { _ = try attempt { () throws(RedisClientError) in try link(to: anyPrimary()).connect() } }
    }

    // MARK: - Commands

    /// Sends a command to the primary of its key's slot (any primary for a command without
    /// keys), following `MOVED` and `ASK` and retrying within the command timeout while the
    /// cluster is reconfiguring.
    func send(_ command: RedisCommand, timeout: Duration?) throws(RedisClientError) -> RedisValue {
        refreshIfSuspect()
        let slot = ClusterKeyPosition.slot(of: command)
        var target = route(slot)
        var asking = false
        var redirections = 0
        var retries = RetryBudget(owner.configuration.commandTimeout)
        while true {
            let reply: RedisValue
            let link = link(to: target)
            do throws(RedisClientError) {
                if asking { _ = try link.sendReturningErrors(["ASKING"]) }
                reply = try link.sendReturningErrors(command, timeout: timeout)
                if !command.isReadOnly { noteWrite(on: target, link) }
            } catch {
                if error.commandMayHaveRun, !command.isReadOnly { noteWrite(on: target, link) }
                try recover(from: error, at: [target], retries: &retries)
                target = route(slot)
                asking = false
                continue
            }
            guard let redirection = redirection(of: reply, from: target, routedBySlot: slot != nil) else { return reply }
            switch redirection {
            case .moved(let node), .ask(let node):
                guard redirections < maximumRedirections else { return reply }
                redirections += 1
                (target, asking) = (node, redirection.isAsk)
            case .tryAgain:
                guard retries.wait(retryBackoff, owner) else { return reply }
                asking = false
                target = route(slot)
            }
        }
    }

    /// Sends commands in one round trip per node: every node's share is written before any
    /// reply is read. Replies come back in the order of `commands`; a command redirected or
    /// told to try again is re-sent in a further round (after the others of the same round).
    func pipeline(_ commands: [RedisCommand]) throws(RedisClientError) -> [RedisValue] {
        refreshIfSuspect()
        var replies = [RedisValue](repeating: .null, count: commands.count)
        let slots = commands.map(ClusterKeyPosition.slot(of:))
        var pending: [(index: Int, node: Node, asking: Bool)] = []
        for index in commands.indices { pending.append((index, route(slots[index]), false)) }
        var redirections = 0
        var retries = RetryBudget(owner.configuration.commandTimeout)
        // Once a share was written, a later failure must not say that nothing ran.
        var anyShareWritten = false
        func failure(_ error: RedisClientError) -> RedisClientError {
            guard anyShareWritten, !error.commandMayHaveRun else { return error }
            return RedisClientError(error.kind, error.message, recoverySuggestion: error.recoverySuggestion, commandMayHaveRun: true)
        }
        while !pending.isEmpty {
            var order: [Node] = []
            var shares: [Node: [(index: Int, asking: Bool)]] = [:]
            for item in pending {
                if shares[item.node] == nil { order.append(item.node) }
                shares[item.node, default: []].append((item.index, item.asking))
            }
            pending = []
            // Write every node's share first, so the nodes work at the same time.
            var unreachable: [Node: RedisClientError] = [:]
            var lost: RedisClientError?
            var sent: [(node: Node, link: RedisConnection, context: RedisWire, share: [(index: Int, asking: Bool)])] = []
            for node in order {
                let link = link(to: node), share = shares[node]!
                do throws(RedisClientError) {
                    let context = try link.openContext()
                    try link.guarded { () throws(RedisClientError) in
                        for item in share {
                            if item.asking { try context.append(["ASKING"]) }
                            try context.append(commands[item.index])
                        }
                        try context.flush()
                    }
                    anyShareWritten = true
                    if share.contains(where: { !commands[$0.index].isReadOnly }) { noteWrite(on: node, link) }
                    sent.append((node, link, context, share))
                } catch where !error.commandMayHaveRun {
                    unreachable[node] = error
                    pending += share.map { ($0.index, node, false) }
                } catch {
                    anyShareWritten = true
                    if share.contains(where: { !commands[$0.index].isReadOnly }) { noteWrite(on: node, link) }
                    lost = lost ?? error
                }
            }
            // Then read every reply, even after a failure, so each link stays in step.
            var answered: [(node: Node, share: [(index: Int, asking: Bool)])] = []
            for (node, link, context, share) in sent {
                do throws(RedisClientError) {
                    try link.guarded { () throws(RedisClientError) in
                        for item in share {
                            if item.asking { _ = try context.readReply(for: "ASKING") }
                            replies[item.index] = try context.readReply(for: commands[item.index].name)
                        }
                    }
                    answered.append((node, share))
                } catch {
                    lost = lost ?? error
                }
            }
            // Only now, with no reply outstanding on any link, may a MOVED refresh the map.
            for (node, share) in answered {
                for item in share {
                    guard let redirection = redirection(of: replies[item.index], from: node, routedBySlot: slots[item.index] != nil) else { continue }
                    switch redirection {
                    case .moved(let target), .ask(let target):
                        guard redirections < maximumRedirections * commands.count else { continue }
                        redirections += 1
                        pending.append((item.index, target, redirection.isAsk))
                    case .tryAgain:
                        pending.append((item.index, node, false))
                    }
                }
            }
            if let lost {
                mapIsSuspect = true
                throw failure(lost)
            }
            guard !pending.isEmpty else { break }
            if let error = unreachable.values.first {
                do throws(RedisClientError) {
                    try recover(from: error, at: Set(unreachable.keys), retries: &retries)
                } catch {
                    throw failure(error)
                }
                pending = pending.map { item in (item.index, unreachable[item.node] != nil ? route(slots[item.index]) : item.node, item.asking) }
            } else if pending.contains(where: { replies[$0.index].serverError.map(isTryAgain) == true }) {
                guard retries.wait(retryBackoff, owner) else { break }  // out of time: the TRYAGAIN / CLUSTERDOWN replies stay in place
                pending = pending.map { item in replies[item.index].serverError.map(isTryAgain) == true ? (item.index, route(slots[item.index]), false) : item }
            }
        }
        return replies
    }

    // MARK: - Topology

    /// Sends a command to every primary; error replies stay in place. A primary that cannot
    /// be reached has the map read again, and the primaries of the new map not yet asked are.
    func sendToEveryPrimary(_ command: RedisCommand, timeout: Duration?) throws(RedisClientError) -> [(node: String, reply: RedisValue)] {
        refreshIfSuspect()
        var replies: [(node: String, reply: RedisValue)] = []
        var asked = Set<Node>()
        var retries = RetryBudget(owner.configuration.commandTimeout)
        while let node = map.primaries.first(where: { !asked.contains($0) }) {
            do throws(RedisClientError) {
                replies.append((node.description, try link(to: node).sendReturningErrors(command, timeout: timeout)))
                asked.insert(node)
            } catch {
                try recover(from: error, at: [node], retries: &retries)
            }
        }
        return replies
    }

    /// Sends a command to one primary named as ``sendToEveryPrimary(_:timeout:)`` names it.
    func send(_ command: RedisCommand, toPrimary name: String, timeout: Duration?) throws(RedisClientError) -> RedisValue {
        guard let node = map.primaries.first(where: { $0.description == name }) else {
            throw RedisClientError(.invalidConfiguration, "\(name) is not a primary of the Redis Cluster at \(owner.configuration).",
                                   recoverySuggestion: "The cluster changed (a failover or a reshard): start again from sendToEveryPrimary.")
        }
        return try link(to: node).sendReturningErrors(command, timeout: timeout)
    }

    /// `WAIT` on every primary written to since the last call (every primary if none was).
    /// Writes that no `WAIT` can confirm (made on a link that reconnected since, or on a node
    /// that stopped being a primary) make it report 0. The writes are forgotten only once
    /// every `WAIT` succeeded: after a failure, the next call asks again.
    func waitForReplicas(_ replicas: Int, timeout: Duration) throws -> Int {
        let nodes = written.isEmpty ? map.primaries : Array(written.keys)
        var fewest = writesOnRetiredNode ? 0 : Int.max
        let milliseconds = max(1, timeout.wholeMilliseconds)
        for node in nodes {
            let link = link(to: node)
            let reply = try link.send(RedisCommand("WAIT", replicas, milliseconds), timeout: timeout + owner.configuration.commandTimeout)
            let sameConnection = written[node].map { $0 == link.connectCount } ?? true
            fewest = min(fewest, sameConnection ? reply.int ?? 0 : 0)
        }
        written = [:]
        writesOnRetiredNode = false
        return fewest == .max ? 0 : fewest
    }

    /// Records a write on a node, with the connection of its link that ran it.
    private func noteWrite(on node: Node, _ link: RedisConnection) {
        if written[node] == nil { written[node] = link.connectCount }
    }

    /// Loads a function library on every primary.
    func loadEverywhere(_ library: RedisFunctionLibrary) throws {
        for (_, reply) in try sendToEveryPrimary(RedisCommand("FUNCTION", "LOAD", "REPLACE", library.source), timeout: nil) {
            _ = try reply.orThrow()
        }
    }

    // MARK: - Links and the map

    /// The link to a node, created on first use with the owner's settings.
    func link(to node: Node) -> RedisConnection {
        if let link = links[node] { return link }
        let link = RedisConnection(nodeOf: owner, at: node)
        if isClosed { link.close() }
        links[node] = link
        return link
    }

    /// The primary serving a slot, as far as the map knows.
    func primary(ofSlot slot: Int) -> Node { route(slot) }

    /// The primary of a slot; any primary for a command without a known key.
    private func route(_ slot: Int?) -> Node {
        if let slot, let node = map.primary(ofSlot: slot) { return node }
        return anyPrimary()
    }

    /// The primary a command without keys goes to: one already linked if any. A cluster
    /// whose slots are not assigned yet (being set up) has none: the first seed answers then.
    private func anyPrimary() -> Node {
        map.primaries.first { links[$0]?.isConnected == true } ?? map.primaries.first ?? owner.configuration.endpoint
    }

    /// Runs an operation, refreshing the map and trying again while a node is unreachable,
    /// within the command timeout.
    private func attempt<T>(_ operation: () throws(RedisClientError) -> T) throws(RedisClientError) -> T {
        var retries = RetryBudget(owner.configuration.commandTimeout)
        while true {
            do throws(RedisClientError) {
                return try operation()
            } catch {
                try recover(from: error, at: [], retries: &retries)
            }
        }
    }

    /// After a link failed: rethrows if the command may have run or time is up; otherwise
    /// (the node could not be reached: a primary that died, whose replica is being promoted)
    /// waits a little and refreshes the map from another node, for the caller to try again.
    private func recover(from error: RedisClientError, at nodes: Set<Node>, retries: inout RetryBudget) throws(RedisClientError) {
        guard !error.commandMayHaveRun, error.kind == .connectFailed || error.kind == .connectionLost,
              retries.wait(retryBackoff, owner) else {
            mapIsSuspect = true
            throw error
        }
        refresh(avoiding: nodes)
    }

    private func refreshIfSuspect() {
        guard mapIsSuspect else { return }
        mapIsSuspect = false
        refresh(avoiding: [])
    }

    /// Reads the map again from the first node that answers: linked primaries first, then
    /// the other primaries, then the seeds. Keeps the current map if none answers.
    func refresh(avoiding avoided: Set<Node> = []) {
        lastRefresh = .now
        var candidates = map.primaries.filter { links[$0]?.isConnected == true }
        for node in map.primaries + owner.configuration.seeds where !candidates.contains(node) { candidates.append(node) }
        for node in candidates where !avoided.contains(node) {
            let link = link(to: node)
            guard let fresh = try? ClusterSlotMap.fetch(host: node.host, send: { command throws(RedisClientError) in try link.sendReturningErrors(command) }),
                  !fresh.primaries.isEmpty else { continue }
            map = fresh
            retireLinks(except: Set(fresh.primaries))
            return
        }
    }

    /// Closes links to nodes that are no longer primaries (a failed-over primary now a replica).
    private func retireLinks(except primaries: Set<Node>) {
        for (node, link) in links where !primaries.contains(node) {
            retiredConnects += link.connectCount
            link.close()
            links[node] = nil
            if written.removeValue(forKey: node) != nil { writesOnRetiredNode = true }
        }
    }

    enum Redirection {
        case moved(Node)
        case ask(Node)
        case tryAgain

        var isAsk: Bool {
            if case .ask = self { return true }
            return false
        }
    }

    /// What a reply asks the client to do instead, if anything. A `MOVED` refreshes the whole
    /// map (at most every 250 ms) when the map was wrong, then records its own answer: the
    /// node asked for the map may lag behind the one that redirected.
    func redirection(of reply: RedisValue, from node: Node, routedBySlot: Bool) -> Redirection? {
        guard case .error(let error) = reply else { return nil }
        if isTryAgain(error) { return .tryAgain }
        guard error.code == "MOVED" || error.code == "ASK" else { return nil }
        let parts = error.message.split(separator: " ")
        guard parts.count == 3, let slot = Int(parts[1]), let colon = parts[2].lastIndex(of: ":"),
              let port = Int(parts[2][parts[2].index(after: colon)...]) else { return nil }
        let host = String(parts[2][..<colon])
        let target = Node.tcp(host: host.isEmpty ? node.host : host, port: port)
        guard error.code == "MOVED" else { return .ask(target) }
        if routedBySlot, ContinuousClock.now - lastRefresh >= refreshInterval { refresh() }
        map.assign(slot: slot, to: target)
        return .moved(target)
    }

    private func isTryAgain(_ error: RedisServerError) -> Bool { error.code == "TRYAGAIN" || error.code == "CLUSTERDOWN" }
}

/// The time a command may spend retrying, and how many pauses it has taken.
private struct RetryBudget {
    let deadline: ContinuousClock.Instant
    var pauses = 0

    init(_ limit: Duration) { deadline = .now + limit }

    /// Waits the next backoff step, unless that would pass the deadline or the owner is stopping.
    mutating func wait(_ backoff: Backoff, _ owner: RedisConnection) -> Bool {
        pauses += 1
        let pause = backoff.delay(afterFailures: pauses)
        guard ContinuousClock.now + pause < deadline, owner.interruptWait?() != true else { return false }
        owner.sleep(for: pause)
        return true
    }
}

extension RedisConfiguration.Endpoint {
    /// The host of a TCP endpoint; the empty string for a socket.
    var host: String {
        if case .tcp(let host, _) = self { return host }
        return ""
    }
}
