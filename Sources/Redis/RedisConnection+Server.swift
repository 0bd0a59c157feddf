// Server commands: PING, INFO.

extension RedisConnection {
    /// Sends [PING](https://redis.io/commands/ping/) and measures the round trip.
    /// - Returns: The round-trip time of the `PING` itself (the connection is opened first).
    /// - Throws: ``RedisClientError`` if Redis cannot be reached, ``RedisServerError`` if it refuses.
    public func ping() throws -> Duration {
        try connect()
        let clock = ContinuousClock()
        let start = clock.now
        try send(["PING"])
        return clock.now - start
    }

    /// Reads a section of [INFO](https://redis.io/commands/info/) as fields.
    /// - Throws: ``RedisClientError`` or ``RedisServerError``.
    public func info(_ section: String = "server") throws -> [String: String] {
        let text = try send(RedisCommand("INFO", section)).string ?? ""
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// The server's version, e.g. `7.0.15`, from `INFO server`.
    public func serverVersion() throws -> String {
        try info("server")["redis_version"] ?? "unknown"
    }
}
