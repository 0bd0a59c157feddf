// The event loop over real loopback sockets: work from other threads, timers, buffering,
// closing in every way, stopping, and many connections at once.

import Dispatch
@testable import EventLoop
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A value shared between the loop's thread and the test's.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&stored)
    }
    var value: Value { withLock { $0 } }
}

/// A started loop; stopped by the caller.
private func startedLoop(_ name: String = "test") throws -> EventLoop {
    let loop = try EventLoop(name: name)
    try loop.start()
    return loop
}

/// Listens on 127.0.0.1 with an ephemeral port; returns the port.
private func listen(on loop: EventLoop, onAccept: @escaping (LoopConnection) -> Void) throws -> Int {
    try loop.sync { try loop.listen(host: "127.0.0.1", port: 0, onAccept: onAccept).port }
}

@Suite("Event loop")
struct EventLoopTests {
    @Test func executeRunsWorkOnTheLoopThreadInOrderFromEveryThread() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let seen = Locked<[(thread: Int, index: Int, onLoop: Bool)]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<250 {
                loop.execute { seen.withLock { $0.append((thread, index, loop.isCurrent)) } }
            }
        }
        let done = DispatchSemaphore(value: 0)
        loop.execute { done.signal() }
        try #require(arrives(done))
        let all = seen.value
        #expect(all.count == 8 * 250)
        #expect(all.allSatisfy { $0.onLoop })
        for thread in 0..<8 {
            #expect(all.filter { $0.thread == thread }.map(\.index) == Array(0..<250), "thread \(thread)'s work ran out of order")
        }
        #expect(!loop.isCurrent)
    }

    @Test func workHandedOverBeforeStartRunsOnceStarted() throws {
        let loop = try EventLoop(name: "test")
        let done = DispatchSemaphore(value: 0)
        loop.execute { done.signal() }
        try loop.start()
        defer { loop.stop() }
        #expect(arrives(done))
    }

    @Test func syncReturnsTheResultAndRethrows() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        #expect(try loop.sync { loop.isCurrent ? 42 : 0 } == 42)
        struct Refused: Error {}
        #expect(throws: Refused.self) { try loop.sync { throw Refused() } }
        loop.stop()
        #expect(throws: EventLoopError.self) { try loop.sync { 1 } }
    }

    @Test func timersFireInDeadlineOrderAndCancelledOnesDoNot() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let fired = Locked<[String]>([])
        let done = DispatchSemaphore(value: 0)
        try loop.sync {
            loop.schedule(after: .milliseconds(60)) { fired.withLock { $0.append("60 ms") } }
            loop.schedule(after: .milliseconds(20)) { fired.withLock { $0.append("20 ms") } }
            let cancelled = loop.schedule(after: .milliseconds(40)) { fired.withLock { $0.append("cancelled") } }
            loop.schedule(after: .zero) { fired.withLock { $0.append("now") } }
            loop.schedule(after: .milliseconds(100)) { done.signal() }
            cancelled.cancel()
            #expect(cancelled.isCancelled)
        }
        try #require(arrives(done))
        #expect(fired.value == ["now", "20 ms", "60 ms"])
    }

    @Test func aTimerCancelledFromAnotherThreadDoesNotFire() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let fired = Locked(false)
        let timer = try loop.sync { loop.schedule(after: .milliseconds(50)) { fired.withLock { $0 = true } } }
        timer.cancel()
        let done = DispatchSemaphore(value: 0)
        try loop.sync { _ = loop.schedule(after: .milliseconds(100)) { done.signal() } }
        try #require(arrives(done))
        #expect(!fired.value)
    }

    @Test func echoOverLoopbackWithThePeersAddress() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let peers = Locked<[String]>([])
        let port = try listen(on: loop) { connection in
            peers.withLock { $0.append(connection.peer) }
            connection.onData = { connection.write($0) }
        }
        let client = try BlockingClient(port: port)
        try client.send("hello, loop")
        #expect(try client.read(count: 11) == Array("hello, loop".utf8))
        #expect(peers.value == [client.localAddress])
    }

    @Test func listeningOnATakenPortFailsWithAClearError() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let port = try listen(on: loop) { _ in }
        let error = try #require(throws: EventLoopError.self) {
            try loop.sync { _ = try loop.listen(host: "127.0.0.1", port: port) { _ in } }
        }
        #expect(error.code == EADDRINUSE)
        #expect(error.description == "cannot listen on 127.0.0.1:\(port): address already in use; another process listens on that port: choose another port")
    }

    @Test func aClosedListenerRefusesNewConnections() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let listener = try loop.sync { try loop.listen(host: "127.0.0.1", port: 0) { _ in } }
        _ = try BlockingClient(port: listener.port)
        listener.close()  // from this thread: handed to the loop
        try loop.sync {}
        #expect(throws: ClientError.self) { try BlockingClient(port: listener.port) }
    }

    /// A peer that does not read: the socket fills, then the buffer up to its limit, then
    /// `write` refuses without queueing; once the peer reads everything arrives and onDrained runs.
    @Test func writesBufferUpToTheLimitThenRefuse() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let limit = 256 * 1024
        let chunk = [UInt8](repeating: 0x61, count: 16 * 1024)
        let accepted = Locked(0)
        let refusal = Locked<(buffered: Int, afterRefusal: Int)?>(nil)
        let filled = DispatchSemaphore(value: 0)
        let drained = DispatchSemaphore(value: 0)
        let port = try listen(on: loop) { connection in
            connection.writeBufferLimit = limit
            connection.onDrained = { drained.signal() }
            // Writes until refused, a turn at a time so the socket's own buffer fills first.
            func writeMore() {
                guard connection.isOpen else { return }
                if connection.write(chunk) {
                    accepted.withLock { $0 += chunk.count }
                    loop.schedule(after: .milliseconds(1), writeMore)
                    return
                }
                let buffered = connection.bufferedBytes
                _ = connection.write(chunk)  // refused again: the buffer is as full as before
                refusal.withLock { $0 = (buffered, connection.bufferedBytes) }
                filled.signal()
            }
            writeMore()
        }
        let client = try BlockingClient(port: port, receiveBuffer: 4096)
        try #require(arrives(filled), "write never refused")
        let state = try #require(refusal.value)
        #expect(state.buffered <= limit)
        #expect(state.buffered > limit - chunk.count, "refused before the buffer was nearly full")
        #expect(state.afterRefusal == state.buffered, "a refused write queued something")
        let total = accepted.value
        let received = try client.read(count: total)
        #expect(received == [UInt8](repeating: 0x61, count: total))
        #expect(arrives(drained))
    }

    /// Loopback delivers a send into the receiver's socket at once, so after another
    /// connection's round trip (and the loop's turn that carried it) a connection that was not
    /// paused would have had its data delivered already.
    @Test func aPausedConnectionGetsItsDataOnlyAfterResuming() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let resumed = Locked(false)
        let deliveries = Locked<[(bytes: [UInt8], afterResume: Bool)]>([])
        let delivered = DispatchSemaphore(value: 0)
        let paused = Locked<LoopConnection?>(nil)
        let port = try listen(on: loop) { connection in
            if paused.value == nil {
                paused.withLock { $0 = connection }
                connection.pauseReading()
                connection.onData = { bytes in
                    deliveries.withLock { $0.append((bytes, resumed.value)) }
                    delivered.signal()
                }
            } else {
                connection.onData = { connection.write($0) }
            }
        }
        let first = try BlockingClient(port: port)
        try loop.sync {}  // accepted and paused
        let second = try BlockingClient(port: port)
        try first.send("held")
        try second.send("ping")
        #expect(try second.read(count: 4) == Array("ping".utf8))
        try loop.sync {
            resumed.withLock { $0 = true }
            paused.value?.resumeReading()
        }
        try #require(arrives(delivered))
        #expect(deliveries.value.map(\.bytes) == [Array("held".utf8)])
        #expect(deliveries.value.allSatisfy { $0.afterResume }, "data was delivered while paused")
    }

    /// One peer that reads nothing while a lot is written to it: the others are served as usual.
    @Test func aPeerThatDoesNotReadHoldsUpNobody() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let stuck = DispatchSemaphore(value: 0)
        let isFirst = Locked(true)
        let port = try listen(on: loop) { connection in
            guard isFirst.withLock({ first in defer { first = false }; return first }) else {
                connection.onData = { connection.write($0) }
                return
            }
            connection.writeBufferLimit = 4 * 1024 * 1024
            #expect(connection.write([UInt8](repeating: 7, count: 4 * 1024 * 1024)))
            #expect(connection.bufferedBytes > 0, "the socket took it all: nothing is held back")
            stuck.signal()
        }
        let sleeper = try BlockingClient(port: port, receiveBuffer: 4096)
        try #require(arrives(stuck))
        for index in 0..<20 {
            let client = try BlockingClient(port: port)
            try client.send("n\(index)")
            #expect(try client.read(count: "n\(index)".utf8.count) == Array("n\(index)".utf8))
        }
        withExtendedLifetime(sleeper) {}
    }

    /// Thousands of small messages queued behind a slow peer arrive whole and in order.
    @Test func manySmallBufferedWritesArriveInOrder() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        // More than the kernel's socket buffers take (up to 4 MiB), in 64-byte messages.
        let messages = (0..<100_000).map { Array("message \($0);".utf8) + [UInt8](repeating: 0x2E, count: 64 - "message \($0);".utf8.count) }
        let queued = DispatchSemaphore(value: 0)
        let buffered = Locked(0)
        let port = try listen(on: loop) { connection in
            connection.writeBufferLimit = 16 * 1024 * 1024
            let refused = messages.filter { !connection.write($0) }.count
            #expect(refused == 0)
            buffered.withLock { $0 = connection.bufferedBytes }
            queued.signal()
        }
        let client = try BlockingClient(port: port, receiveBuffer: 4096)
        try #require(arrives(queued))
        #expect(buffered.value > 0, "the socket took it all: nothing was queued")
        let expected = messages.flatMap { $0 }
        #expect(try client.read(count: expected.count) == expected)
    }

    @Test func onCloseRunsOnceWhenThePeerEndsTheStream() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let closes = Locked(0)
        let closed = DispatchSemaphore(value: 0)
        let connection = Locked<LoopConnection?>(nil)
        let port = try listen(on: loop) { accepted in
            connection.withLock { $0 = accepted }
            accepted.onClose = { closes.withLock { $0 += 1 }; closed.signal() }
        }
        let client = try BlockingClient(port: port)
        try client.send("bye")
        client.close()
        try #require(arrives(closed))
        try loop.sync {
            let server = try #require(connection.value)
            #expect(!server.isOpen)
            server.close()  // a second close does nothing
            #expect(!server.write([1]))
        }
        #expect(closes.value == 1)
    }

    @Test func onCloseRunsOnceWhenThePeerResets() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let closes = Locked(0)
        let closed = DispatchSemaphore(value: 0)
        let ready = DispatchSemaphore(value: 0)
        let port = try listen(on: loop) { accepted in
            accepted.onClose = { closes.withLock { $0 += 1 }; closed.signal() }
            accepted.onData = { _ in ready.signal() }
        }
        let client = try BlockingClient(port: port)
        try client.send("x")
        try #require(arrives(ready))
        client.reset()
        try #require(arrives(closed))
        try loop.sync {}
        #expect(closes.value == 1)
    }

    @Test func closeRunsOnCloseOnceAndThePeerSeesTheEnd() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let closes = Locked(0)
        let port = try listen(on: loop) { accepted in
            accepted.onClose = { closes.withLock { $0 += 1 } }
            accepted.onData = { _ in
                accepted.close()
                accepted.close()
            }
        }
        let client = try BlockingClient(port: port)
        try client.send("close, please")
        #expect(try client.readToEnd() == [])
        try loop.sync {}
        #expect(closes.value == 1)
    }

    /// More than the socket takes at once: all of it arrives, then the end of the stream; the
    /// connection closes once the peer has closed its side.
    @Test func closeAfterWritingDeliversEverythingThenTheEnd() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let payload = (0..<(4 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let closed = DispatchSemaphore(value: 0)
        let port = try listen(on: loop) { connection in
            connection.writeBufferLimit = payload.count
            connection.onClose = { closed.signal() }
            #expect(connection.write(payload))
            connection.closeAfterWriting(within: .seconds(60))
            #expect(!connection.write([1]), "a write after closeAfterWriting was taken")
        }
        let client = try BlockingClient(port: port)
        let received = try client.readToEnd()
        #expect(received.count == payload.count)
        #expect(received == payload)
        client.close()
        #expect(arrives(closed))
    }

    @Test func closeAfterWritingClosesAtTheDeadlineWhenThePeerDoesNotRead() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let closed = DispatchSemaphore(value: 0)
        let port = try listen(on: loop) { connection in
            connection.writeBufferLimit = 8 * 1024 * 1024
            connection.onClose = { closed.signal() }
            connection.write([UInt8](repeating: 0, count: 8 * 1024 * 1024))
            connection.closeAfterWriting(within: .milliseconds(200))
        }
        let client = try BlockingClient(port: port, receiveBuffer: 4096)
        #expect(arrives(closed))
        withExtendedLifetime(client) {}
    }

    @Test func stopClosesEveryConnectionThenJoins() throws {
        let loop = try startedLoop()
        let closes = Locked(0)
        let accepted = Locked(0)
        let port = try listen(on: loop) { connection in
            accepted.withLock { $0 += 1 }
            connection.onClose = { closes.withLock { $0 += 1 } }
            connection.onData = { connection.write($0) }
        }
        let clients = try (0..<10).map { _ in try BlockingClient(port: port) }
        for client in clients {
            try client.send("x")
            #expect(try client.read(count: 1) == [UInt8(ascii: "x")])
        }
        #expect(accepted.value == 10)
        loop.stop()
        #expect(closes.value == 10, "stop returned before every connection was closed")
        #expect(!loop.isRunning)
        for client in clients { #expect(try client.readToEnd() == []) }
        #expect(!loop.submit {})
        #expect(throws: ClientError.self) { try BlockingClient(port: port) }
        loop.stop()  // a second stop does nothing
    }

    @Test func stopFromTheLoopThreadReturnsAndTheLoopEnds() throws {
        let loop = try startedLoop()
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            loop.stop()
            done.signal()
        }
        try #require(arrives(done))
        loop.stop()
        #expect(!loop.isRunning)
    }

    @Test func aLoopStartsOnlyOnce() throws {
        let loop = try startedLoop()
        loop.stop()
        let error = try #require(throws: EventLoopError.self) { try loop.start() }
        #expect(error.description.contains("was started before"))
    }

    @Test func aThousandConnectionsEchoAtOnce() throws {
        let loop = try startedLoop()
        defer { loop.stop() }
        let open = Locked(0)
        let port = try listen(on: loop) { connection in
            open.withLock { $0 += 1 }
            connection.onClose = { open.withLock { $0 -= 1 } }
            connection.onData = { connection.write($0) }
        }
        let clients = try (0..<1000).map { _ in try BlockingClient(port: port) }
        for (index, client) in clients.enumerated() { try client.send("client \(index);") }
        for (index, client) in clients.enumerated() {
            let expected = Array("client \(index);".utf8)
            #expect(try client.read(count: expected.count) == expected)
        }
        #expect(open.value == 1000)
    }
}
