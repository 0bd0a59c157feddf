// Scenario: heartbeats, status changes and routing with workspaces spread over the primaries of a Redis
// Cluster (3 primaries, and 1 for the cost of cluster mode alone), next to the same work on
// the single Redis: Redis's own time on each node (INFO commandstats), how evenly it splits
// over the primaries, and what one entry costs in each topology.
import Foundation
import Redis
import Switchboard

enum ClusterScenario {
    /// Intake streams, 2 per primary of the 3-primary cluster.
    static let intakeShards = 6
    static let workspacesPerPrimary = 4
    static let agentsPerWorkspace = 500
    /// The commands whose time is the work of applying entries: the functions, and the
    /// worker's reads and acknowledgements of the intake. Commands called by a function are
    /// inside its time (and counted again on their own by Redis: left out here); the
    /// benchmark's own polling (XLEN, XPENDING, INFO) is left out too.
    static let workCommands: Set<String> = ["fcall", "fcall_ro", "evalsha", "xreadgroup", "xack", "xdel", "xclaim", "xautoclaim", "wait"]

    /// Where the entries go: a Redis (single or cluster) and how to reach it.
    struct Topology {
        let name: String
        let primaries: Int
        let url: String
        let directory: String
    }

    static func run(redis: BenchmarkRedis, statusEntries: Int, conversations: Int) throws -> (rows: [BenchmarkRow], splits: [ClusterSplit]) {
        var splits: [ClusterSplit] = []
        let three = try BenchmarkCluster(primaries: 3)
        defer { three.stop() }
        let threeTopology = Topology(name: "cluster, 3 primaries", primaries: 3, url: three.url, directory: three.directory)
        let probe = try connection(threeTopology, name: "bench-cluster-placement")
        let placement = try Placement.choose(on: probe, balancedIntake: false)
        let balanced = try Placement.choose(on: probe, balancedIntake: true)
        splits += try measure(threeTopology, placement: placement, statusEntries: statusEntries, conversations: conversations)
        splits += try measure(Topology(name: "cluster, 3 primaries, \(balanced.name)", primaries: 3, url: three.url, directory: three.directory),
                              placement: balanced, statusEntries: statusEntries, conversations: conversations)
        three.stop()

        let one = try BenchmarkCluster(primaries: 1)
        defer { one.stop() }
        splits += try measure(Topology(name: "cluster, 1 primary", primaries: 1, url: one.url, directory: one.directory),
                              placement: placement, statusEntries: statusEntries, conversations: conversations)
        one.stop()

        splits += try measure(Topology(name: "single Redis", primaries: 1, url: "unix://\(redis.socketPath)", directory: redis.directory),
                              placement: placement, statusEntries: statusEntries, conversations: conversations)
        return (rows(splits), splits)
    }

    static func connection(_ topology: Topology, name: String) throws -> RedisConnection {
        var configuration = try RedisConfiguration(url: topology.url)
        configuration.clientName = name
        return RedisConnection(configuration: configuration)
    }

    /// Heartbeats, status changes, then routing, on one topology.
    static func measure(_ topology: Topology, placement: Placement, statusEntries: Int, conversations: Int) throws -> [ClusterSplit] {
        let connection = try connection(topology, name: "bench-cluster")
        let fleet = WorkerFleet(redisURL: topology.url, directory: topology.directory, prefix: placement.prefix, intakeShards: intakeShards)
        let agents = (0..<agentsPerWorkspace).map { Yardstick.agentID($0) }

        try fleet.start(1)
        try fleet.submit(placement.statusWorkspaces.flatMap { workspace in
            agents.map { ["op", "agent.login", "workspace", workspace, "agent", $0, "session", "s"] }
        }, on: connection)
        try fleet.settle(on: connection)
        fleet.stop()
        let workspaceCount = placement.statusWorkspaces.count
        // The sessions live for the fleet's session TTL (an hour): every heartbeat extends a live one.
        let heartbeat = try drain(fleet, topology: topology, workload: "heartbeat", entries: (0..<statusEntries).map { index in
            ["op", "agent.heartbeat", "workspace", placement.statusWorkspaces[index % workspaceCount], "agent", agents[(index / workspaceCount) % agents.count],
             "session", "s"]
        }, on: connection)
        // Every entry changes its agent's status (each agent's statuses in stream order).
        let statuses = ["online", "busy", "away", "dnd"]
        let status = try drain(fleet, topology: topology, workload: "status change", entries: (0..<statusEntries).map { index in
            let agent = index / workspaceCount
            return ["op", "agent.status", "workspace", placement.statusWorkspaces[index % workspaceCount], "agent", agents[agent % agents.count],
                    "status", statuses[(agent / agents.count + 1) % 4]]
        }, on: connection)

        let routingAgents = 100
        let capacity = String(conversations / (placement.routingWorkspaces.count * routingAgents) + 1)
        try fleet.start(1)
        try fleet.submit(placement.routingWorkspaces.flatMap { workspace in
            [["op", "workspace.settings", "workspace", workspace, "routing", "round_robin"]] + agents.prefix(routingAgents).flatMap {
                [["op", "agent.profile", "workspace", workspace, "agent", $0, "capacity", capacity],
                 ["op", "agent.login", "workspace", workspace, "agent", $0, "session", "s"]]
            }
        }, on: connection)
        try fleet.settle(on: connection)
        fleet.stop()
        let routing = try drain(fleet, topology: topology, workload: "routing", entries: (0..<conversations).map {
            ["op", "conversation.new", "workspace", placement.routingWorkspaces[$0 % placement.routingWorkspaces.count], "conversation", "c\($0)"]
        }, on: connection)
        return [heartbeat, status, routing]
    }

    /// Writes `entries` to the intake, then one worker applies them; Redis's readings of
    /// every primary before the writes and after the drain (so its CPU includes the
    /// producer's `XADD`s, pipelined by 1,000).
    static func drain(_ fleet: WorkerFleet, topology: Topology, workload: String, entries: [[String]], on connection: RedisConnection) throws -> ClusterSplit {
        let before = try DrainReadings.readEveryPrimary(connection)
        try fleet.submit(entries, on: connection)
        let clock = ContinuousClock()
        let started = clock.now
        try fleet.start(1)
        try fleet.settle(on: connection)
        let seconds = (clock.now - started).fractionalSeconds
        fleet.stop()
        let after = try DrainReadings.readEveryPrimary(connection)
        let nodes = after.keys.sorted().map { node -> ClusterSplit.Node in
            let old = before[node]
            let new = after[node]!
            func delta(_ commands: Set<String>) -> (calls: Int, usec: Int) {
                commands.reduce(into: (0, 0)) { total, name in
                    let now = new.commands[name] ?? (0, 0)
                    let then = old?.commands[name] ?? (0, 0)
                    total.0 += now.calls - then.calls
                    total.1 += now.usec - then.usec
                }
            }
            let functions = delta(["fcall", "fcall_ro", "evalsha"])
            let intake = delta(workCommands.subtracting(["fcall", "fcall_ro", "evalsha"]))
            return ClusterSplit.Node(node: node, functionCalls: functions.calls, functionUsec: Double(functions.usec),
                                     intakeCalls: intake.calls, intakeUsec: Double(intake.usec),
                                     redisCPUSeconds: new.redisCPU - (old?.redisCPU ?? 0))
        }
        return ClusterSplit(topology: topology.name, primaries: topology.primaries, workload: workload, entries: entries.count, seconds: seconds, nodes: nodes)
    }

    static func rows(_ splits: [ClusterSplit]) -> [BenchmarkRow] {
        var rows: [BenchmarkRow] = []
        for workload in ["heartbeat", "status change", "routing"] {
            let measured = splits.filter { $0.workload == workload }
            let single = measured.first { $0.topology == "single Redis" }
            for split in measured {
                rows.append(BenchmarkRow(scenario: "cluster", name: "\(workload), \(split.topology): Redis time per entry (functions + intake reads and acks, all nodes)",
                                         unit: "µs", value: split.usecPerEntry, baseline: nil, goalRatio: nil))
                if let single, split.topology != single.topology {
                    rows.append(BenchmarkRow(scenario: "cluster", name: "\(workload), \(split.topology): Redis time per entry vs the single Redis",
                                             unit: "×", value: split.usecPerEntry / single.usecPerEntry, baseline: nil, goalRatio: nil))
                }
                rows.append(BenchmarkRow(scenario: "cluster", name: "\(workload), \(split.topology): Redis CPU per entry (all nodes, the producer's XADD included)",
                                         unit: "µs", value: split.cpuMicrosecondsPerEntry, baseline: nil, goalRatio: nil))
                if split.nodes.count > 1 {
                    let equal = Double(split.nodes.count)
                    for (measure, shares) in [("Redis time", split.nodes.map(\.usec)), ("Redis CPU", split.nodes.map(\.redisCPUSeconds))] {
                        let total = max(shares.reduce(0, +), 1e-9)
                        rows.append(BenchmarkRow(scenario: "cluster", name: "\(workload), \(split.topology): busiest primary's share of the \(measure) vs an equal share",
                                                 unit: "×", value: (shares.max() ?? 0) / total * equal, baseline: nil, goalRatio: nil, goalMaximum: 1.2))
                        rows.append(BenchmarkRow(scenario: "cluster", name: "\(workload), \(split.topology): quietest primary's share of the \(measure) vs an equal share",
                                                 unit: "×", value: (shares.min() ?? 0) / total * equal, baseline: nil, goalRatio: nil, goalMinimum: 0.8))
                    }
                }
            }
        }
        return rows
    }
}

/// The workspaces and the key prefix of the scenario, chosen on the 3-primary cluster so
/// that each primary holds as many workspaces as the others. With `balancedIntake`, the
/// prefix is chosen too, so that each primary also holds as many intake shards, and each
/// workspace is on the same primary as its intake shard; without, the prefix is `sb` and
/// the intake shards are where their names' slots put them, as in a deployment.
struct Placement {
    let name: String
    let prefix: String
    let statusWorkspaces: [String]
    let routingWorkspaces: [String]

    static func choose(on connection: RedisConnection, balancedIntake: Bool) throws -> Placement {
        let owners = try SlotOwners(connection)
        let primaries = Set(owners.ranges.map(\.node)).count
        for attempt in 0..<1_000 {
            let prefix = balancedIntake ? "cl\(attempt)" : "sb"
            let schema = KeySchema(prefix: prefix)
            let shardOwners = try schema.intakeShards(ClusterScenario.intakeShards).map { try owners.node(ofKey: $0, on: connection) }
            guard !balancedIntake || (Set(shardOwners).count == primaries
                  && Dictionary(grouping: shardOwners, by: { $0 }).values.allSatisfy({ $0.count == ClusterScenario.intakeShards / primaries })) else { continue }
            var chosen: [String: [String]] = [:]
            for candidate in 0..<10_000 {
                let workspace = "w\(candidate)"
                let node = try owners.node(ofKey: "{\(workspace)}", on: connection)
                let shard = KeySchema.intakeShard(of: workspace, count: ClusterScenario.intakeShards)
                guard !balancedIntake || shardOwners[shard] == node, chosen[node, default: []].count < 2 * ClusterScenario.workspacesPerPrimary else { continue }
                chosen[node, default: []].append(workspace)
                if chosen.values.reduce(0, { $0 + $1.count }) == 2 * ClusterScenario.workspacesPerPrimary * primaries {
                    let perNode = chosen.keys.sorted().map { chosen[$0]! }
                    // Half of each primary's workspaces for each workload.
                    return Placement(name: balancedIntake ? "intake shards balanced" : "intake shards where their names fall", prefix: prefix,
                                     statusWorkspaces: perNode.flatMap { $0.prefix(ClusterScenario.workspacesPerPrimary) },
                                     routingWorkspaces: perNode.flatMap { $0.suffix(ClusterScenario.workspacesPerPrimary) })
                }
            }
        }
        throw BenchmarkError("found no prefix and workspaces that spread evenly over the cluster's primaries")
    }
}

/// Which primary serves each slot, from `CLUSTER SLOTS`; a key's slot from `CLUSTER KEYSLOT`.
struct SlotOwners {
    let ranges: [(low: Int, high: Int, node: String)]

    init(_ connection: RedisConnection) throws {
        ranges = try (connection.send(RedisCommand("CLUSTER", "SLOTS")).array ?? []).compactMap { range in
            guard let fields = range.array, fields.count >= 3, let low = fields[0].int, let high = fields[1].int,
                  let primary = fields[2].array, primary.count >= 2, let host = primary[0].string, let port = primary[1].int else { return nil }
            return (low, high, "\(host):\(port)")
        }
    }

    func node(ofKey key: String, on connection: RedisConnection) throws -> String {
        let slot = try connection.send(RedisCommand("CLUSTER", "KEYSLOT", key)).int ?? -1
        guard let range = ranges.first(where: { $0.low <= slot && slot <= $0.high }) else { throw BenchmarkError("no primary serves slot \(slot)") }
        return range.node
    }
}

/// Redis's own time for one workload on one topology, node by node.
struct ClusterSplit: Codable {
    struct Node: Codable {
        let node: String
        let functionCalls: Int
        let functionUsec: Double
        /// XREADGROUP, XACK, XDEL (and XCLAIM, WAIT) of the worker.
        let intakeCalls: Int
        let intakeUsec: Double
        /// Main-thread CPU, from INFO cpu: the command time plus reading and writing sockets,
        /// the producer's `XADD`s included.
        let redisCPUSeconds: Double
        var usec: Double { functionUsec + intakeUsec }
    }

    let topology: String
    let primaries: Int
    let workload: String
    let entries: Int
    let seconds: Double
    let nodes: [Node]

    var usecPerEntry: Double { nodes.reduce(0) { $0 + $1.usec } / Double(max(entries, 1)) }
    var cpuMicrosecondsPerEntry: Double { nodes.reduce(0) { $0 + $1.redisCPUSeconds } * 1e6 / Double(max(entries, 1)) }
    private var total: Double { max(nodes.reduce(0) { $0 + $1.usec }, 1) }
    private var totalCPU: Double { max(nodes.reduce(0) { $0 + $1.redisCPUSeconds }, 1e-9) }

    var markdown: String {
        let perEntry = 1 / Double(max(entries, 1))
        var lines = [
            "### Split: \(workload), \(topology)",
            "",
            String(format: "%d entries in %.2f s (%.0f entries/s, 1 worker). Redis time %.1f µs per entry in all (command time of the functions and of the worker's intake commands), Redis CPU %.1f µs per entry (the producer's XADD included).",
                   entries, seconds, Double(entries) / seconds, usecPerEntry, cpuMicrosecondsPerEntry),
            "",
            "| primary | share of the Redis time | share of the Redis CPU | function calls per entry | µs in functions per entry | intake calls per entry | µs in intake commands per entry | Redis CPU µs per entry |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += nodes.map { node in
            "| \(node.node) | " + String(format: "%.1f %% | %.1f %% | %.2f | %.2f | %.3f | %.2f | %.2f |", node.usec / total * 100, node.redisCPUSeconds / totalCPU * 100,
                                                Double(node.functionCalls) * perEntry,
                                                node.functionUsec * perEntry, Double(node.intakeCalls) * perEntry, node.intakeUsec * perEntry,
                                                node.redisCPUSeconds * 1e6 * perEntry)
        }
        return lines.joined(separator: "\n")
    }
}

/// How many primaries a deployment needs, from the Redis CPU per entry measured on the
/// 3-primary cluster: each kind of entry at its rate, added up, over the share of a core one
/// primary is allowed to use.
struct ClusterModel: Codable {
    struct Load: Codable {
        let workload: String
        let perSecond: Double
        let cpuMicrosecondsPerEntry: Double
        var coresNeeded: Double { perSecond * cpuMicrosecondsPerEntry / 1e6 }
    }

    let loads: [Load]
    /// The share of one core a primary may use on average; the rest is headroom.
    let targetUtilisation: Double
    var cores: Double { loads.reduce(0) { $0 + $1.coresNeeded } }
    var primaries: Int { Int((cores / targetUtilisation).rounded(.up)) }

    /// 1 million agents heartbeating every 20 s, 50,000 status changes and 10,000 new
    /// conversations per second; nil without a 3-primary measurement.
    init?(splits: [ClusterSplit], targetUtilisation: Double = 0.5) {
        let measured = splits.filter { $0.topology == "cluster, 3 primaries" }
        func cpu(_ workload: String) -> Double? { measured.first { $0.workload == workload }?.cpuMicrosecondsPerEntry }
        guard let heartbeat = cpu("heartbeat"), let status = cpu("status change"), let routing = cpu("routing") else { return nil }
        loads = [Load(workload: "heartbeat (1,000,000 agents every 20 s)", perSecond: 50_000, cpuMicrosecondsPerEntry: heartbeat),
                 Load(workload: "status change", perSecond: 50_000, cpuMicrosecondsPerEntry: status),
                 Load(workload: "new conversation, routed", perSecond: 10_000, cpuMicrosecondsPerEntry: routing)]
        self.targetUtilisation = targetUtilisation
    }

    var markdown: String {
        var lines = ["### Model: primaries needed", "", "| load | per second | Redis CPU per entry (3 primaries) | cores |", "|---|---|---|---|"]
        lines += loads.map { "| \($0.workload) | " + String(format: "%.0f | %.1f µs | %.2f |", $0.perSecond, $0.cpuMicrosecondsPerEntry, $0.coresNeeded) }
        lines.append(String(format: "\n%.2f cores of Redis in all; at %.0f %% of a core per primary: **%d primaries**.", cores, targetUtilisation * 100, primaries))
        return lines.joined(separator: "\n")
    }
}
