// EventLoop: one OS thread waiting in epoll for sockets, timers and work from other threads,
// so one thread serves thousands of connections without blocking on any of them.

import CEpoll
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One thread with an epoll instance: listeners, connections and timers live on it, and other
/// threads hand it work with ``execute(_:)``.
///
/// ```swift
/// let loop = try EventLoop(name: "gateway")
/// try loop.start()
/// let listener = try loop.sync {                  // on the loop's thread, waiting for it
///     try loop.listen(host: "127.0.0.1", port: 8080) { connection in
///         connection.onData = { bytes in connection.write(bytes) }   // echo
///     }
/// }
/// DispatchQueue.global().async { loop.execute { … } }   // any thread hands work over
/// …
/// loop.stop()   // closes every connection (each onClose runs), then joins the thread
/// ```
///
/// Only ``execute(_:)``, ``submit(_:)``, ``sync(_:)``, ``stop()``, ``isCurrent`` and
/// ``isRunning`` (and ``LoopTimer/cancel()``, ``LoopListener/close()``) may be used from other
/// threads; everything else belongs to the loop's thread (a precondition says so). Callbacks
/// run there, one at a time, so the state they share needs no lock. Never block on the loop
/// thread: every connection waits meanwhile. A started loop runs until ``stop()``.
public final class EventLoop: @unchecked Sendable {
    /// The name given at creation, used in messages.
    public let name: String

    let epollDescriptor: Int32
    private let wakeDescriptor: Int32
    private let shared = Mutex<Shared>(Shared())
    /// The loop thread's `pthread_t` while it runs, else 0.
    private let threadIdentity = Atomic<UInt>(0)

    private enum Phase { case created, running, stopping, stopped }

    private struct Shared {
        var phase = Phase.created
        var queue: [@Sendable () -> Void] = []
        var thread: pthread_t?
    }

    // Confined to the loop thread.
    private var registered: [UInt64: any LoopRegistered] = [:]
    private var nextToken: UInt64 = 1
    private var timers = TimerHeap()
    /// One read buffer for every connection: reads happen one at a time on this thread.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// The epoll token of the wake-up eventfd; sockets get tokens from 1 up.
    private static let wakeToken: UInt64 = 0

    /// Creates the loop's epoll instance; ``start()`` starts its thread.
    /// - Throws: ``EventLoopError`` when the process is out of file descriptors or memory.
    public init(name: String) throws(EventLoopError) {
        self.name = name
        let epollDescriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollDescriptor >= 0 else { throw .systemCall("epoll_create1", failedWith: errno) }
        let wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wakeDescriptor >= 0 else {
            let code = errno
            close(epollDescriptor)
            throw .systemCall("eventfd", failedWith: code)
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeToken
        guard epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event) == 0 else {
            let code = errno
            close(epollDescriptor)
            close(wakeDescriptor)
            throw .systemCall("epoll_ctl", failedWith: code)
        }
        self.epollDescriptor = epollDescriptor
        self.wakeDescriptor = wakeDescriptor
    }

    deinit {
        close(epollDescriptor)
        close(wakeDescriptor)
        readBuffer.deallocate()
    }

    /// Starts the loop's thread.
    /// - Throws: ``EventLoopError`` when the loop was started before, or no thread can be made.
    public func start() throws(EventLoopError) {
        try shared.withLock { (shared: inout Shared) throws(EventLoopError) in
            guard shared.phase == .created else {
                throw EventLoopError(reason: "the loop \"\(name)\" was started before", hint: "create a new EventLoop for each start")
            }
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { context in
                let loop = Unmanaged<EventLoop>.fromOpaque(context!).takeRetainedValue()
                loop.run()
                return nil
            }, context)
            guard status == 0 else {
                Unmanaged<EventLoop>.fromOpaque(context).release()
                throw .systemCall("pthread_create", failedWith: status)
            }
            shared.thread = thread
            shared.phase = .running
        }
    }

    /// Closes every listener and connection (each connection's `onClose` runs), runs the work
    /// already handed over, and returns once the thread has ended. Idempotent; from the loop's
    /// own thread it asks the loop to stop and returns at once. A loop never started just ends.
    public func stop() {
        let thread: pthread_t? = shared.withLock { shared in
            switch shared.phase {
            case .created:
                shared.phase = .stopped
                return nil
            case .running:
                shared.phase = .stopping
                return shared.thread
            case .stopping, .stopped:
                return nil
            }
        }
        guard let thread else { return }
        wake()
        if pthread_equal(thread, pthread_self()) != 0 {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }

    /// Runs `work` on the loop's thread, after the work handed over before it (FIFO). Callable
    /// from any thread, the loop's own included (the work then runs on a later turn). Work
    /// handed over after the loop stopped is dropped; see ``submit(_:)``.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        _ = submit(work)
    }

    /// ``execute(_:)`` that says whether the work will run: false (and the work dropped) once
    /// the loop has stopped.
    @discardableResult
    public func submit(_ work: @escaping @Sendable () -> Void) -> Bool {
        let (accepted, mustWake) = shared.withLock { shared in
            guard shared.phase != .stopped else { return (false, false) }
            shared.queue.append(work)
            // Work already waiting means a wake-up is already on its way.
            return (true, shared.queue.count == 1)
        }
        if mustWake { wake() }
        return accepted
    }

    /// Runs `work` on the loop's thread and returns its result, waiting for it (directly when
    /// called on the loop's thread). Handy for setting up listeners from another thread.
    /// - Throws: what `work` throws, or ``EventLoopError`` when the loop is not running.
    public func sync<Result>(_ work: () throws -> Result) throws -> Result {
        if isCurrent { return try work() }
        guard isRunning else { throw EventLoopError(reason: "the loop \"\(name)\" is not running", hint: "start it first") }
        let box = SyncBox<Result>()
        let done = DispatchSemaphore(value: 0)
        try withoutActuallyEscaping(work) { work in
            // Sound: this thread waits below until the loop has run the work, so the box is
            // used by one thread at a time and the semaphore orders the two. The box lets go
            // of `work` before this returns, as withoutActuallyEscaping requires.
            box.work = work
            let ran = submit {
                box.result = Swift.Result { try box.work!() }
                box.work = nil
                done.signal()
            }
            guard ran else {
                box.work = nil
                throw EventLoopError(reason: "the loop \"\(name)\" stopped", hint: "start a new loop")
            }
            done.wait()
        }
        return try box.result!.get()
    }

    /// Whether the caller runs on the loop's thread.
    public var isCurrent: Bool {
        let identity = threadIdentity.load(ordering: .acquiring)
        return identity != 0 && pthread_equal(pthread_t(identity), pthread_self()) != 0
    }

    /// Whether the loop was started and has not begun stopping.
    public var isRunning: Bool {
        shared.withLock { $0.phase == .running }
    }

    /// Calls `work` on the loop's thread after `delay` (at the earliest), unless the timer is
    /// cancelled first. Loop thread only.
    @discardableResult
    public func schedule(after delay: Duration, _ work: @escaping () -> Void) -> LoopTimer {
        assertOnLoop()
        let timer = LoopTimer(loop: self, deadline: .now + max(delay, .zero), work: work)
        timers.insert(timer)
        return timer
    }

    /// Listens on `host` (an IPv4 or IPv6 literal, or `localhost`) and `port` (0: any free
    /// port, see ``LoopListener/port``), calling `onAccept` on the loop's thread with each new
    /// connection (set its callbacks there). Loop thread only.
    /// - Throws: ``EventLoopError`` saying what to do: the address is in use or not this
    ///   machine's, the host is not an IP address…
    public func listen(host: String, port: Int, onAccept: @escaping (LoopConnection) -> Void) throws(EventLoopError) -> LoopListener {
        assertOnLoop()
        let socket = try ListeningSocket.open(host: host, port: port)
        return LoopListener(loop: self, descriptor: socket.descriptor, port: socket.port, onAccept: onAccept)
    }

    // MARK: - The thread

    private func run() {
        threadIdentity.store(UInt(pthread_self()), ordering: .releasing)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while true {
            let count = epoll_wait(epollDescriptor, &events, Int32(events.count), timers.millisecondsUntilNext())
            if count < 0 && errno != EINTR {
                // ENOMEM and the like may pass: pause instead of spinning, then try again.
                usleep(10_000)
            }
            for index in 0..<max(Int(count), 0) {
                let token = events[index].data.u64
                if token == Self.wakeToken {
                    var counter: UInt64 = 0
                    _ = read(wakeDescriptor, &counter, MemoryLayout<UInt64>.size)
                    continue
                }
                // A callback earlier in this batch may have closed this one: its token is gone.
                let object = registered[token]
                object?.handle(events: events[index].events)
            }
            runDueTimers()
            let (work, stopping) = shared.withLock { shared in
                defer { shared.queue.removeAll() }
                return (shared.queue, shared.phase == .stopping)
            }
            for item in work { item() }
            if stopping { break }
        }
        finish()
    }

    private func runDueTimers() {
        let now = ContinuousClock.now
        let cutoff = timers.nextSequenceNumber
        while let timer = timers.popDue(now: now, before: cutoff) { timer.fire() }
    }

    /// Runs what was handed over before the stop, closes everything, lets go of the timers.
    private func finish() {
        let work = shared.withLock { shared in
            shared.phase = .stopped
            defer { shared.queue.removeAll() }
            return shared.queue
        }
        for item in work { item() }
        for object in Array(registered.values) { object.closeForStop() }
        registered.removeAll()
        timers.removeAll()
        threadIdentity.store(0, ordering: .releasing)
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Stops the process unless called on the loop's thread: for loop-confined APIs.
    public func assertOnLoop(_ function: StaticString = #function) {
        precondition(isCurrent, "\(function) must run on the thread of the event loop \"\(name)\" (use execute)")
    }

    // MARK: - Registration (loop thread)

    /// Adds `descriptor` to epoll with `events`; returns the token its events come back with.
    func register(_ object: any LoopRegistered, descriptor: Int32, events: UInt32) -> UInt64 {
        let token = nextToken
        nextToken += 1
        var event = epoll_event()
        event.events = events
        event.data.u64 = token
        if epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, descriptor, &event) == 0 {
            registered[token] = object
        }
        return token
    }

    /// Changes the events `descriptor` is watched for.
    func modify(descriptor: Int32, token: UInt64, events: UInt32) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = token
        _ = epoll_ctl(epollDescriptor, EPOLL_CTL_MOD, descriptor, &event)
    }

    /// Stops watching `descriptor` (call before closing it).
    func unregister(descriptor: Int32, token: UInt64) {
        _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, descriptor, nil)
        registered.removeValue(forKey: token)
    }
}

/// A listener or connection watched by a loop.
protocol LoopRegistered: AnyObject {
    /// Handles the epoll events reported for it.
    func handle(events: UInt32)
    /// Closes it because its loop stops.
    func closeForStop()
}

/// The work of ``EventLoop/sync(_:)`` and its result, handed to the loop and back.
private final class SyncBox<Value>: @unchecked Sendable {
    var work: (() throws -> Value)?
    var result: Swift.Result<Value, any Error>?
}
