// One workspace's clients on one worker, and the order of what they are sent.
//
// The hub follows the workspace's events stream: subscribed to its feed channel, it reads
// the stream's tail, then reads on after its last entry whenever the feed says there is
// more (at most one read in flight). Each client gets a snapshot, or resumes after a
// version, then every event after it: from the hub's ring of recent events when it reaches
// back far enough, else from Redis, else a fresh snapshot. Each client's last version sent
// is the rule: an event is sent only as the next version, never twice, never after a gap.

import Switchboard

/// A client of a hub: a WebSocket or SSE stream. Loop-confined.
protocol HubMember: AnyObject {
    /// The version the client resumes after (`since`, `Last-Event-ID`); nil: from a snapshot.
    var resumeAfter: Int? { get }
    /// Sends an event; false when the client cannot take it (it is too slow, or closed): it
    /// closes itself and the hub forgets it.
    func deliver(_ event: FeedEvent) -> Bool
    /// Sends a snapshot; false as for events.
    func deliver(_ snapshot: SnapshotMessage) -> Bool
}

/// The reads a hub needs from Redis, answered later on the hub's thread (the loop).
protocol HubReading: AnyObject {
    /// The events stream's last entry (`"0-0"`, 0 when it has none).
    func tail(of workspace: Identifier, then done: @escaping (Result<(streamID: String, version: Int), any Error>) -> Void)
    /// Up to `limit` events after stream entry `streamID`, oldest first.
    func events(of workspace: Identifier, afterStreamID streamID: String, limit: Int,
                then done: @escaping (Result<[FeedEvent], any Error>) -> Void)
    /// Up to `limit` events from version `version + 1` on, or that the stream does not hold them.
    func events(of workspace: Identifier, afterVersion version: Int, limit: Int, then done: @escaping (Result<HeldEvents, any Error>) -> Void)
    /// A snapshot of the workspace, with its recent assignments.
    func snapshot(of workspace: Identifier, then done: @escaping (Result<SnapshotMessage, any Error>) -> Void)
}

/// The clients of one workspace and the events they are owed. Loop-confined.
final class WorkspaceHub {
    /// How many recent events the hub keeps for resumes and snapshot races.
    static let ringCapacity = 1024
    /// The most events one Redis read takes.
    static let readLimit = 1000
    /// How long after a failed read the hub tries again.
    static let retryDelay: Duration = .milliseconds(500)

    enum Phase: Equatable {
        /// Waiting for the feed subscription to be confirmed.
        case subscribing
        /// Reading the stream's tail.
        case syncing
        /// Following the stream.
        case live
    }

    let workspace: Identifier
    private(set) var phase: Phase = .subscribing
    /// The last entry of the events stream the hub has read.
    private(set) var lastStreamID = "0-0"
    /// Its version.
    private(set) var lastVersion = 0
    private var ring = EventRing(capacity: WorkspaceHub.ringCapacity)
    private var members: [ObjectIdentifier: Member] = [:]
    private var feedReadInFlight = false
    private var feedReadAgain = false
    private var snapshotInFlight = false
    private var closed = false
    private let reads: any HubReading
    private let schedule: (Duration, @escaping () -> Void) -> Void

    private final class Member {
        let client: any HubMember
        /// The last version sent (a snapshot's, or an event's); nil before the first message.
        var sent: Int?
        var state: State = .waitingForHub
        enum State { case waitingForHub, reading, awaitingSnapshot, live }
        init(_ client: any HubMember) { self.client = client }
    }

    /// Creates a hub; `schedule` runs work later on the same thread (retries).
    init(workspace: Identifier, reads: any HubReading, schedule: @escaping (Duration, @escaping () -> Void) -> Void) {
        self.workspace = workspace
        self.reads = reads
        self.schedule = schedule
    }

    /// No client left.
    var isEmpty: Bool { members.isEmpty }
    /// How many clients it has.
    var count: Int { members.count }

    /// Adds a client: it starts once the hub follows the stream.
    func add(_ client: any HubMember) {
        let member = Member(client)
        members[ObjectIdentifier(client)] = member
        if phase == .live { start(member) }
    }

    /// Forgets a client (it closed).
    func remove(_ client: any HubMember) {
        members[ObjectIdentifier(client)] = nil
    }

    /// The hub is no longer used: answers still in flight are dropped.
    func close() {
        closed = true
        members.removeAll()
    }

    // MARK: The feed

    /// The feed channel's subscription is confirmed: read where the stream ends, then follow it.
    func subscribed() {
        guard phase == .subscribing, !closed else { return }
        phase = .syncing
        reads.tail(of: workspace) { [self] result in
            guard !closed else { return }
            switch result {
            case .success(let tail):
                lastStreamID = tail.streamID
                lastVersion = tail.version
                ring.removeAll()
                phase = .live
                for member in members.values where member.state == .waitingForHub { start(member) }
                if feedReadAgain { feedReadAgain = false; readFeed() }
            case .failure:
                phase = .subscribing
                schedule(Self.retryDelay) { [self] in subscribed() }
            }
        }
    }

    /// The feed says the stream has events up to `version`.
    func woke(upTo version: Int) {
        if version > lastVersion { readFeed() }
    }

    /// The subscriber (re)subscribed every channel: feed messages may have been lost, so
    /// read on. A hub still waiting for its own subscription keeps waiting for its
    /// `subscribed()`: its channel may have been asked for after the subscriber took its list,
    /// and reading the stream's end before the channel listens would lose the wake-ups between.
    func resubscribed() {
        if phase != .subscribing { readFeed() }
    }

    /// Reads the stream after its last entry read; one read at a time, another after it if asked meanwhile.
    private func readFeed() {
        guard phase == .live, !closed, !feedReadInFlight else {
            feedReadAgain = true
            return
        }
        feedReadInFlight = true
        feedReadAgain = false
        reads.events(of: workspace, afterStreamID: lastStreamID, limit: Self.readLimit) { [self] result in
            feedReadInFlight = false
            guard !closed else { return }
            switch result {
            case .success(let events):
                for event in events { append(event) }
                if events.count >= Self.readLimit || feedReadAgain { readFeed() }
            case .failure:
                schedule(Self.retryDelay) { [self] in readFeed() }
            }
        }
    }

    /// Takes the stream's next event and hands it to every live client it is due to.
    private func append(_ event: FeedEvent) {
        lastStreamID = event.streamID
        guard event.version > lastVersion else { return }
        lastVersion = event.version
        ring.append(event)
        for member in Array(members.values) where member.state == .live {
            guard let sent = member.sent, event.version > sent else { continue }
            if event.version == sent + 1 {
                send(event, to: member)
            } else {
                catchUp(member)
            }
        }
    }

    // MARK: Clients

    private func start(_ member: Member) {
        if let since = member.client.resumeAfter {
            member.sent = since
            // Beyond what the hub has read: only Redis knows whether the stream has it.
            if since > lastVersion { read(for: member, after: since) } else { catchUp(member) }
        } else {
            takeSnapshot(for: member)
        }
    }

    /// Sends a client everything after its last version: from the ring, else from Redis,
    /// else (the stream no longer holds it) a snapshot.
    private func catchUp(_ member: Member) {
        guard let sent = member.sent, members[ObjectIdentifier(member.client)] === member else { return }
        if sent >= lastVersion || ring.holds(from: sent + 1) {
            member.state = .live
            for event in ring.events(after: sent) where !send(event, to: member) { return }
            return
        }
        read(for: member, after: sent)
    }

    /// Reads the events after `sent` from Redis for one client, then catches it up.
    private func read(for member: Member, after sent: Int) {
        member.state = .reading
        reads.events(of: workspace, afterVersion: sent, limit: Self.readLimit) { [self] result in
            guard !closed, members[ObjectIdentifier(member.client)] === member else { return }
            switch result {
            case .success(.events(let events)) where events.isEmpty && sent >= lastVersion:
                // Nothing after it in Redis either: the client is up to date.
                catchUp(member)
            case .success(.events(let events)) where events.first?.version == sent + 1:
                for event in events where event.version == (member.sent ?? 0) + 1 {
                    guard send(event, to: member) else { return }
                }
                catchUp(member)
            case .success:
                // Not held (trimmed, or beyond the stream's end), or nothing where the hub
                // knows there is more (the stream was replaced): start over from the state.
                takeSnapshot(for: member)
            case .failure:
                schedule(Self.retryDelay) { [self] in read(for: member, after: member.sent ?? sent) }
            }
        }
    }

    /// Gets a client a snapshot: clients waiting at once share one read.
    private func takeSnapshot(for member: Member) {
        member.state = .awaitingSnapshot
        guard !snapshotInFlight else { return }
        snapshotInFlight = true
        reads.snapshot(of: workspace) { [self] result in
            snapshotInFlight = false
            guard !closed else { return }
            let waiting = members.values.filter { $0.state == .awaitingSnapshot }
            switch result {
            case .success(let snapshot):
                for member in waiting {
                    guard member.client.deliver(snapshot) else {
                        remove(member.client)
                        continue
                    }
                    member.sent = snapshot.version
                    catchUp(member)
                }
                // The snapshot saw events the hub has not read yet.
                if snapshot.version > lastVersion { readFeed() }
            case .failure:
                schedule(Self.retryDelay) { [self] in
                    guard let member = members.values.first(where: { $0.state == .awaitingSnapshot }) else { return }
                    takeSnapshot(for: member)
                }
            }
        }
    }

    /// Sends one event; a client that cannot take it is forgotten (it closes itself).
    @discardableResult
    private func send(_ event: FeedEvent, to member: Member) -> Bool {
        guard member.client.deliver(event) else {
            remove(member.client)
            return false
        }
        member.sent = event.version
        return true
    }
}
