import Foundation
import Redis
import Testing
import TestSupport

/// Routing end to end: real workers, real Redis, only the intake contract; each test on a
/// single Redis and on the shared cluster.
@Suite("Routing, end to end")
struct RoutingTests {
    private func login(_ harness: PresenceHarness, _ agent: String, capacity: Int? = nil, teams: String? = nil) throws {
        var profile: [(String, String)] = [("op", "agent.profile"), ("agent", agent)]
        if let capacity { profile.append(("capacity", String(capacity))) }
        if let teams { profile.append(("teams", teams)) }
        if profile.count > 2 { try harness.apply(profile) }
        try harness.apply([("op", "agent.login"), ("agent", agent), ("session", "s")])
    }

    private func new(_ harness: PresenceHarness, _ conversation: String, team: String? = nil, priority: Int? = nil) throws {
        var fields: [(String, String)] = [("op", "conversation.new"), ("conversation", conversation)]
        if let team { fields.append(("team", team)) }
        if let priority { fields.append(("priority", String(priority))) }
        #expect(try harness.apply(fields)["outcome"] as? String == "applied")
    }

    private func assignments(_ harness: PresenceHarness) throws -> [(conversation: String, agent: String)] {
        try harness.events().filter { $0["type"] == "assigned" }.map { ($0["conversation_id"] ?? "", $0["agent_id"] ?? "") }
    }

    private func conversation(_ harness: PresenceHarness, _ id: String) throws -> [String: String] {
        try harness.connection.send(RedisCommand("HGETALL", harness.key("conversation:\(id)"))).stringPairs ?? [:]
    }

    @Test(arguments: Topology.withTLS)
    func queueOrderIsPriorityThenArrivalAndDrainsWhenAnAgentArrives(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try new(harness, "c1")
        try new(harness, "c2", priority: 5)
        try new(harness, "c3")
        try new(harness, "c4", priority: 5)
        #expect(try assignments(harness).isEmpty)
        try login(harness, "a", capacity: 10)
        #expect(try assignments(harness).map(\.conversation) == ["c2", "c4", "c1", "c3"])
    }

    @Test(arguments: Topology.withTLS)
    func roundRobinSpreadsEvenly(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        for agent in ["a", "b", "c"] { try login(harness, agent, capacity: 10) }
        for index in 0..<9 { try new(harness, "c\(index)") }
        let counts = Dictionary(grouping: try assignments(harness), by: \.agent).mapValues(\.count)
        #expect(counts == ["a": 3, "b": 3, "c": 3])
    }

    @Test(arguments: Topology.withTLS)
    func leastLoadedPicksTheAgentWithFewestOpenConversations(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "workspace.settings"), ("routing", "least_loaded")])
        try login(harness, "a", capacity: 5)
        try new(harness, "c1")
        try new(harness, "c2")
        try login(harness, "b", capacity: 5)
        try new(harness, "c3")
        try new(harness, "c4")  // a has 2, b has 1: b, although b was assigned more recently
        #expect(try assignments(harness).map(\.agent) == ["a", "a", "b", "b"])
    }

    @Test(arguments: Topology.withTLS)
    func capacityIsNeverExceededAndAClosedConversationMakesRoom(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try login(harness, "a", capacity: 1)
        try new(harness, "c1")
        try new(harness, "c2")
        #expect(try conversation(harness, "c2")["state"] == "queued")
        #expect(try harness.agent("a")["load"] == "1")
        try harness.apply([("op", "conversation.close"), ("conversation", "c1")])
        #expect(try conversation(harness, "c2")["agent"] == "a")
        #expect(try conversation(harness, "c1")["state"] == "closed")
        #expect(try harness.agent("a")["load"] == "1")
    }

    @Test(arguments: Topology.withTLS)
    func awayDndAndOfflineAgentsGetNothingUntilTheyAreOnline(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try login(harness, "a")
        for status in ["away", "dnd", "offline"] {
            try harness.apply([("op", "agent.status"), ("agent", "a"), ("status", status)])
            try new(harness, "c-\(status)")
            #expect(try conversation(harness, "c-\(status)")["state"] == "queued")
        }
        try harness.apply([("op", "agent.status"), ("agent", "a"), ("status", "online")])
        #expect(try assignments(harness).count == 3)
    }

    @Test(arguments: Topology.withTLS)
    func busyAgentsTakeConversationsOnlyAsAFallback(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try login(harness, "busy1")
        try harness.apply([("op", "agent.status"), ("agent", "busy1"), ("status", "busy")])
        try new(harness, "c1")
        #expect(try conversation(harness, "c1")["state"] == "queued")
        try harness.apply([("op", "workspace.settings"), ("busy_fallback", "true")])
        #expect(try conversation(harness, "c1")["agent"] == "busy1")
        try login(harness, "free")
        try new(harness, "c2")
        #expect(try conversation(harness, "c2")["agent"] == "free", "an Online agent with room goes first")
        let event = try #require(try harness.events().first { $0["type"] == "assigned" && $0["conversation_id"] == "c1" })
        #expect(event["agent_status"] == "busy")
    }

    @Test(arguments: Topology.withTLS)
    func teamsRouteToTheirMembers(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try login(harness, "s1", teams: "sales")
        try login(harness, "h1", teams: "support")
        try new(harness, "c1", team: "support")
        try new(harness, "c2", team: "sales")
        try new(harness, "c3", team: "billing")
        #expect(try conversation(harness, "c1")["agent"] == "h1")
        #expect(try conversation(harness, "c2")["agent"] == "s1")
        #expect(try conversation(harness, "c3")["state"] == "queued")
    }

    @Test(arguments: Topology.withTLS)
    func acceptChatsAfterLoginOffKeepsConversationsAwayUntilOnline(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.profile"), ("agent", "a"), ("accept_chats_after_login", "false")])
        try login(harness, "a")
        try new(harness, "c1")
        #expect(try conversation(harness, "c1")["state"] == "queued")
        try harness.apply([("op", "agent.status"), ("agent", "a"), ("status", "online")])
        #expect(try conversation(harness, "c1")["agent"] == "a")
    }

    @Test(arguments: Topology.withTLS)
    func aCloseThatOvertakesItsNewDoesNotResurrectTheConversation(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try login(harness, "a")
        try harness.apply([("op", "conversation.close"), ("conversation", "c9")])
        let outcome = try harness.apply([("op", "conversation.new"), ("conversation", "c9")])
        #expect(outcome["outcome"] as? String == "stale")
        #expect(try conversation(harness, "c9")["state"] == "closed")
        #expect(try assignments(harness).isEmpty)
    }

    @Test(arguments: Topology.withTLS)
    func withAIChatOnAnUnassignedConversationAlsoWaitsForABot(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "workspace.settings"), ("ai_chat", "true")])
        try new(harness, "c1")
        #expect(try harness.events().contains { $0["type"] == "waiting" && $0["conversation_id"] == "c1" })
        #expect(try conversation(harness, "c1")["state"] == "queued")
    }

    @Test(arguments: Topology.withTLS)
    func expiryTakesAnAgentOutOfThePool(topology: Topology) throws {
        let harness = try PresenceHarness(workers: 2, workerArguments: ["--session-ttl", "1s"], topology: topology)
        let (subscriber, broadcasts) = try harness.subscribe()
        defer { subscriber.stop() }
        try login(harness, "a")
        #expect(broadcasts.wait(upTo: 20) { $0.map(PresenceHarness.decode).contains { $0["reason"] as? String == "expired" } })
        try new(harness, "c1")
        #expect(try conversation(harness, "c1")["state"] == "queued")
    }
}

@Suite("Manual assignment, transfer and reassignment, end to end")
struct ManualRoutingTests {
    private func conversation(_ harness: PresenceHarness, _ id: String) throws -> [String: String] {
        try harness.connection.send(RedisCommand("HGETALL", harness.key("conversation:\(id)"))).stringPairs ?? [:]
    }

    private func setUp(_ harness: PresenceHarness, _ agent: String, capacity: Int, teams: String? = nil) throws {
        var profile: [(String, String)] = [("op", "agent.profile"), ("agent", agent), ("capacity", String(capacity))]
        if let teams { profile.append(("teams", teams)) }
        try harness.apply(profile)
        try harness.apply([("op", "agent.login"), ("agent", agent), ("session", "s")])
    }

    @Test(arguments: Topology.withTLS)
    func manualAssignmentRecordsTheAgentsStatusAndNeedsAnExplicitOverCapacity(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.profile"), ("agent", "sup"), ("role", "supervisor")])
        try setUp(harness, "a", capacity: 1)
        try harness.apply([("op", "agent.status"), ("agent", "a"), ("status", "away")])
        try harness.apply([("op", "conversation.new"), ("conversation", "c1")])
        try harness.apply([("op", "conversation.new"), ("conversation", "c2")])
        #expect(try harness.apply([("op", "conversation.assign"), ("conversation", "c1"), ("agent", "a"), ("actor", "sup")])["outcome"] as? String == "applied")
        let event = try #require(try harness.events().first { $0["type"] == "assigned" && $0["conversation_id"] == "c1" })
        #expect(event["agent_status"] == "away" && event["reason"] == "manual" && event["actor"] == "sup")

        let full = try harness.apply([("op", "conversation.assign"), ("conversation", "c2"), ("agent", "a"), ("actor", "sup")])
        #expect(full["outcome"] as? String == "rejected" && (full["error"] as? String)?.contains("over_capacity") == true)
        let forced = try harness.apply([("op", "conversation.assign"), ("conversation", "c2"), ("agent", "a"), ("actor", "sup"), ("over_capacity", "true")])
        #expect(forced["outcome"] as? String == "applied")
        #expect(try harness.agent("a")["load"] == "2")

        let peer = try harness.apply([("op", "conversation.assign"), ("conversation", "c2"), ("agent", "sup"), ("actor", "a")])
        #expect(peer["outcome"] as? String == "rejected")
    }

    @Test(arguments: Topology.withTLS)
    func aTransferLeavesTheAgentAndIsRoutedInTheNewTeam(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try setUp(harness, "h1", capacity: 2, teams: "support")
        try setUp(harness, "s1", capacity: 2, teams: "sales")
        try harness.apply([("op", "conversation.new"), ("conversation", "c1"), ("team", "support")])
        #expect(try conversation(harness, "c1")["agent"] == "h1")
        try harness.apply([("op", "agent.status"), ("agent", "h1"), ("status", "dnd")])
        #expect(try harness.apply([("op", "conversation.transfer"), ("conversation", "c1"), ("team", "sales"), ("actor", "h1")])["outcome"] as? String == "applied")
        #expect(try conversation(harness, "c1")["agent"] == "s1")
        #expect(try harness.agent("h1")["load"] == "0")
        #expect(try harness.events().contains { $0["type"] == "transferred" && $0["previous_team"] == "support" })
    }

    @Test(arguments: Topology.withTLS)
    func offlineAgentsKeepTheirConversationsUntilReassignedInTheirOriginalOrder(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.profile"), ("agent", "boss"), ("role", "admin")])
        try setUp(harness, "a", capacity: 3)
        for id in ["c1", "c2", "c3"] { try harness.apply([("op", "conversation.new"), ("conversation", id)]) }
        try harness.apply([("op", "agent.logout"), ("agent", "a"), ("session", "s")])
        #expect(try harness.agent("a")["load"] == "3", "offline agents keep their open conversations")

        try harness.apply([("op", "agent.reassign"), ("agent", "a"), ("actor", "boss")])
        #expect(try harness.agent("a")["load"] == "0")
        #expect(try ["c1", "c2", "c3"].allSatisfy { try conversation(harness, $0)["state"] == "queued" })
        try setUp(harness, "b", capacity: 3)
        let order = try harness.events().filter { $0["type"] == "assigned" && $0["agent_id"] == "b" }.compactMap { $0["conversation_id"] }
        #expect(order == ["c1", "c2", "c3"])

        try setUp(harness, "c", capacity: 3)
        try harness.apply([("op", "agent.reassign"), ("agent", "b"), ("to", "c"), ("actor", "boss")])
        #expect(try harness.agent("c")["load"] == "3" && harness.agent("b")["load"] == "0")
    }
}

@Suite("Routing details found in review")
struct RoutingReviewTests {
    @Test(arguments: Topology.withTLS)
    func anAgentServingSeveralQueuesTakesTheBestHeadFirst(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "conversation.new"), ("conversation", "general-low")])
        try harness.apply([("op", "conversation.new"), ("conversation", "sales-high"), ("team", "sales"), ("priority", "9")])
        try harness.apply([("op", "agent.profile"), ("agent", "a"), ("teams", "sales"), ("capacity", "1")])
        try harness.apply([("op", "agent.login"), ("agent", "a"), ("session", "s")])
        let first = try harness.events().first { $0["type"] == "assigned" }
        #expect(first?["conversation_id"] == "sales-high")
    }

    @Test(arguments: Topology.withTLS)
    func closingAnUnassignedConversationNamesNoAgent(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "conversation.new"), ("conversation", "c1")])
        try harness.apply([("op", "conversation.close"), ("conversation", "c1")])
        let closed = try #require(try harness.events().first { $0["type"] == "closed" })
        #expect(closed["agent_id"] == nil)
    }

    @Test(arguments: Topology.withTLS)
    func reassigningAnOnlineAgentGivesOthersTheFirstPick(topology: Topology) throws {
        let harness = try PresenceHarness(topology: topology)
        try harness.apply([("op", "agent.profile"), ("agent", "boss"), ("role", "admin")])
        try harness.apply([("op", "agent.profile"), ("agent", "a"), ("capacity", "2")])
        try harness.apply([("op", "agent.login"), ("agent", "a"), ("session", "s")])
        try harness.apply([("op", "conversation.new"), ("conversation", "c1")])
        try harness.apply([("op", "agent.profile"), ("agent", "b"), ("capacity", "2")])
        try harness.apply([("op", "agent.login"), ("agent", "b"), ("session", "s")])
        let id = try harness.submit([("op", "agent.reassign"), ("agent", "a"), ("actor", "boss")], reply: true)
        _ = try harness.connection.send(RedisCommand("BLPOP", "\(harness.prefix):reply:\(id)", "15"), timeout: .seconds(17))
        let c1 = try harness.connection.send(RedisCommand("HGET", harness.key("conversation:c1"), "agent")).string
        #expect(c1 == "b")
    }
}
