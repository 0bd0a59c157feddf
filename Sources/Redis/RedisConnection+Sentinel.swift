// A connection through Redis Sentinel: the primary is asked for on every (re)connect, its
// role checked, and a link to a primary that was demoted since is dropped.

extension RedisConnection {
    /// Opens a connection to the primary the sentinels name. A primary that cannot be reached
    /// (dead, and the sentinels have not failed over yet) or is not a primary (a failover
    /// under way) is asked for again, with a short pause, until the connect timeout is spent.
    func openPrimary(via resolver: SentinelResolver) throws(RedisClientError) -> RedisWire {
        let deadline = ContinuousClock.now + configuration.connectTimeout
        var pause: Duration = .milliseconds(50)
        while true {
            let primary = try resolver.primary(before: deadline)
            do {
                return try openAndPrepare(at: primary, deadline: deadline)
            } catch where error.kind == .connectFailed {
                guard deadline - .now > pause, interruptWait?() != true else {
                    throw RedisClientError(
                        .connectFailed,
                        "The primary of '\(resolver.masterName)' that the sentinels name (\(primary)) could not be used within the connect timeout (\(configuration.connectTimeout.shortDescription)): \(error.message)",
                        recoverySuggestion: "A failover is probably under way (the sentinels replace a dead primary after their down-after-milliseconds) and the next attempt asks them again; if this lasts, compare SENTINEL MASTER \(resolver.masterName) on each sentinel with INFO replication on the nodes.")
                }
                sleep(for: pause)
                pause = min(pause * 2, .milliseconds(500))
            }
        }
    }

    /// Checks with `ROLE` that the node the sentinels named is a primary: between a failover
    /// and the sentinels' next answer they may still name the old one, now a replica.
    func verifyPrimaryRole(of context: RedisWire, at endpoint: RedisConfiguration.Endpoint) throws(RedisClientError) {
        try context.append(RedisCommand("ROLE"))
        let reply = try context.readReply(for: "ROLE")
        if let refusal = reply.serverError {
            throw RedisClientError(.authenticationFailed, "Redis at \(endpoint) refused ROLE: \(refusal.message)",
                                   recoverySuggestion: "Through Sentinel the user must be allowed ROLE (ACL: +role), which checks that the node named is the primary.")
        }
        let role = reply.array?.first?.string ?? "\(reply)"
        guard role != "master" else { return }
        throw RedisClientError(.connectFailed, "Redis at \(endpoint) is not a primary (ROLE: \(role)).",
                               recoverySuggestion: "The connection asks the sentinels again.")
    }

    /// Drops the link after a `READONLY` reply: the server was a primary when this connection
    /// opened and has been demoted since (a failover). The reply stays as it is, so the caller
    /// sees the refusal; the next command reconnects, which asks the sentinels anew, instead
    /// of retrying on a replica for ever. Any endpoint: a demoted primary behind a DNS name
    /// or proxy is the same case.
    func dropLinkIfDemoted(_ replies: [RedisValue]) {
        if replies.contains(where: { $0.serverError?.code == "READONLY" }) { dropContext() }
    }
}
