// Asks Redis Sentinel where the primary is: one sentinel after another until one answers.

/// Finds the current primary of a group that sentinels monitor, with
/// `SENTINEL get-master-addr-by-name`.
///
/// Sentinels are asked in turn, starting with the one that answered last; one that is down,
/// slow or refuses is skipped for the next. The connect timeout is shared among the sentinels
/// still to ask, so a black-holed one cannot use it all. Each resolution opens and closes its
/// own short connection: a sentinel is asked only when a data connection (re)opens.
final class SentinelResolver {
    /// The name the sentinels monitor the primary under.
    let masterName: String
    /// The sentinels, in the order of the URL.
    let sentinels: [RedisConfiguration.Endpoint]
    private let password: String?
    /// TLS to the sentinels (a `rediss-sentinel://` URL), `nil` for plain text.
    private let tls: RedisTLSConfiguration?
    /// The sentinel to ask first: the one that answered last.
    private var preferred = 0

    init(masterName: String, sentinels: [RedisConfiguration.Endpoint], password: String?, tls: RedisTLSConfiguration?) {
        self.masterName = masterName
        self.sentinels = sentinels
        self.password = password
        self.tls = tls
    }

    /// The address of the primary that the first sentinel to answer names.
    /// - Throws: ``RedisClientError`` of kind `.connectFailed` when no sentinel answered before
    ///   `deadline`, `.invalidConfiguration` when those that answered monitor no such name.
    func primary(before deadline: ContinuousClock.Instant) throws(RedisClientError) -> RedisConfiguration.Endpoint {
        var failures: [String] = []
        var unaware: [String] = []
        for step in sentinels.indices {
            let index = (preferred + step) % sentinels.count
            let sentinel = sentinels[index]
            let remaining = deadline - .now
            guard remaining > .zero else {
                failures.append("\(sentinel) (not asked: the connect timeout was spent)")
                continue
            }
            let share = min(remaining, max(remaining / (sentinels.count - step), .milliseconds(100)))
            do throws(RedisClientError) {
                if let primary = try ask(sentinel, timeout: share) {
                    preferred = index
                    return primary
                }
                unaware.append(sentinel.description)
            } catch {
                failures.append("\(sentinel) (\(error.message))")
            }
        }
        if !unaware.isEmpty {
            throw RedisClientError(
                .invalidConfiguration,
                "The sentinels at \(unaware.joined(separator: ", ")) monitor no primary named '\(masterName)'"
                    + (failures.isEmpty ? "." : "; the others did not answer: \(failures.joined(separator: "; "))."),
                recoverySuggestion: "Check the name at the end of REDIS_URL against the sentinels' configuration (redis-cli -p <sentinel port> SENTINEL MASTERS lists the names they monitor).")
        }
        throw RedisClientError(
            .connectFailed,
            "No sentinel answered where the primary '\(masterName)' is: \(failures.joined(separator: "; ")).",
            recoverySuggestion: "Check that the sentinels listed in REDIS_URL are running and reachable from here (redis-cli -p <sentinel port> SENTINEL get-master-addr-by-name \(masterName)).")
    }

    /// One sentinel's answer: the primary's address, or `nil` if it monitors no such name.
    private func ask(_ sentinel: RedisConfiguration.Endpoint, timeout: Duration) throws(RedisClientError) -> RedisConfiguration.Endpoint? {
        let context = try RedisWire.connect(to: sentinel, timeout: timeout, tls: tls)
        try context.setTimeout(timeout)
        if let password { try context.append(RedisCommand("AUTH", password)) }
        try context.append(RedisCommand("SENTINEL", "get-master-addr-by-name", masterName))
        if password != nil, case .error(let refusal) = try context.readReply(for: "AUTH") {
            throw RedisClientError(.authenticationFailed, "it refused the sentinel password (\(refusal.code))",
                                   recoverySuggestion: "Check sentinel_password in REDIS_URL.")
        }
        let reply = try context.readReply(for: "SENTINEL")
        if reply.isNull { return nil }
        if let refusal = reply.serverError {
            let what = refusal.message.contains("unknown command") ? "it is not a sentinel: \(refusal.message)" : refusal.message
            throw RedisClientError(.connectFailed, what, recoverySuggestion: "List sentinel addresses in a redis-sentinel:// URL.")
        }
        guard let parts = reply.array, parts.count == 2, let host = parts[0].string, let port = parts[1].int else {
            throw RedisClientError(.protocolError, "it answered with \(reply), not an address", recoverySuggestion: "Check that it is a Redis Sentinel.")
        }
        return .tcp(host: host, port: port)
    }
}
