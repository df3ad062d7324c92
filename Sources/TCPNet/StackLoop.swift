#if canImport(Glibc)
import CTCPNetLinux
import Glibc
import NIOConcurrencyHelpers
import Synchronization

/// The stack's event loop: one thread blocked in epoll(7) on an eventfd (work from other
/// threads), a timerfd (the engine's one timer) and, when the device is pollable, the device's own
/// descriptor. Each turn it handles what epoll reported — the device's packets, read right here,
/// and the timer — then runs the queued jobs; once no job is left (or after `turnsPerTick` turns)
/// the tick ends with the tick hook, where the driver sends what the tick produced. So on the common path a packet is read, handled, answered
/// by a handler task and the answer written, all on this thread, with no wake-up of another.
///
/// It is the `SerialExecutor` of the driver (`StackCore`), and `taskExecutor` is the same thread
/// as a `TaskExecutor`: a task that prefers it (`withTaskExecutorPreference(stack.executor)`)
/// runs its nonisolated code here too, and enters the driver with `assumeIsolated` (the loop
/// answers `checkIsolated` by its thread), with no hop. (Two executor objects, not one: a job is
/// run as what it was enqueued on. Were actor jobs run with the loop as task executor too, the
/// runtime would see a task without that preference as "on another task executor" and hop it
/// through the queue at its next isolated call.)
///
/// Work queued from the loop itself costs no system call; from another thread, one eventfd write
/// per batch (the first job after the loop drained its queue wakes it, the rest ride along).
final class StackLoop: SerialExecutor, @unchecked Sendable {
    enum Work {
        case closure(() -> Void)
        /// Enqueued on the loop as a serial executor (an actor's job).
        case job(UnownedJob)
        /// Enqueued on `taskExecutor` (a task that prefers the loop, in nonisolated code).
        case taskJob(UnownedJob)
    }

    /// The loop as a `TaskExecutor`.
    final class LoopTaskExecutor: TaskExecutor, @unchecked Sendable {
        /// Set once, before the executor is handed out.
        weak var loop: StackLoop?
        func enqueue(_ job: consuming ExecutorJob) {
            if let loop {
                loop.submit(.taskJob(UnownedJob(job)))
            } else {
                // The stack is gone and its thread with it; a task that still prefers it goes on
                // on the global executor.
                globalConcurrentExecutor.enqueue(job)
            }
        }
    }
    /// The loop as a `TaskExecutor` (it lives as long as the loop).
    let taskExecutor = LoopTaskExecutor()

    private struct Queue {
        var work: [Work] = []
        /// An eventfd write is under way or done and not yet consumed: no other is needed.
        var wakePending = false
        var state = State.running
    }
    enum State { case running, stopping, stopped }

    private let queue = NIOLockedValueBox(Queue())
    /// The loop's own copy of the queue, swapped with `queue.work` each tick (keeps its storage).
    private var running: [Work] = []
    private let epfd: Int32
    private let wakeFD: Int32
    private let timerFD: Int32
    /// pthread_self() of the loop thread (0 until it runs).
    private let threadID = Atomic<UInt>(0)
    /// Jobs enqueued after the thread ended run here, one at a time (see `enqueue`).
    private let fallback = NIOLockedValueBox<[Work]>([])

    // Loop-thread state.
    private var readable: (() -> Void)?
    private var readableFD: Int32 = -1
    /// Runs when the timer (`setTimer`) fires.
    var onTimer: (() -> Void)?
    private var armedTimer: UInt64?
    /// Called at the end of every tick, after the queued jobs (the driver's deferred transmit).
    var tickEnd: (() -> Void)?
    /// The driver has packets left to send (its per-tick budget ran out): the loop does not
    /// block, and ends the tick at every turn until the tick hook clears this.
    var backlog = false

    /// The number of packets (or other units) the device handler may take per wake-up, so that
    /// queued jobs and the timer are not starved by a flood.
    static let readBatch = 64
    /// Turns of the loop (epoll, then a batch of work) at most before the tick hook runs.
    static let turnsPerTick = 8

    static let epollTagWake: UInt64 = 1, epollTagTimer: UInt64 = 2, epollTagDevice: UInt64 = 3

    init() {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        timerFD = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        precondition(epfd >= 0 && wakeFD >= 0 && timerFD >= 0, "StackLoop: epoll/eventfd/timerfd failed (errno \(errno))")
        taskExecutor.loop = self
        add(wakeFD, tag: Self.epollTagWake)
        add(timerFD, tag: Self.epollTagTimer)
        let thread = try? PlainThread.start { [self] in run() }
        precondition(thread != nil, "StackLoop: pthread_create failed")
        pthread_detach(thread!)
    }

    deinit {
        close(epfd)
        close(wakeFD)
        close(timerFD)
    }

    private func add(_ fd: Int32, tag: UInt64) {
        var ev = epoll_event()
        ev.events = EPOLLIN.rawValue
        ev.data.u64 = tag
        let r = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
        precondition(r == 0, "StackLoop: epoll_ctl ADD failed (errno \(errno))")
    }

    // MARK: - Where am I

    var inEventLoop: Bool { threadID.load(ordering: .relaxed) == UInt(pthread_self()) }

    // MARK: - Executors

    func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    func checkIsolated() {
        precondition(inEventLoop, "not on the stack's event loop")
    }

    func isIsolatingCurrentContext() -> Bool? { inEventLoop }

    /// Runs `body` on the loop, in order with every other piece of work.
    func execute(_ body: @escaping @Sendable () -> Void) {
        submit(.closure(body))
    }

    fileprivate func submit(_ work: Work) {
        let (wake, state) = queue.withLockedValue { q -> (Bool, State) in
            if q.state == .stopped { return (false, .stopped) }
            q.work.append(work)
            if q.wakePending { return (false, q.state) }
            q.wakePending = true
            return (true, q.state)
        }
        if state == .stopped {
            // The thread is gone (the driver went away while a task preferring the loop lived on):
            // such jobs run one at a time on a helper thread, so nothing is ever lost.
            runElsewhere(work)
            return
        }
        // A job queued by the loop itself is seen before it next blocks: no wake-up needed.
        if wake && !inEventLoop {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    private func runElsewhere(_ work: Work) {
        let start = fallback.withLockedValue { f -> Bool in
            f.append(work)
            return f.count == 1
        }
        guard start else { return }
        if let thread = try? PlainThread.start({ [self] in
            while let next = fallback.withLockedValue({ $0.first }) {
                perform(next)
                fallback.withLockedValue { _ = $0.removeFirst() }
            }
        }) {
            pthread_detach(thread)
        }
    }

    private func perform(_ work: Work) {
        switch work {
        case .closure(let body): body()
        case .job(let job): job.runSynchronously(on: asUnownedSerialExecutor())
        case .taskJob(let job): job.runSynchronously(on: taskExecutor.asUnownedTaskExecutor())
        }
    }

    /// Runs `body` on the loop and waits for its result (at once when already on the loop).
    func runAndWait<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        if inEventLoop { return body() }
        let box = NIOLockedValueBox<T?>(nil)
        let done = ConditionLock(value: false)
        execute {
            let r = body()
            box.withLockedValue { $0 = r }
            done.lock()
            done.unlock(withValue: true)
        }
        done.lock(whenValue: true)
        done.unlock()
        return box.withLockedValue { $0! }
    }

    /// Ends the thread after the work already queued (and whatever that queues) has run.
    func shutdown() {
        let wake = queue.withLockedValue { q -> Bool in
            guard q.state == .running else { return false }
            q.state = .stopping
            return true
        }
        if wake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    // MARK: - Device and timer (loop thread only)

    /// Watches `fd` (level-triggered): `handler` runs on the loop whenever it is readable and must
    /// read at most `readBatch` units before returning.
    func watch(_ fd: Int32, _ handler: @escaping () -> Void) {
        precondition(inEventLoop && readableFD < 0)
        var ev = epoll_event()
        ev.events = EPOLLIN.rawValue
        ev.data.u64 = Self.epollTagDevice
        guard epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 else { return }
        readableFD = fd
        readable = handler
    }

    /// Stops watching the device's descriptor (before it may be closed).
    func unwatch() {
        precondition(inEventLoop)
        guard readableFD >= 0 else { return }
        var ev = epoll_event()
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, readableFD, &ev)
        readableFD = -1
        readable = nil
    }

    /// The one timer: `onTimer` runs on the loop at `uptimeNanoseconds` (CLOCK_MONOTONIC), or at
    /// once if that is past. A later call replaces the deadline; nil disarms it.
    func setTimer(_ uptimeNanoseconds: UInt64?) {
        precondition(inEventLoop)
        guard armedTimer != uptimeNanoseconds else { return }
        armedTimer = uptimeNanoseconds
        var spec = itimerspec()
        if let t = uptimeNanoseconds {
            // An it_value of zero would disarm: a deadline at 0 (past) fires at 1 ns instead.
            let at = max(t, 1)
            spec.it_value.tv_sec = Int(at / 1_000_000_000)
            spec.it_value.tv_nsec = Int(at % 1_000_000_000)
        }
        _ = timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    static func uptimeNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    // MARK: - The loop

    private func run() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        var events = [epoll_event](repeating: epoll_event(), count: 8)
        var turns = 0
        while true {
            // Jobs queued by the loop itself (no eventfd write) must run before it blocks.
            let idle = queue.withLockedValue { q -> Bool? in
                if q.state == .stopping && q.work.isEmpty {
                    q.state = .stopped   // from now on `submit` runs work elsewhere
                    return nil
                }
                return q.work.isEmpty
            }
            guard let idle else { break }
            let block = idle && !(backlog && tickEnd != nil)
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epfd, $0.baseAddress, 8, block ? -1 : 0) }
            if n > 0 {
                for i in 0..<Int(n) {
                    switch events[i].data.u64 {
                    case Self.epollTagWake:
                        var value: UInt64 = 0
                        _ = read(wakeFD, &value, 8)
                    case Self.epollTagTimer:
                        var value: UInt64 = 0
                        _ = read(timerFD, &value, 8)
                        armedTimer = nil
                        onTimer?()
                    default:
                        readable?()
                    }
                }
            }
            // One batch of queued work: what it queues in turn runs in the next tick, after the
            // device has been looked at again.
            queue.withLockedValue { q in
                swap(&q.work, &running)
                q.wakePending = false
            }
            for w in running { perform(w) }
            running.removeAll(keepingCapacity: true)
            // The tick ends when the work it set off is done (a woken task's answer is then in the
            // engine, and the ACK rides on it), or after a bounded number of turns.
            turns += 1
            if turns >= Self.turnsPerTick || backlog || queue.withLockedValue({ $0.work.isEmpty }) {
                turns = 0
                tickEnd?()
            }
        }
        tickEnd = nil
        readable = nil
        onTimer = nil
    }
}
#endif
