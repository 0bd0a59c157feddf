// What `switchboard demo` shows: a live view of the workspace's agents, queues and latest
// assignments (a full frame redrawn on a terminal), or one summary line per second.
import Foundation
import Redis
import Switchboard

/// An `assigned` event of the workspace's events stream.
struct DemoAssignment: Equatable {
    /// `17:46:26.936` (UTC, from the event's timestamp).
    var time: String
    var conversation: String
    var agent: String
    /// The team, or "" for the general queue.
    var team: String
    var reason: String
    var agentStatus: String
}

/// One frame's worth of state, read straight from Redis.
struct DemoSnapshot {
    var workersAlive: Int
    /// The workspace's last event version.
    var version: Int
    var agents: [AgentSnapshot]
    var defaultCapacity: Int
    /// Waiting conversations per queue, the general queue ("") first.
    var queues: [(name: String, depth: Int)]
    /// The latest assignments, newest first.
    var assignments: [DemoAssignment]
    /// Assignments seen on the events stream since the demo started.
    var assignedSinceStart: Int

    func count(_ status: String) -> Int { agents.filter { $0.status == status }.count }
    var waiting: Int { queues.map(\.depth).reduce(0, +) }
}

/// Reads the state the view shows. Follows the events stream from where it last read, so it
/// sees every assignment, however fast they come.
final class DemoMonitor {
    private let connection: RedisConnection
    private let keys: KeySchema
    private let workspace: Identifier
    private let shown: Int
    private var lastEvent: String?
    private var recent: [DemoAssignment] = []
    private var assignedSinceStart = 0

    init(connection: RedisConnection, keys: KeySchema, workspace: Identifier, assignmentsShown: Int = 8) {
        self.connection = connection
        self.keys = keys
        self.workspace = workspace
        shown = assignmentsShown
    }

    func snapshot() throws -> DemoSnapshot {
        let operations = OperationsReader(connection: connection, keys: keys)
        let workers = try operations.workers().filter { $0.state == "alive" }.count
        let workspaceState = try WorkspaceSnapshotReader(connection: connection, keys: keys).snapshot(of: workspace)
        try followEvents()
        let queues = [(name: "", depth: workspaceState.queues.general)] + workspaceState.queues.teams.sorted { $0.key < $1.key }.map { (name: $0.key, depth: $0.value) }
        return DemoSnapshot(workersAlive: workers, version: Int(workspaceState.version), agents: workspaceState.agents,
                            defaultCapacity: workspaceState.settings.defaultCapacity,
                            queues: queues, assignments: recent, assignedSinceStart: assignedSinceStart)
    }

    /// The first time, the latest assignments already in the stream; then every event added since.
    private func followEvents() throws {
        let stream = keys.workspace(workspace).events
        guard let last = lastEvent else {
            let entries = Self.entries(try connection.send(RedisCommand("XREVRANGE", stream, "+", "-", "COUNT", 500)))
            lastEvent = entries.first?.id ?? "0-0"
            recent = Array(entries.compactMap { Self.assignment($0.fields) }.prefix(shown))
            return
        }
        var from = last
        for _ in 0..<10 {
            let entries = Self.entries(try connection.send(RedisCommand("XRANGE", stream, "(" + from, "+", "COUNT", 1000)))
            for entry in entries {
                guard let assignment = Self.assignment(entry.fields) else { continue }
                recent.insert(assignment, at: 0)
                assignedSinceStart += 1
            }
            from = entries.last?.id ?? from
            if entries.count < 1000 { break }
        }
        lastEvent = from
        recent = Array(recent.prefix(shown))
    }

    private static func entries(_ reply: RedisValue) -> [(id: String, fields: [String: String])] {
        (reply.array ?? []).compactMap { item in
            guard let parts = item.array, parts.count == 2, let id = parts[0].string else { return nil }
            return (id, parts[1].stringPairs ?? [:])
        }
    }

    private static func assignment(_ fields: [String: String]) -> DemoAssignment? {
        guard fields["type"] == "assigned", let conversation = fields["conversation_id"], let agent = fields["agent_id"] else { return nil }
        return DemoAssignment(time: String((fields["timestamp"] ?? "").dropFirst(11).prefix(12)), conversation: conversation, agent: agent,
                              team: fields["team"] ?? "", reason: fields["reason"] ?? "", agentStatus: fields["agent_status"] ?? "")
    }
}

/// Renders snapshots: a full frame for a terminal, a line for a log.
enum DemoView {
    /// Clears the terminal and puts the cursor top left.
    static let clearScreen = "\u{1B}[H\u{1B}[2J"

    /// What the demo has sent, for the header.
    struct Activity {
        var sent: Int
        var rate: Double
        var last: DemoAction?
        /// The last Redis error, while it lasts.
        var problem: String?
    }

    /// A frame for a terminal of `size` (rows, columns): agents and assignments are cut to fit.
    static func frame(_ snapshot: DemoSnapshot, workspace: Identifier, activity: Activity, notes: [String], size: (rows: Int, columns: Int)?) -> String {
        // Every line but the agents' and the assignments' rows, with notes that wrap.
        let noteLines = notes.map { max(1, ($0.count + (size?.columns ?? 200) - 1) / max(1, size?.columns ?? 200)) }.reduce(0, +)
        let budget = max(8, (size?.rows ?? 60) - 13 - noteLines - (activity.problem == nil ? 0 : 1))
        let shownAssignments = min(snapshot.assignments.count, max(3, min(8, budget - snapshot.agents.count)))
        let maxAgentRows = max(4, budget - max(1, shownAssignments))
        var lines: [String] = []
        let workers = snapshot.workersAlive == 0
            ? Terminal.paint("no worker alive: entries wait in the intake stream", "31")
            : "\(snapshot.workersAlive) worker\(snapshot.workersAlive == 1 ? "" : "s") alive"
        lines.append(Terminal.paint("Switchboard demo", "1") + " · workspace \(workspace) · \(workers) · events v\(snapshot.version) · \(clock()) UTC")
        let rate = activity.rate == activity.rate.rounded() ? String(Int(activity.rate)) : String(activity.rate)
        lines.append("sent \(activity.sent) entries (\(rate)/s)" + (activity.last.map { " · last: \($0.summary)" } ?? ""))
        if let problem = activity.problem { lines.append(Terminal.paint("redis: \(problem) (retrying)", "31")) }
        lines.append("")

        let rows = snapshot.agents.prefix(maxAgentRows).map { agent -> [String] in
            let capacity = agent.capacity ?? snapshot.defaultCapacity
            let load = agent.load
            let status = "\(Terminal.dot(for: agent.status)) \(agent.status)" + (agent.reason == "override" ? " (by \(agent.actor ?? "?"))" : "")
            return [agent.agent + (agent.role == "agent" ? "" : " (\(agent.role))"), status, agent.message ?? "",
                    bar(load: load, capacity: capacity) + " \(load)/\(capacity)", agent.teams.joined(separator: ","), String(agent.sessions.count)]
        }
        lines.append(Render.table([["AGENT", "STATUS", "MESSAGE", "LOAD", "TEAMS", "SESSIONS"].map { Terminal.paint($0, "2") }] + rows))
        let hidden = snapshot.agents.count - rows.count
        let statuses = ["online", "busy", "away", "dnd", "offline"].map { "\(Terminal.dot(for: $0)) \(snapshot.count($0)) \($0)" }
        lines.append((hidden > 0 ? "… and \(hidden) more; " : "") + "\(snapshot.agents.count) agents: " + statuses.joined(separator: "  "))
        lines.append("")

        let queues = snapshot.queues.map { "\($0.name.isEmpty ? "general" : $0.name) \($0.depth)" }
        lines.append(Terminal.paint("QUEUES", "2") + "  " + (queues.isEmpty ? "none yet" : queues.joined(separator: "  ·  ")) + "  (\(snapshot.waiting) waiting)")
        lines.append("")

        lines.append(Terminal.paint("LAST ASSIGNMENTS", "2") + "  (\(snapshot.assignedSinceStart) since the demo started)")
        if snapshot.assignments.isEmpty {
            lines.append("none yet")
        } else {
            lines.append(Render.table(snapshot.assignments.prefix(shownAssignments).map { assignment in
                [assignment.time, assignment.conversation, "→ " + assignment.agent, assignment.team.isEmpty ? "general" : assignment.team,
                 assignment.reason, "\(Terminal.dot(for: assignment.agentStatus)) \(assignment.agentStatus)"]
            }))
        }
        lines.append("")
        lines += notes
        lines.append("Ctrl-C stops the demo")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `17:46:26 v1234 workers=3 online=4 busy=2 away=1 dnd=1 offline=0 waiting=3 (general=1 sales=2) assigned=45 sent=152`
    static func line(_ snapshot: DemoSnapshot, activity: Activity) -> String {
        let statuses = ["online", "busy", "away", "dnd", "offline"].map { "\($0)=\(snapshot.count($0))" }.joined(separator: " ")
        let queues = snapshot.queues.filter { $0.depth > 0 }.map { "\($0.name.isEmpty ? "general" : $0.name)=\($0.depth)" }
        return "\(clock()) v\(snapshot.version) workers=\(snapshot.workersAlive) \(statuses) waiting=\(snapshot.waiting)"
            + (queues.isEmpty ? "" : " (\(queues.joined(separator: " ")))")
            + " assigned=\(snapshot.assignedSinceStart) sent=\(activity.sent)"
    }

    /// `■■□` for 2 of 3; at most 10 cells.
    static func bar(load: Int, capacity: Int) -> String {
        let cells = min(max(capacity, load), 10)
        let full = min(load, cells)
        return String(repeating: "■", count: full) + String(repeating: "□", count: cells - full)
    }

    /// The time now, `17:46:26` (UTC, like the events' timestamps), or with milliseconds.
    static func clock(milliseconds: Bool = false) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return String(formatter.string(from: Date()).dropFirst(11).prefix(milliseconds ? 12 : 8))
    }

    /// Rows and columns of the terminal, when standard output is one.
    static func terminalSize() -> (rows: Int, columns: Int)? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 else { return nil }
        return (Int(size.ws_row), Int(size.ws_col))
    }
}
