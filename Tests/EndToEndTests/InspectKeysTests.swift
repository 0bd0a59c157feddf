import ChildProcess
import Foundation
import Redis
import Testing
import TestSupport

@Suite("switchboard inspect keys")
struct InspectKeysTests {
    /// Every key under the harness's prefix, as SCAN finds it (the harness has one workspace).
    private func scanned(_ harness: PresenceHarness) throws -> Set<String> {
        var found = Set<String>()
        var cursor = "0"
        repeat {
            let reply = try harness.connection.send(RedisCommand("SCAN", cursor, "MATCH", harness.prefix + ":*", "COUNT", 1000))
            cursor = reply.array?.first?.string ?? "0"
            found.formUnion(reply.array?.last?.array?.compactMap(\.string) ?? [])
        } while cursor != "0"
        return found
    }

    /// The keys `switchboard inspect keys --json` lists.
    private func inspected(_ harness: PresenceHarness) throws -> Set<String> {
        let result = try ChildProcess.run(BuiltProducts.switchboard, ["inspect", "keys", "--json", "--redis", harness.redisURL,
                                                                      "--prefix", harness.prefix, "--workspace", harness.workspace])
        #expect(result.status == 0, "\(result.output)")
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]], "\(result.output)")
        return Set(keys.compactMap { $0["key"] as? String })
    }

    /// Each kind of key exists at one of two moments (a queue and a pool of the same queue
    /// never both hold members); at both, `inspect keys` lists exactly what SCAN finds.
    @Test func listsEveryKeyOfTheDeployment() throws {
        let harness = try PresenceHarness(workers: 1, workerArguments: ["--safety-sweep-interval", "10m"])
        func applied(_ fields: [(String, String)]) throws {
            let outcome = try harness.apply(fields)
            #expect(outcome["outcome"] as? String == "applied", "\(fields) → \(outcome)")
        }
        try applied([("op", "agent.profile"), ("agent", "sup"), ("role", "supervisor")])
        try applied([("op", "workspace.settings"), ("widget_mode", "hours"), ("widget_hours", "mon-sun 00:00-12:00")])
        // b: Busy with room (the busy pools); a: Online with capacity 0 (available, in no pool).
        try applied([("op", "agent.profile"), ("agent", "b"), ("capacity", "5"), ("teams", "sales")])
        try applied([("op", "agent.login"), ("agent", "b"), ("session", "s1")])
        try applied([("op", "agent.status"), ("agent", "b"), ("status", "busy")])
        try applied([("op", "agent.profile"), ("agent", "a"), ("capacity", "0")])
        try applied([("op", "agent.login"), ("agent", "a"), ("session", "s1")])
        try applied([("op", "conversation.new"), ("conversation", "general")])
        try applied([("op", "conversation.new"), ("conversation", "vip"), ("team", "vip")])
        try applied([("op", "conversation.new"), ("conversation", "given"), ("team", "vip")])
        try applied([("op", "conversation.assign"), ("conversation", "given"), ("agent", "b"), ("actor", "sup")])
        // A dead letter, and a reply nobody reads (the next outcome comes after it: one worker).
        try harness.submit([("op", "agent.status"), ("agent", "b"), ("status", "sleeping")])
        let unread = try harness.submit([("op", "agent.heartbeat"), ("agent", "b"), ("session", "s1")], reply: true)
        try applied([("op", "agent.heartbeat"), ("agent", "a"), ("session", "s1")])

        let key = harness.key
        #expect(try eventually { try harness.connection.send(RedisCommand("HEXISTS", key("widget"), "schedule_open")).int == 1 },
                "a worker computes the business hours")
        #expect(try eventually { try harness.connection.send(RedisCommand("EXISTS", "\(harness.prefix):safety-sweep")).int == 1 },
                "a worker takes the safety sweep's lease")
        let first = try scanned(harness)
        let kinds = ["intake", "config", "dead", "sweep", "workspaces", "safety-sweep", "widget-schedule", "workers", "worker:w0", "reply:\(unread)"]
            .map { "\(harness.prefix):\($0)" }
            + ["meta", "agents", "sessions", "events", "settings", "widget", "available", "teams", "queue", "queue:vip", "busy",
               "busy:sales", "agent:b", "agent:b:sessions", "agent:b:log", "agent:b:conversations", "conversation:given"].map(key)
        #expect(Set(kinds).subtracting(first).isEmpty, "keys the test meant to produce: \(Set(kinds).subtracting(first).sorted())")
        let listed = try inspected(harness)
        let same = listed == first
        #expect(same, "missing: \(first.subtracting(listed).sorted()); not under the prefix: \(listed.subtracting(first).sorted())")

        // a gets room and a team: the queues drain to a, whose pools now exist.
        try applied([("op", "agent.profile"), ("agent", "a"), ("capacity", "5"), ("teams", "vip")])
        let second = try scanned(harness)
        #expect(second.isSuperset(of: [key("pool"), key("pool:vip")]), "\(second.sorted())")
        let relisted = try inspected(harness)
        let sameAgain = relisted == second
        #expect(sameAgain, "missing: \(second.subtracting(relisted).sorted()); not under the prefix: \(relisted.subtracting(second).sorted())")
    }
}
