// `switchboard inspect workspace|workers|dead|keys`: the deployment as an operator sees it.
import ArgumentParsing
import Foundation
import Redis
import Switchboard

extension InspectCommand {
    static func operationsCommands(shared: [Option]) -> [CommandSpec] {
        let global = RedisOptions.options + [CommonOptions.prefix]
        return [
            CommandSpec(name: "workspace", abstract: "A workspace at one instant with the event version it reflects: agents by status and how many routing may pick, sessions, queues, settings, the widget. --json: the full snapshot a dashboard resyncs from (docs/protocol.md §6.1).",
                        options: shared, flags: [CommonOptions.json]) { arguments in
                let snapshot = try reader(arguments).snapshot(of: try CommonOptions.workspace(arguments))
                print(arguments.flag("json") ? try Render.json(snapshot) : table(snapshot))
                return 0
            },
            CommandSpec(name: "workers", abstract: "Workers: alive (heartbeat) or gone, host, pid, HTTP address, last seen, entries handled, pending entries.",
                        options: global, flags: [CommonOptions.json]) { arguments in
                let workers = try operationsReader(arguments).workers()
                print(arguments.flag("json") ? try Render.json(workers) : table(workers))
                return 0
            },
            CommandSpec(name: "dead", abstract: "The newest rejected intake entries with the reason each was rejected.",
                        options: global + [Option(name: "limit", valueName: "N", help: "Show at most this many, newest first.", defaultValue: "20")],
                        flags: [CommonOptions.json]) { arguments in
                let (letters, total) = try operationsReader(arguments).deadLetters(limit: try arguments.integer("limit", in: 1...10_000) ?? 20)
                print(arguments.flag("json") ? try Render.json(letters) : table(letters, total: total))
                return 0
            },
            CommandSpec(name: "keys", abstract: "Every key of a workspace and every global key (workers' heartbeats and unread replies included) with its type and a redis-cli line to read it.",
                        options: shared + [Option(name: "limit", valueName: "N", help: "Show at most this many workspace keys, and at most this many worker and reply keys.",
                                                  defaultValue: "500")],
                        flags: [CommonOptions.json]) { arguments in
                let keys = try operationsReader(arguments).keys(of: try CommonOptions.workspace(arguments),
                                                                limit: try arguments.integer("limit", in: 1...1_000_000) ?? 500)
                print(arguments.flag("json") ? try Render.json(keys) : Render.table([["KEY", "TYPE", "READ IT WITH"]] + keys.map { [$0.key, $0.type, $0.read] }))
                return 0
            },
        ]
    }

    static func operationsReader(_ arguments: ParsedArguments) throws -> OperationsReader {
        OperationsReader(connection: try RedisOptions.connection(from: arguments, clientName: "switchboard-inspect"),
                         keys: CommonOptions.keys(arguments))
    }

    private static func table(_ snapshot: WorkspaceSnapshot) -> String {
        let counts = snapshot.statusCounts
        let statuses = AgentStatus.allCases.map(\.rawValue).map { "\(Terminal.dot(for: $0)) \($0) \(counts[$0] ?? 0)" }
        let eligible = snapshot.agents.filter(\.eligible)
        let fallback = eligible.filter { $0.routing == .busyFallback }.count
        let queues = [("general", snapshot.queues.general)] + snapshot.queues.teams.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let settings = snapshot.settings
        let defaults = settings.defaults.isEmpty ? "" : " (never set: \(settings.defaults.joined(separator: ", ")))"
        return Render.table([
            ["workspace", snapshot.workspace],
            ["version", "\(snapshot.version) (the last event this state includes)"],
            ["agents", "\(snapshot.agents.count), \(eligible.count) eligible for routing now" + (fallback > 0 ? " (\(fallback) as busy fallback)" : "")],
            ["statuses", statuses.joined(separator: "  ")],
            ["sessions", String(snapshot.sessions)],
            ["queues", queues.map { "\($0.0) \($0.1)" }.joined(separator: ", ")],
            ["settings", "routing=\(settings.routing) busy_fallback=\(settings.busyFallback) default_capacity=\(settings.defaultCapacity) ai_chat=\(settings.aiChat)" + defaults],
        ]) + "\n\n" + WidgetCommand.table(snapshot.widget)
    }

    private static func table(_ workers: [WorkerSnapshot]) -> String {
        if workers.isEmpty { return "no workers have run against this Redis (prefix) yet" }
        let now = Render.now()
        let rows = workers.map { worker -> [String] in
            [worker.name, worker.state == "alive" ? Terminal.paint("alive", "32") : Terminal.paint("gone", "90"), worker.host ?? "–",
             worker.pid.map(String.init) ?? "–", worker.http ?? "–", Render.ago(worker.lastSeen, now: now), worker.handled.map(String.init) ?? "–",
             worker.reclaimed.map(String.init) ?? "–", String(worker.pending), worker.idleMilliseconds.map { "\($0 / 1000)s" } ?? "–"]
        }
        let stuck = workers.filter { $0.state == "gone" && $0.pending > 0 }.map(\.pending).reduce(0, +)
        let note = stuck > 0 ? "\n\(stuck) entries pending with gone workers; live workers claim them after --claim-idle." : ""
        return Render.table([["WORKER", "STATE", "HOST", "PID", "HTTP", "LAST SEEN", "HANDLED", "RECLAIMED", "PENDING", "IDLE"]] + rows) + note
    }

    private static func table(_ letters: [DeadLetter], total: Int) -> String {
        if letters.isEmpty { return "no dead letters" }
        let rows = letters.map { letter -> [String] in
            let op = letter.fields["op"] ?? "–"
            let workspace = letter.fields["workspace"] ?? "–"
            return [letter.id, letter.entry ?? "–", op, workspace, letter.worker ?? "–", letter.error]
        }
        return Render.table([["DEAD LETTER", "ENTRY", "OP", "WORKSPACE", "WORKER", "ERROR"]] + rows) + "\n\(letters.count) shown of \(total)"
    }
}
