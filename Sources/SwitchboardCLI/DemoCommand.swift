// `switchboard demo`: fill a workspace with agents and a trickle of conversations and
// status changes through the public intake, and show what the workers make of it.
import ArgumentParsing
import Foundation
import Redis
import Switchboard
import Synchronization

enum DemoCommand {
    static let spec = CommandSpec(
        name: "demo",
        abstract: "Run a demo workspace: agents, conversations and status changes sent to the workers, shown live.",
        discussion: """
        Seeds the workspace through the intake stream, as a chat back end would (workspace
        settings, agent profiles with capacities 1-3, teams and a supervisor, one login per
        agent), then sends a trickle of actions: new conversations (some for a team or with a
        priority), closes of assigned ones, status changes, now and then a logout and a later
        login, or a supervisor's override; and a heartbeat for every session every 20 s.

        On a terminal it redraws a live view twice a second: agents (status, message,
        load/capacity, teams, sessions), queue depths and the latest assignments. Otherwise it
        prints one summary line per second; with --no-view, one line per entry sent instead.
        Workers must run against the same Redis and prefix (switchboard worker).
        Ctrl-C stops it (exit 0); the workspace stays in Redis.
        """,
        options: RedisOptions.options + [
            Option(name: "workspace", short: "w", valueName: "ID", help: "The workspace to fill.", environment: "SWITCHBOARD_WORKSPACE",
                   defaultValue: "demo"),
            CommonOptions.prefix,
            Option(name: "agents", valueName: "N", help: "How many agents.", defaultValue: "8"),
            Option(name: "rate", valueName: "PER_SECOND", help: "Actions sent per second, on average.", defaultValue: "2"),
            Option(name: "duration", valueName: "DURATION", help: "Stop after this long (e.g. 30s, 5m). Default: until Ctrl-C."),
            Option(name: "seed", valueName: "N", help: "Seed of the random choices (default: from the clock; printed at start)."),
            Option(name: "note", valueName: "TEXT", help: "A line to show under the live view.", isRepeatable: true),
        ],
        flags: [Flag(name: "no-view", help: "No live view: print one line per entry sent.")]
    ) { arguments in
        let workspace = try CommonOptions.identifier(arguments.value("workspace"), field: "workspace")
        let agentCount = try arguments.integer("agents", in: 1...500) ?? 8
        guard let rate = Double(arguments.value("rate") ?? "2"), rate > 0, rate <= 1000 else {
            throw ValidationError("--rate must be a number of actions per second above 0 and at most 1000, e.g. 2 or 0.5.")
        }
        let duration = try arguments.duration("duration")
        let seed: UInt64
        if let text = arguments.value("seed") {
            guard let value = UInt64(text) else { throw ValidationError("--seed must be a whole number from 0 to \(UInt64.max).") }
            seed = value
        } else {
            seed = UInt64(Date().timeIntervalSince1970 * 1000)
        }
        let mode: Mode = arguments.flag("no-view") ? .log : (Terminal.isInteractive ? .live : .summary)
        let keys = CommonOptions.keys(arguments)
        let stop = StopRequest()
        TerminationSignals.onSignal { stop.request() }
        let connection = try RedisOptions.connection(from: arguments, clientName: "switchboard-demo")
        connection.interruptWait = { stop.isRequested }
        let run = DemoRun(mode: mode, workspace: workspace, keys: keys, connection: connection,
                          load: DemoLoad(workspace: workspace, client: try IntakeClient(connection: connection, keys: keys), agentCount: agentCount, seed: seed),
                          rate: rate, notes: arguments.values("note"), stop: stop)
        note("demo: workspace \(workspace), \(agentCount) agents, \(arguments.value("rate") ?? "2") actions/s, seed \(seed), Redis \(connection.configuration.description)")
        try run.seed()
        run.loop(until: duration.map { ContinuousClock.now + $0 })
        return 0
    }

    /// How the demo reports what happens.
    enum Mode {
        /// A live view redrawn on the terminal.
        case live
        /// One summary line per second (standard output is not a terminal).
        case summary
        /// One line per entry sent (--no-view).
        case log
    }

    /// Writes a note to standard error, apart from the view on standard output. A note that
    /// cannot be written (a closed pipe or terminal) is dropped.
    static func note(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
    }
}

/// Set by the signal thread, read by the demo's loop.
final class StopRequest: Sendable {
    private let requested = Atomic<Bool>(false)
    func request() { requested.store(true, ordering: .relaxed) }
    var isRequested: Bool { requested.load(ordering: .relaxed) }
}

/// One demo run. Everything, Redis calls included, happens on the calling (main) thread in
/// one plain loop: hiredis blocks, and must never block Swift's cooperative pool.
final class DemoRun {
    private let mode: DemoCommand.Mode
    private let workspace: Identifier
    private let keys: KeySchema
    private let connection: RedisConnection
    private var load: DemoLoad
    private let rate: Double
    private let notes: [String]
    private let stop: StopRequest
    private let monitor: DemoMonitor
    private var last: DemoAction?
    private var problem: String?
    private let heartbeatInterval: Duration = .seconds(20)

    init(mode: DemoCommand.Mode, workspace: Identifier, keys: KeySchema, connection: RedisConnection, load: DemoLoad,
         rate: Double, notes: [String], stop: StopRequest) {
        self.mode = mode
        self.workspace = workspace
        self.keys = keys
        self.connection = connection
        self.load = load
        self.rate = rate
        self.notes = notes
        self.stop = stop
        monitor = DemoMonitor(connection: connection, keys: keys, workspace: workspace)
    }

    /// Writes the seed entries, then waits (at most 10 s) for a worker to apply them, so that
    /// a missing worker is said at once rather than guessed from a still view.
    func seed() throws {
        let actions = try load.seed()
        for action in actions { record(action) }
        guard let entry = actions.last?.entry else { return }
        let client = load.client
        let deadline = ContinuousClock.now + .seconds(10)
        while !stop.isRequested, ContinuousClock.now < deadline {
            if try client.outcome(of: entry, workspace: workspace, timeout: .milliseconds(500)) != nil { return }
        }
        if !stop.isRequested {
            DemoCommand.note("demo: no worker applied the seed entries within 10 s; they wait in \(client.stream(for: workspace)) until one runs (switchboard worker --prefix \(keys.prefix))")
        }
    }

    /// Sends actions at `rate` (random gaps around it), heartbeats every 20 s, and shows the
    /// state, until Ctrl-C or `end`. A Redis failure is shown and retried, never fatal.
    func loop(until end: ContinuousClock.Instant?) {
        let clock = ContinuousClock()
        let started = clock.now
        var nextAction = started
        var nextHeartbeat = started + heartbeatInterval
        var nextFrame = started
        let frameInterval: Duration = mode == .live ? .milliseconds(500) : .seconds(1)
        var random = SystemRandomNumberGenerator()
        while !stop.isRequested {
            let now = clock.now
            if let end, now >= end { break }
            if now >= nextAction {
                attempt {
                    last = try load.step(on: connection, keys: keys.workspace(workspace))
                    if let last { record(last) }
                }
                // Exponential gaps: a trickle, not a metronome; bounded so it never stalls.
                let gap = min(4, max(0.1, -log(Double.random(in: 0.000_001..<1, using: &random)))) / rate
                nextAction = max(nextAction + .nanoseconds(Int64(gap * 1e9)), now - .seconds(1))
            }
            if now >= nextHeartbeat {
                attempt {
                    let count = try load.heartbeats()
                    if mode == .log { emit("\(DemoView.clock(milliseconds: true))  agent.heartbeat for \(count) sessions") }
                }
                nextHeartbeat = now + heartbeatInterval
            }
            if mode != .log, now >= nextFrame {
                show()
                nextFrame = now + frameInterval
            }
            var wake = min(nextAction, nextHeartbeat, mode == .log ? nextHeartbeat : nextFrame)
            if let end { wake = min(wake, end) }
            let pause = min(clock.now.duration(to: wake), .milliseconds(100))
            if pause > .zero { usleep(UInt32(pause.components.seconds * 1_000_000 + pause.components.attoseconds / 1_000_000_000_000)) }
        }
        if mode != .log { show() }
        let seconds = Double(started.duration(to: clock.now).components.seconds)
        DemoCommand.note("demo: stopped after \(Int(seconds)) s and \(load.sent) entries; the workspace stays in Redis (sessions expire a minute after the last heartbeat)")
    }

    private func show() {
        let activity = DemoView.Activity(sent: load.sent, rate: rate, last: last, problem: problem)
        do {
            let snapshot = try monitor.snapshot()
            switch mode {
            case .live:
                emit(DemoView.clearScreen + DemoView.frame(snapshot, workspace: workspace, activity: activity, notes: notes,
                                                           size: DemoView.terminalSize()))
            case .summary: emit(DemoView.line(snapshot, activity: activity))
            case .log: break
            }
        } catch {
            report(error)
        }
    }

    private func attempt(_ work: () throws -> Void) {
        do {
            try work()
            problem = nil
        } catch {
            report(error)
        }
    }

    /// Says a failure once, not once per retry.
    private func report(_ error: any Error) {
        let text = "\(error)"
        if text != problem {
            DemoCommand.note("demo: redis: \(text) (retrying)")
            problem = text
        }
    }

    private func record(_ action: DemoAction) {
        if mode == .log { emit("\(DemoView.clock(milliseconds: true))  \(action.summary)  (\(action.entry))") }
    }

    /// Writes and flushes at once: standard output is often a pipe or a file here. When it is
    /// gone (the reader of the pipe exited, the terminal closed), nobody watches: stop.
    private func emit(_ text: String) {
        do {
            try FileHandle.standardOutput.write(contentsOf: Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
        } catch {
            if !stop.isRequested { DemoCommand.note("demo: standard output is gone (a closed pipe or terminal); stopping") }
            stop.request()
        }
    }
}
