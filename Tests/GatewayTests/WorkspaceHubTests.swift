// The hub's ordering rule with its Redis reads answered by hand: every client sees a
// snapshot or its resume point, then each later version once, in order, with no gap.
@testable import Gateway
import Switchboard
import Testing

/// Reads recorded for the test to answer.
private final class FakeReads: HubReading {
    var tails: [(Result<(streamID: String, version: Int), any Error>) -> Void] = []
    var feedReads: [(after: String, done: (Result<[FeedEvent], any Error>) -> Void)] = []
    var versionReads: [(after: Int, done: (Result<HeldEvents, any Error>) -> Void)] = []
    var snapshots: [(Result<SnapshotMessage, any Error>) -> Void] = []

    func tail(of workspace: Identifier, then done: @escaping (Result<(streamID: String, version: Int), any Error>) -> Void) { tails.append(done) }
    func events(of workspace: Identifier, afterStreamID streamID: String, limit: Int, then done: @escaping (Result<[FeedEvent], any Error>) -> Void) {
        feedReads.append((streamID, done))
    }
    func events(of workspace: Identifier, afterVersion version: Int, limit: Int, then done: @escaping (Result<HeldEvents, any Error>) -> Void) {
        versionReads.append((version, done))
    }
    func snapshot(of workspace: Identifier, then done: @escaping (Result<SnapshotMessage, any Error>) -> Void) { snapshots.append(done) }

    func answerTail(_ version: Int) { tails.removeFirst()(.success((id(version), version))) }
    func answerFeed(_ versions: ClosedRange<Int>?) { feedReads.removeFirst().done(.success(versions.map { $0.map(event) } ?? [])) }
    func answerSnapshot(_ version: Int) { snapshots.removeFirst()(.success(SnapshotMessage(version: version, members: Array("}".utf8)))) }
}

private func id(_ version: Int) -> String { "\(1000 + version)-0" }
private func event(_ version: Int) -> FeedEvent { FeedEvent(streamID: id(version), version: version, type: "status", json: Array("{}".utf8)) }

/// A client recording what it got: `s<version>` for a snapshot, the version for an event.
private final class FakeClient: HubMember {
    let resumeAfter: Int?
    var received: [String] = []
    var accepts = true
    init(since: Int? = nil) { resumeAfter = since }
    func deliver(_ event: FeedEvent) -> Bool {
        guard accepts else { return false }
        received.append(String(event.version))
        return true
    }
    func deliver(_ snapshot: SnapshotMessage) -> Bool {
        guard accepts else { return false }
        received.append("s\(snapshot.version)")
        return true
    }
}

private func liveHub(at version: Int, reads: FakeReads) -> WorkspaceHub {
    let hub = WorkspaceHub(workspace: Identifier("acme")!, reads: reads) { _, _ in }
    hub.subscribed()
    reads.answerTail(version)
    return hub
}

@Suite("Workspace hub")
struct WorkspaceHubTests {
    @Test func clientsWaitForTheFeedThenGetASnapshotAndEveryLaterEvent() {
        let reads = FakeReads()
        let hub = WorkspaceHub(workspace: Identifier("acme")!, reads: reads) { _, _ in }
        let client = FakeClient()
        hub.add(client)
        #expect(reads.snapshots.isEmpty && reads.tails.isEmpty)
        hub.subscribed()
        reads.answerTail(5)
        #expect(hub.phase == .live)
        reads.answerSnapshot(5)
        hub.woke(upTo: 7)
        #expect(reads.feedReads.first?.after == id(5))
        reads.answerFeed(6...7)
        #expect(client.received == ["s5", "6", "7"])
    }

    @Test func aSnapshotAheadOfTheHubSkipsWhatItHolds() {
        let reads = FakeReads()
        let hub = liveHub(at: 5, reads: reads)
        let client = FakeClient()
        hub.add(client)
        reads.answerSnapshot(8)
        // The snapshot saw versions the hub has not read: it reads on by itself.
        reads.answerFeed(6...9)
        #expect(client.received == ["s8", "9"])
    }

    @Test func aSnapshotBehindTheHubCatchesUpFromTheRing() {
        let reads = FakeReads()
        let hub = liveHub(at: 2, reads: reads)
        let early = FakeClient()
        hub.add(early)
        hub.woke(upTo: 5)
        reads.answerFeed(3...5)
        reads.answerSnapshot(3)
        #expect(early.received == ["s3", "4", "5"])
    }

    @Test func resumesComeFromTheRingOrRedisOrASnapshot() {
        let reads = FakeReads()
        let hub = liveHub(at: 0, reads: reads)
        hub.woke(upTo: 10)
        reads.answerFeed(1...10)

        let inRing = FakeClient(since: 7)
        hub.add(inRing)
        #expect(inRing.received == ["8", "9", "10"])

        let current = FakeClient(since: 10)
        hub.add(current)
        #expect(current.received.isEmpty)

        // A hub that started at 10 holds nothing older: a Redis read, then live.
        let late = liveHub(at: 10, reads: reads)
        let behind = FakeClient(since: 6)
        late.add(behind)
        #expect(reads.versionReads.first?.after == 6)
        late.woke(upTo: 11)
        reads.answerFeed(11...11)
        reads.versionReads.removeFirst().done(.success(.events((7...12).map(event))))
        late.woke(upTo: 13)
        reads.answerFeed(12...13)
        #expect(behind.received == ["7", "8", "9", "10", "11", "12", "13"])

        let trimmed = FakeClient(since: 1)
        late.add(trimmed)
        reads.versionReads.removeFirst().done(.success(.notHeld))
        reads.answerSnapshot(13)
        #expect(trimmed.received == ["s13"])
    }

    @Test func aResumeBeyondWhatTheHubReadIsCheckedInRedis() {
        let reads = FakeReads()
        let hub = liveHub(at: 5, reads: reads)
        // Beyond the stream's end (Redis lost its data, or a client of another deployment): a snapshot.
        let future = FakeClient(since: 99)
        hub.add(future)
        #expect(reads.versionReads.first?.after == 99)
        reads.versionReads.removeFirst().done(.success(.notHeld))
        reads.answerSnapshot(6)
        #expect(future.received == ["s6"])
        // The stream's end, which the hub has not read yet: nothing to send until the next event.
        let current = FakeClient(since: 6)
        hub.add(current)
        reads.versionReads.removeFirst().done(.success(.events([])))
        reads.answerFeed(6...7)
        #expect(current.received == ["7"])
        #expect(future.received == ["s6", "7"])
    }

    @Test func aSlowClientIsDroppedAndTheOthersGoOn() {
        let reads = FakeReads()
        let hub = liveHub(at: 0, reads: reads)
        let slow = FakeClient(since: 0), fine = FakeClient(since: 0)
        hub.add(slow)
        hub.add(fine)
        slow.accepts = false
        hub.woke(upTo: 2)
        reads.answerFeed(1...2)
        #expect(fine.received == ["1", "2"])
        #expect(slow.received.isEmpty)
        #expect(hub.count == 1)
    }

    @Test func oneFeedReadAtATimeAndOneMoreIfWokenMeanwhile() {
        let reads = FakeReads()
        let hub = liveHub(at: 0, reads: reads)
        let client = FakeClient(since: 0)
        hub.add(client)
        hub.woke(upTo: 1)
        hub.woke(upTo: 2)
        hub.woke(upTo: 3)
        #expect(reads.feedReads.count == 1)
        reads.answerFeed(1...1)
        #expect(reads.feedReads.count == 1 && reads.feedReads.first?.after == id(1))
        reads.answerFeed(2...3)
        #expect(reads.feedReads.isEmpty)
        hub.woke(upTo: 3)  // nothing new
        #expect(reads.feedReads.isEmpty)
        hub.resubscribed()
        reads.answerFeed(nil)
        #expect(client.received == ["1", "2", "3"])
    }

    /// Review: a resubscription of the others is no confirmation of a hub's own channel (it
    /// may have been asked for after the subscriber took its list): reading the tail then
    /// would lose the wake-ups until the channel listens.
    @Test func aHubWaitsForItsOwnSubscriptionNotAnyResubscription() {
        let reads = FakeReads()
        let hub = WorkspaceHub(workspace: Identifier("acme")!, reads: reads) { _, _ in }
        hub.add(FakeClient())
        hub.resubscribed()
        #expect(hub.phase == .subscribing && reads.tails.isEmpty && reads.feedReads.isEmpty)
        hub.subscribed()
        #expect(reads.tails.count == 1)
    }

    @Test func aGapInTheStreamGivesEveryClientASnapshot() {
        let reads = FakeReads()
        let hub = liveHub(at: 0, reads: reads)
        let client = FakeClient(since: 0)
        hub.add(client)
        hub.woke(upTo: 1)
        reads.answerFeed(1...1)
        hub.woke(upTo: 9)
        reads.feedReads.removeFirst().done(.success([event(5)]))
        reads.versionReads.removeFirst().done(.success(.notHeld))
        reads.answerSnapshot(5)
        hub.woke(upTo: 6)
        reads.answerFeed(6...6)
        #expect(client.received == ["1", "s5", "6"])
    }

    @Test func failedReadsAreRetriedLater() {
        struct Down: Error {}
        let reads = FakeReads()
        var later: [() -> Void] = []
        let hub = WorkspaceHub(workspace: Identifier("acme")!, reads: reads) { _, work in later.append(work) }
        let client = FakeClient()
        hub.add(client)
        hub.subscribed()
        reads.tails.removeFirst()(.failure(Down()))
        later.removeFirst()()
        reads.answerTail(1)
        reads.snapshots.removeFirst()(.failure(Down()))
        later.removeFirst()()
        reads.answerSnapshot(1)
        hub.woke(upTo: 2)
        reads.feedReads.removeFirst().done(.failure(Down()))
        later.removeFirst()()
        reads.answerFeed(2...2)
        #expect(client.received == ["s1", "2"])
    }
}

@Suite("Event ring")
struct EventRingTests {
    @Test func keepsTheLastEventsAndEmptiesOnAGap() {
        var ring = EventRing(capacity: 3)
        for version in 1...5 { ring.append(event(version)) }
        #expect(ring.firstVersion == 3 && ring.count == 3)
        #expect(ring.holds(from: 3) && ring.holds(from: 6) && !ring.holds(from: 2))
        #expect(ring.events(after: 3).map(\.version) == [4, 5])
        ring.append(event(9))
        #expect(ring.firstVersion == 9 && ring.count == 1)
        for version in 10...100 { ring.append(event(version)) }
        #expect(ring.events(after: 0).map(\.version) == [98, 99, 100])
    }
}
