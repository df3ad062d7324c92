import Synchronization
import TCPCore
import TCPWire

/// The driver: one sans-IO `TCPStack`, confined to one event loop (`StackLoop`, one thread).
///
/// An actor whose executor *is* that event loop, so the compiler checks that the engine is only
/// touched there: the async API hops onto it with an ordinary `await` (or, from a task already
/// running on the loop, enters it with `assumeIsolated` and no hop at all), and the loop's
/// callbacks (the device readable, inbox wake-ups, the timer, the end of a tick) enter it with
/// `assumeIsolated`, which the loop checks at run time.
///
/// Every piece of work (packets in, a timer, a user call) ends in `afterWork`: transmit everything
/// the engine has (`pollTransmit` into one reused buffer, then `device.send`), hand trace records
/// to the trace hook, wake the tasks that engine events concern, and re-arm the one timer at
/// `nextDeadline`. Packets read by the loop itself leave their transmission to the end of the
/// tick, after the tasks they woke have run: an answer written by such a task then carries the ACK.
actor StackCore {
    nonisolated let loop: StackLoop
    nonisolated let device: any PacketDevice
    nonisolated let inbox: Inbox
    nonisolated let hooks: NetworkStack.Hooks
    /// The monotonic uptime (CLOCK_MONOTONIC) at the engine's `Instant.zero`.
    nonisolated let originUptimeNanoseconds: UInt64
    /// Sharded stacks: which shard this is, and what the shards share (nil: the only one).
    nonisolated let shardIndex: Int
    nonisolated let router: ShardRouter?
    /// Connection handles of this shard alive in the application (`TCPConnection`s): what
    /// `NetworkStack.connect` balances the shards by.
    nonisolated let handles = Atomic<Int>(0)

    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    var stack: TCPStack
    /// The one buffer every outgoing packet is built in (the engine's MTU, or the device's largest
    /// packet when it segments).
    let transmitMemory: OwnedBuffer
    /// What the device finishes on packets the engine writes (`.none` for most devices).
    let transmitOffload: TransmitOffload
    var transmitBuffer: UnsafeMutableRawBufferPointer { transmitMemory.bytes }
    /// Where `read` copies received bytes before handing out an array of the exact size.
    let receiveMemory: OwnedBuffer
    var receiveScratch: UnsafeMutableRawBufferPointer { receiveMemory.bytes }
    /// The inbox's records trade places with this array (see `Inbox`).
    var spareRecords: [UInt8] = []
    var statistics = DriverStatistics()
    var icmpIdentification: UInt16 = 0

    /// The armed timer's deadline (nil when none is armed).
    var armedDeadline: Instant?
    /// Packets were handled whose answers wait for the end of the loop's tick.
    var transmitDeferred = false
    /// The packets a tick may send (`flush`), and what is left of it in this tick. A bound on
    /// the packets sent between two reads of the device: a sender that is CPU-bound (every
    /// packet one write(2) to TUN, the kernel's TCP receive path running inside it) otherwise
    /// spends its ticks on whole windows, the peer's ACKs queue up unread in the device (their
    /// queue, not the network, becomes the bottleneck, and nothing is lost there to tell
    /// congestion control), and each connection's share of the thread is its cwnd: shares set
    /// by where slow start happened to end stay that way. Bounded, and served round robin by
    /// the engine, the connections with data to send share the ticks evenly, the ACKs are read
    /// as fast as they come, and the round trip stays short. Below `StackLoop.readBatch`: a
    /// kernel receiver acknowledges every segment or every other one.
    static let transmitBudget = 64
    var transmitBudgetLeft = StackCore.transmitBudget
    /// Where the loop reads a pollable device's packets (its largest packet), nil otherwise.
    let deviceMemory: OwnedBuffer?

    enum Phase { case running, closing, stopped }
    var phase = Phase.running

    struct Waiter {
        var token: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }
    /// Tasks suspended on one connection, by what they wait for.
    struct Entry {
        var readers: [Waiter] = []
        var writers: [Waiter] = []
        var connectors: [Waiter] = []
        /// `TCPConnection.softErrors()`'s stream (TCPConnection+SoftErrors.swift).
        var softErrors: AsyncStream<NetworkError>.Continuation?
    }
    enum WaitKind { case read, write, connect }
    /// Connections handed to the application (and not yet closed by it).
    var entries: [ConnectionID: Entry] = [:]
    /// Connections the application closed whose closing handshake may still be under way (pruned
    /// as they finish), so that `shutdown` waits for them too.
    var closing: Set<ConnectionID> = []
    /// Listeners and the tasks waiting in `accept`.
    var listeners: [ListenerID: [Waiter]] = [:]
    /// Sharded listeners: their gates, signalled at every wake-up of the listener here.
    var acceptGates: [ListenerID: AcceptGate] = [:]
    /// Tokens that tell waiters apart (for cancellation); drawn from any thread.
    nonisolated let tokens = Atomic<UInt64>(0)
    /// Counts wake-ups (and anything else that resumes waiters). A caller that found nothing to
    /// do and must wait says which count it saw; if the count moved meanwhile, it does not wait
    /// but retries, so that a wake-up between its try and its wait is never lost.
    var wakeEpoch: UInt64 = 0

    init(device: any PacketDevice, polled: Bool, addresses: [IPAddress],
         configuration: TCPConfiguration, hooks: NetworkStack.Hooks, seed: UInt64?, inboxLimitBytes: Int,
         shard: Int = 0, router: ShardRouter? = nil, originUptimeNanoseconds origin: UInt64? = nil) {
        shardIndex = shard
        self.router = router
        self.loop = StackLoop()
        deviceMemory = polled ? OwnedBuffer(byteCount: PollablePacketDeviceLimits.maximumPacketBytes) : nil
        self.device = device
        self.hooks = hooks
        self.inbox = Inbox(limitBytes: inboxLimitBytes)
        var config = configuration
        if hooks.trace != nil { config.trace = true }
        if let seed {
            var random = SplitMix64(seed: seed)   // reproducible: secrets too (not for production)
            stack = TCPStack(addresses: addresses, configuration: config, random: &random, secrets: .seeded)
        } else {
            var random = SystemRandomNumberGenerator()   // ports; every secret from the system too
            stack = TCPStack(addresses: addresses, configuration: config, random: &random, secrets: .system)
        }
        // pollTransmit keeps 60 bytes of a buffer for the largest TCP header beyond the IP header
        // and offers the rest to one segment's payload: a buffer of just the MTU would cut every
        // full segment to MTU − 80 bytes (1420 instead of the MSS). Segments are bounded by the MSS,
        // which comes from the MTU, so no packet is longer than the MTU anyway. (tun)
        let capabilities = device.transmitOffload
        transmitOffload = capabilities.engineOffload
        transmitMemory = OwnedBuffer(byteCount: capabilities.segmentation ? max(capabilities.maximumPacketBytes, max(config.mtu, 1280) + 60)
                                                                          : max(config.mtu, 1280) + 60)
        receiveMemory = OwnedBuffer(byteCount: TCPConnection.chunkBytes)
        originUptimeNanoseconds = origin ?? StackLoop.uptimeNanoseconds()
    }

    deinit {
        // The loop thread lives as long as this driver (work still queued runs first).
        loop.shutdown()
    }

    // MARK: - Clock

    /// The engine's time: monotonic nanoseconds since the driver started.
    func now() -> Instant {
        Instant(nanoseconds: Int64(bitPattern: StackLoop.uptimeNanoseconds() &- originUptimeNanoseconds))
    }

    /// `i` on the loop's clock (uptime nanoseconds).
    nonisolated func deadline(_ i: Instant) -> UInt64 {
        let ns = max(0, i.nanoseconds)
        let (sum, overflow) = originUptimeNanoseconds.addingReportingOverflow(UInt64(ns))
        return overflow ? UInt64(Int64.max) : min(sum, UInt64(Int64.max))
    }

    /// Gives the loop its callbacks (once, first thing on the loop). They hold the core unowned:
    /// `stop()` takes them back, and the core cannot go away before `stop()` has run.
    func attach() {
        let timerFired = Self.loopCallback { $0.timerFired() }
        let tickEnded = Self.loopCallback { $0.tickEnded() }
        loop.onTimer = { [unowned(unsafe) self] in timerFired(self) }
        loop.tickEnd = { [unowned(unsafe) self] in tickEnded(self) }
    }

    /// `body` as a plain function of the core, for the loop's own callbacks (device readable, end
    /// of tick, timer), which run on the loop thread and so on the core's executor: what
    /// `assumeIsolated` does, minus its two allocations per call (the callbacks run for every batch
    /// of packets; the TUN path must not allocate per packet). The conversion is made once, when
    /// the callback is installed; each call checks the thread in debug builds.
    nonisolated static func loopCallback(_ body: @escaping @Sendable (isolated StackCore) -> Void) -> @Sendable (StackCore) -> Void {
        let unchecked = unsafeBitCast(body, to: (@Sendable (StackCore) -> Void).self)
        return { core in
            assert(core.loop.inEventLoop, "a loop callback ran off the loop")
            unchecked(core)
        }
    }

    // MARK: - Input

    /// Called on the loop after the inbox went non-empty.
    func drainInbox() {
        inbox.take(into: &spareRecords)
        guard phase != .stopped else {
            spareRecords.removeAll(keepingCapacity: true)
            return
        }
        Inbox.forEach(spareRecords) { packet in
            let now = self.now()
            input(packet, now)
            flush(now)
        }
        spareRecords.removeAll(keepingCapacity: true)   // unique again: keeps its storage
        afterWork(now())
    }

    /// Starts reading a pollable device on the loop: its descriptor joins the loop's epoll set,
    /// and the end of every tick sends what the tick produced.
    func startPolling(_ device: any PollablePacketDevice) {
        guard phase != .stopped else { return }
        let readable = Self.loopCallback { $0.deviceReadable(device) }
        loop.watch(device.pollDescriptor) { [unowned(unsafe) self] in readable(self) }
    }

    /// The device's descriptor is readable: reads up to `StackLoop.readBatch` packets (what is
    /// left waits for the next tick, after the queued work), hands each to the engine, and wakes
    /// the tasks concerned; their answers go out at the end of the tick (`tickEnded`).
    func deviceReadable(_ device: any PollablePacketDevice) {
        guard phase != .stopped, let memory = deviceMemory else { return }
        let buffer = memory.bytes
        var now: Instant? = nil
        var offload = PacketOffload.none
        for _ in 0..<StackLoop.readBatch {
            guard let n = device.receive(into: buffer, offload: &offload) else { break }
            let t = now ?? self.now()
            now = t
            let packet = UnsafeMutableRawBufferPointer(rebasing: buffer[..<n])
            let verify: Bool
            if offload == .none {
                verify = true
            } else {
                // A super-segment goes to the engine whole (it takes segments larger than the MSS,
                // as after GRO); a partial TCP checksum is not verified (`PacketOffload`).
                if offload.segmentSize > 0 { statistics.offloadSuperSegmentsReceived += 1 }
                if case .partial = offload.checksum { statistics.checksumPartialReceived += 1 }
                switch offload.prepareReceived(packet) {
                case .verify: verify = true
                case .trusted: verify = false
                case .malformed:
                    statistics.packetsReceived += 1
                    statistics.bytesReceived += n
                    statistics.offloadMalformedDropped += 1
                    continue
                }
            }
            input(UnsafeRawBufferPointer(packet), t, verifyChecksum: verify)
        }
        guard let now else { return }
        statistics.deviceReadBatches += 1
        transmitDeferred = true
        afterWork(now, transmit: false)
    }

    /// The end of a loop tick: sends what packets read in it left for sending.
    func tickEnded() {
        loop.backlog = false
        if transmitDeferred {
            transmitDeferred = false
            afterWork(now())
        }
        transmitBudgetLeft = Self.transmitBudget
    }

    func input(_ packet: UnsafeRawBufferPointer, _ now: Instant, verifyChecksum: Bool = true) {
        statistics.packetsReceived += 1
        statistics.bytesReceived += packet.count
        hooks.packets?(.received, now, packet)
        // ICMP errors go to the engine too (RFC 9293 §3.9.2.2; TCPStack+ICMP.swift), to the shard
        // of the connection they quote.
        let icmpError = ICMPResponder.isError(packet)
        if icmpError || ICMPResponder.isTCPOrUnparsable(packet) {
            if icmpError { statistics.icmpErrorsPassedUp += 1 }
            if router != nil && handOffIfNotOurs(packet, hopsLeft: nil, verifyChecksum: verifyChecksum) { return }
            stack.handle(ipPacket: packet, now: now, verifyChecksum: verifyChecksum)
            return
        }
        icmpIdentification &+= 1
        switch ICMPResponder.handle(packet, addresses: stack.addresses, hopLimit: stack.configuration.hopLimit,
                                    identification: icmpIdentification, into: transmitBuffer) {
        case .reply(let n):
            statistics.icmpEchoRequestsAnswered += 1
            transmit(n, now)
        case .icmpIgnored: statistics.icmpIgnored += 1
        case .icmpMalformed: statistics.icmpMalformed += 1
        case .otherProtocol: statistics.otherProtocolDropped += 1
        }
    }

    // MARK: - Shards

    /// Sharded stacks (see `ShardRouter`): hands a TCP segment this shard has no TCB for to the
    /// next shard, and says so. `hopsLeft` is nil for a packet from our own device (it goes round
    /// every other shard and back), else what its mailbox record said.
    func handOffIfNotOurs(_ packet: UnsafeRawBufferPointer, hopsLeft: Int?, verifyChecksum: Bool) -> Bool {
        guard let router, hopsLeft != 0, let flow = SegmentFlow(packet),
              !stack.hasConnection(local: flow.local, remote: flow.remote) else { return false }
        // A new connection request opens where it arrived (the SYN-ACK then steers the flow here);
        // one that came round the ring is handled by its own shard at the end of it (hopsLeft 0).
        if hopsLeft == nil && flow.isConnectionRequest { return false }
        let left = hopsLeft.map { $0 - 1 } ?? (router.shardCount - 1)
        if router.handOff(packet, to: router.next(after: shardIndex), hopsLeft: left, verifyChecksum: verifyChecksum) {
            statistics.segmentsHandedOff += 1
        } else {
            statistics.handOffDropped += 1
        }
        return true
    }

    /// Called on the loop when other shards handed segments to this one.
    func takeHandedOff() {
        guard phase != .stopped, let router else { return }
        let handed = router.mailboxes[shardIndex].take()
        let now = self.now()
        for h in handed {
            statistics.segmentsTakenOver += 1
            h.bytes.withUnsafeBytes { packet in
                if !handOffIfNotOurs(packet, hopsLeft: h.hopsLeft, verifyChecksum: h.verifyChecksum) {
                    stack.handle(ipPacket: packet, now: now, verifyChecksum: h.verifyChecksum)
                }
            }
        }
        afterWork(now)
    }

    // MARK: - Output, traces, events, timer

    func transmit(_ n: Int, _ now: Instant, offload: PacketOffload = .none) {
        let packet = UnsafeRawBufferPointer(rebasing: transmitBuffer[0..<n])
        statistics.packetsSent += 1
        statistics.bytesSent += n
        hooks.packets?(.sent, now, packet)
        if offload == .none {
            device.send(packet)
        } else {
            if offload.segmentSize > 0 { statistics.offloadSuperSegmentsSent += 1 }
            if case .partial = offload.checksum { statistics.checksumPartialSent += 1 }
            device.send(packet, offload: offload)
        }
    }

    /// Sends what the engine has, at most what is left of the tick's budget (`transmitBudgetLeft`)
    /// unless `all`: a flush cut short leaves the rest to the next turn of the loop (`backlog`).
    func flush(_ now: Instant, all: Bool = false) {
        guard phase != .stopped else { return }
        var left = all ? Int.max : transmitBudgetLeft
        if transmitOffload == .none {
            while left > 0, let n = stack.pollTransmit(now: now, into: transmitBuffer) {
                transmit(n, now)
                left -= 1
            }
        } else {
            // The device finishes checksums and cuts super-segments (a TUN device with offloads).
            while left > 0, let p = stack.pollTransmit(now: now, into: transmitBuffer, offload: transmitOffload) {
                transmit(p.length, now, offload: PacketOffload(p))
                left -= 1
            }
        }
        guard !all else { return }
        transmitBudgetLeft = left
        if left == 0 {
            // The rest goes out at the end of the tick or, if this was it, in the next turn, after
            // the device has been read again.
            statistics.transmitBudgetCuts += 1
            transmitDeferred = true
            loop.backlog = true
        }
    }

    func afterWork(_ now: Instant, transmit: Bool = true) {
        if transmit { flush(now) }
        while let record = stack.pollTrace() {
            hooks.trace?(record)
        }
        while let event = stack.pollEvent() {
            switch event {
            case .connectionAvailable(let l): wakeListener(l)
            case .established(let c): wake(c, .connect)
            case .readable(let c), .peerClosed(let c), .urgentData(let c): wake(c, .read)
            case .writable(let c): wake(c, .write)
            case .reset(let c, _), .timedOut(let c), .closed(let c):
                wakeAll(c)
                finishSoftErrors(c)
            case .softError(let c, let e): entries[c]?.softErrors?.yield(e)
            case .negativeAdvice: statistics.negativeAdvice += 1
            }
        }
        rearm()
    }

    func rearm() {
        guard phase != .stopped, let next = stack.nextDeadline else { return }
        // Firing early is harmless (the engine re-reports the deadline), so a later deadline keeps
        // the timer already armed; only an earlier one moves it.
        if let armed = armedDeadline, armed <= next { return }
        loop.setTimer(deadline(next))
        armedDeadline = next
    }

    func timerFired() {
        armedDeadline = nil
        guard phase != .stopped else { return }
        let now = now()
        stack.handleTimeout(now: now)
        afterWork(now)
    }

    // MARK: - Waiting

    /// Suspends until an engine event concerning `id` (or cancellation) wakes the caller, which
    /// then retries its operation. `epoch` is the `wakeEpoch` the caller's try saw: a wake-up
    /// since then (the call may be resumed after other work, see `addWaiter`) returns at once.
    func wait(_ id: ConnectionID, _ kind: WaitKind, epoch: UInt64) async {
        let token = newToken()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                if Task.isCancelled {
                    c.resume()
                    return
                }
                addWaiter(Waiter(token: token, continuation: c), id, kind, epoch: epoch)
            }
        } onCancel: {
            loop.execute { self.assumeIsolated { $0.cancelWait(token, id) } }
        }
    }

    nonisolated func newToken() -> UInt64 {
        tokens.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// Queues `w` to be resumed by the next wake-up of its kind, or resumes it at once when a
    /// wake-up happened since the caller's try (`epoch`).
    func addWaiter(_ w: Waiter, _ id: ConnectionID, _ kind: WaitKind, epoch: UInt64) {
        guard epoch == wakeEpoch, phase != .stopped else { return w.continuation.resume() }
        switch kind {
        case .read: entries[id, default: Entry()].readers.append(w)
        case .write: entries[id, default: Entry()].writers.append(w)
        case .connect: entries[id, default: Entry()].connectors.append(w)
        }
    }

    /// Runs `body` isolated to the core, synchronously: only on the loop (checked at run time).
    /// For the API's fast paths, from tasks that run on the loop outside the actor.
    nonisolated func onLoop<T: Sendable>(_ body: (isolated StackCore) -> T) -> T {
        assumeIsolated(body)
    }

    /// `wait` for a task that runs on the loop outside the actor (a handler that prefers the loop
    /// as its task executor): it suspends without a hop and resumes on the loop, where the caller
    /// retries with `onLoop`. `epoch` is the `wakeEpoch` the caller's try saw. Anywhere else (not
    /// expected) it returns at once, and the caller's retry takes the actor's way.
    nonisolated func waitOnLoop(_ id: ConnectionID, _ kind: WaitKind, epoch: UInt64) async {
        let token = newToken()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                guard !Task.isCancelled, loop.inEventLoop else { return c.resume() }
                onLoop { $0.addWaiter(Waiter(token: token, continuation: c), id, kind, epoch: epoch) }
            }
        } onCancel: {
            loop.execute { self.assumeIsolated { $0.cancelWait(token, id) } }
        }
    }

    /// `waitForListener` for a task on the loop outside the actor (see `waitOnLoop`).
    nonisolated func waitForListenerOnLoop(_ id: ListenerID, epoch: UInt64) async {
        let token = newToken()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                guard !Task.isCancelled, loop.inEventLoop else { return c.resume() }
                onLoop { core in
                    guard epoch == core.wakeEpoch, core.listeners[id] != nil else { return c.resume() }
                    core.listeners[id]!.append(Waiter(token: token, continuation: c))
                }
            }
        } onCancel: {
            loop.execute {
                self.assumeIsolated { core in
                    if core.listeners[id] != nil { Self.resume(token, in: &core.listeners[id]!) }
                }
            }
        }
    }

    func cancelWait(_ token: UInt64, _ id: ConnectionID) {
        guard var e = entries[id] else { return }
        for kind in [WaitKind.read, .write, .connect] {
            switch kind {
            case .read: Self.resume(token, in: &e.readers)
            case .write: Self.resume(token, in: &e.writers)
            case .connect: Self.resume(token, in: &e.connectors)
            }
        }
        entries[id] = e
    }

    static func resume(_ token: UInt64, in waiters: inout [Waiter]) {
        if let i = waiters.firstIndex(where: { $0.token == token }) {
            waiters.remove(at: i).continuation.resume()
        }
    }

    func wake(_ id: ConnectionID, _ kind: WaitKind) {
        wakeEpoch &+= 1
        guard entries[id] != nil else { return }
        switch kind {
        case .read: Self.resumeAll(&entries[id]!.readers)
        case .write: Self.resumeAll(&entries[id]!.writers)
        case .connect: Self.resumeAll(&entries[id]!.connectors)
        }
    }

    func wakeAll(_ id: ConnectionID) {
        wakeEpoch &+= 1
        guard entries[id] != nil else { return }
        Self.resumeAll(&entries[id]!.readers)
        Self.resumeAll(&entries[id]!.writers)
        Self.resumeAll(&entries[id]!.connectors)
    }

    static func resumeAll(_ waiters: inout [Waiter]) {
        guard !waiters.isEmpty else { return }
        for w in waiters { w.continuation.resume() }
        waiters.removeAll(keepingCapacity: true)
    }

    func waitForListener(_ id: ListenerID, epoch: UInt64) async {
        let token = newToken()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                if Task.isCancelled || listeners[id] == nil || epoch != wakeEpoch {
                    c.resume()
                    return
                }
                listeners[id]!.append(Waiter(token: token, continuation: c))
            }
        } onCancel: {
            loop.execute {
                self.assumeIsolated { core in
                    if core.listeners[id] != nil { Self.resume(token, in: &core.listeners[id]!) }
                }
            }
        }
    }

    /// The listeners are gone (shutdown, stop): their sharded `accept`s must look again.
    func signalAcceptGates() {
        for gate in acceptGates.values { gate.signal(shard: shardIndex) }
        acceptGates = [:]
    }

    func wakeListener(_ id: ListenerID) {
        wakeEpoch &+= 1
        acceptGates[id]?.signal(shard: shardIndex)
        guard listeners[id] != nil else { return }
        Self.resumeAll(&listeners[id]!)
    }

    // MARK: - Operations for the API

    struct Opened: Sendable {
        var id: ConnectionID
        var local: TCPWire.SocketAddress
        var remote: TCPWire.SocketAddress
    }

    func connect(to remote: TCPWire.SocketAddress, from local: IPAddress?, options: ConnectionOptions? = nil) async throws(TCPConnectionError) -> Opened {
        guard phase == .running else { throw .stackShutDown }
        let now = now()
        let id: ConnectionID
        do throws(TCPError) { id = try stack.connect(to: remote, from: local, now: now) } catch { throw TCPConnectionError(error) }
        // Before the SYN goes out (afterWork), so that it carries them (the DSCP, MUST-48).
        if let options { try? stack.setOptions(id, options, now: now) }
        entries[id] = Entry()
        afterWork(now)
        while true {
            guard let state = stack.state(of: id) else {
                entries[id] = nil
                throw .closed
            }
            switch state {
            case .synSent, .synReceived:
                if Task.isCancelled {
                    release(id, abort: true)
                    throw .cancelled
                }
                await wait(id, .connect, epoch: wakeEpoch)
            case .closed:
                let error = stack.info(of: id)?.error
                release(id, abort: false)
                throw error.map(TCPConnectionError.init) ?? .closed
            default:
                let info = stack.info(of: id)!
                return Opened(id: id, local: info.local, remote: info.remote)
            }
        }
    }

    func listen(port: UInt16, address: IPAddress?, backlog: Int, options: ConnectionOptions? = nil) throws(TCPConnectionError) -> ListenerID {
        guard phase == .running else { throw .stackShutDown }
        let id: ListenerID
        do throws(TCPError) { id = try stack.listen(port: port, address: address, backlog: backlog) } catch { throw TCPConnectionError(error) }
        if let options { try? stack.setOptions(id, options) }
        listeners[id] = []
        return id
    }

    /// What a try at an operation gave: its result, or nothing yet (and the `wakeEpoch` then,
    /// for the wait that follows).
    enum Attempt<T: Sendable>: Sendable {
        case done(T)
        case wouldBlock(epoch: UInt64)
    }

    /// The next accepted connection, or nil once the listener is closed.
    func accept(_ listener: ListenerID) async throws(TCPConnectionError) -> Opened? {
        while true {
            let attempt = tryAccept(listener)
            guard case .wouldBlock(let epoch) = attempt else {
                if case .done(let opened) = attempt { return opened }
                return nil
            }
            if Task.isCancelled { throw .cancelled }
            await waitForListener(listener, epoch: epoch)
        }
    }

    /// One try at `accept`: a connection, nil (the listener is closed), or none waiting yet.
    func tryAccept(_ listener: ListenerID) -> Attempt<Opened?> {
        guard listeners[listener] != nil else { return .done(nil) }
        let accepted: ConnectionID?
        do { accepted = try stack.accept(listener) } catch { return .done(nil) }
        if let id = accepted, let info = stack.info(of: id) {
            entries[id] = Entry()
            return .done(Opened(id: id, local: info.local, remote: info.remote))
        }
        return .wouldBlock(epoch: wakeEpoch)
    }

    func closeListener(_ id: ListenerID) {
        guard let waiters = listeners.removeValue(forKey: id) else { return }
        acceptGates.removeValue(forKey: id)?.signal(shard: shardIndex)
        wakeEpoch &+= 1
        let now = now()
        try? stack.closeListener(id, now: now)
        for w in waiters { w.continuation.resume() }
        afterWork(now)
    }

    func read(_ id: ConnectionID, maxBytes: Int) async throws(TCPConnectionError) -> [UInt8]? {
        while true {
            let attempt = try tryRead(id, maxBytes: maxBytes)
            guard case .wouldBlock(let epoch) = attempt else {
                if case .done(let bytes) = attempt { return bytes }
                return nil
            }
            if Task.isCancelled { throw .cancelled }
            await wait(id, .read, epoch: epoch)
        }
    }

    /// One try at `read`: bytes, nil (end of stream), or none buffered yet.
    func tryRead(_ id: ConnectionID, maxBytes: Int) throws(TCPConnectionError) -> Attempt<[UInt8]?> {
        let limit = max(1, min(maxBytes, receiveScratch.count))
        let now = now()
        let result: ReceiveResult
        do throws(TCPError) {
            result = try stack.receive(id, into: UnsafeMutableRawBufferPointer(rebasing: receiveScratch[0..<limit]), now: now)
        } catch {
            afterWork(now)
            throw TCPConnectionError(error)
        }
        switch result {
        case .data(let n):
            afterWork(now)   // a window update may be due
            return .done(Array(UnsafeRawBufferPointer(rebasing: receiveScratch[0..<n])))
        case .endOfStream:
            return .done(nil)
        case .wouldBlock:
            return .wouldBlock(epoch: wakeEpoch)
        }
    }

    func write(_ id: ConnectionID, _ bytes: [UInt8]) async throws(TCPConnectionError) {
        var offset = 0
        while true {
            guard case .wouldBlock(let epoch) = try tryWrite(id, bytes, from: &offset) else { return }
            if Task.isCancelled { throw .cancelled }
            await wait(id, .write, epoch: epoch)
        }
    }

    /// One try at `write`: queues what fits of `bytes[offset...]` and advances `offset`; done
    /// once every byte is queued.
    func tryWrite(_ id: ConnectionID, _ bytes: [UInt8], from offset: inout Int) throws(TCPConnectionError) -> Attempt<Void> {
        let now = now()
        let start = offset
        let result: Result<Int, TCPError> = bytes.withUnsafeBytes { all in
            Result { () throws(TCPError) -> Int in
                try stack.send(id, UnsafeRawBufferPointer(rebasing: all[start...]), now: now)
            }
        }
        afterWork(now)
        switch result {
        case .success(let n): offset += n
        case .failure(let e): throw TCPConnectionError(e)
        }
        return offset == bytes.count ? .done(()) : .wouldBlock(epoch: wakeEpoch)
    }

    /// `write` of bytes that `produce` writes straight into the send buffer (see `ByteProducer`):
    /// suspends while the buffer is full, returns once the producer has no more.
    func write(_ id: ConnectionID, producing produce: sending @escaping ByteProducer) async throws(TCPConnectionError) {
        var more = true
        while true {
            guard case .wouldBlock(let epoch) = try tryWrite(id, produce, more: &more) else { return }
            if Task.isCancelled { throw .cancelled }
            await wait(id, .write, epoch: epoch)
        }
    }

    /// One try at `write(producing:)`: lets the producer fill what the send buffer has free
    /// (`more` says whether it has more to give); done once it has no more.
    func tryWrite(_ id: ConnectionID, _ produce: ByteProducer, more: inout Bool) throws(TCPConnectionError) -> Attempt<Void> {
        let now = now()
        do throws(TCPError) {
            _ = try stack.send(id, now: now) { region in
                guard more else { return 0 }
                let (n, rest) = produce(region)
                more = rest
                return n
            }
        } catch {
            afterWork(now)
            throw TCPConnectionError(error)
        }
        afterWork(now)
        return more ? .wouldBlock(epoch: wakeEpoch) : .done(())
    }

    func shutdownWrite(_ id: ConnectionID) throws(TCPConnectionError) {
        let now = now()
        defer { afterWork(now) }
        do throws(TCPError) { try stack.shutdown(id, now: now) } catch { throw TCPConnectionError(error) }
    }

    /// The application gives the connection up: `close` (FIN after the queued data) or `abort` (RST).
    func release(_ id: ConnectionID, abort: Bool) {
        let now = now()
        if abort { try? stack.abort(id, now: now) } else { try? stack.close(id, now: now) }
        wakeAll(id)
        finishSoftErrors(id)
        if entries.removeValue(forKey: id) != nil && !abort && closingHandshakeUnderway(id) {
            closing.insert(id)
            // Amortized pruning keeps the set to the connections really still closing.
            if closing.count >= 64 && closing.count & (closing.count - 1) == 0 {
                closing = closing.filter(closingHandshakeUnderway)
            }
        }
        afterWork(now)
    }

    /// The connection still has a TCB that is not CLOSED or TIME-WAIT (a handle reused by a newer
    /// connection has another generation and is not found).
    func closingHandshakeUnderway(_ id: ConnectionID) -> Bool {
        guard let s = stack.state(of: id) else { return false }
        return s != .timeWait && s != .closed
    }

    func info(_ id: ConnectionID) -> ConnectionInfo? {
        entries[id] == nil ? nil : stack.info(of: id)
    }

    func setOptions(_ id: ConnectionID, _ options: ConnectionOptions) throws(TCPConnectionError) {
        let now = now()
        defer { afterWork(now) }
        do throws(TCPError) { try stack.setOptions(id, options, now: now) } catch { throw TCPConnectionError(error) }
    }

    func snapshot() -> NetworkStatistics {
        var d = statistics
        d.inboxDropped = inbox.droppedCount
        return NetworkStatistics(driver: d, tcp: stack.statistics, connections: stack.connectionCount)
    }

    // MARK: - Shutdown

    /// Closes every listener and connection (FIN, or RST where unread data would be lost), waits up
    /// to `gracePeriod` for the closing handshakes to finish (every connection CLOSED or in
    /// TIME-WAIT), resets what is left (except FIN-WAIT-2, dropped quietly), and stops the device.
    func shutdown(gracePeriod: Duration) async {
        guard phase == .running else {
            while phase != .stopped { try? await Task.sleep(for: .milliseconds(10)) }
            return
        }
        phase = .closing
        wakeEpoch &+= 1
        var now = now()
        for (id, waiters) in listeners {
            try? stack.closeListener(id, now: now)
            for w in waiters { w.continuation.resume() }
        }
        listeners = [:]
        signalAcceptGates()
        let open = Array(entries.keys)
        for id in open {
            try? stack.close(id, now: now)
            wakeAll(id)
        }
        entries = [:]
        afterWork(now)
        // Those just closed, and those the application had closed before whose handshake goes on.
        let waitFor = open + closing
        closing = []
        let end = now + gracePeriod
        let busy = closingHandshakeUnderway
        while waitFor.contains(where: busy), now < end {
            // Bounded polling: only while shutting down, until the handshakes finish or time is up.
            try? await Task.sleep(for: .milliseconds(5))
            now = self.now()
        }
        // Time is up. FIN-WAIT-2: everything we sent, FIN included, was acknowledged; only the
        // peer's FIN is missing, so the connection is dropped without a RST. Anything else would
        // lose data or leave the peer hanging: RST (RFC 9293 §3.10.5).
        for id in waitFor where busy(id) && stack.state(of: id) != .finWait2 {
            try? stack.abort(id, now: now)
        }
        flush(now, all: true)
        stop()
    }

    /// Stops at once: no more packets in or out, no timer.
    func stop() {
        guard phase != .stopped else { return }
        phase = .stopped
        wakeEpoch &+= 1
        for (_, waiters) in listeners { for w in waiters { w.continuation.resume() } }
        listeners = [:]
        signalAcceptGates()
        for id in Array(entries.keys) { wakeAll(id) }
        entries = [:]
        armedDeadline = nil
        transmitDeferred = false
        loop.setTimer(nil)
        loop.onTimer = nil
        loop.tickEnd = nil
        loop.backlog = false   // nothing will send it now: the loop may block again
        loop.unwatch()
        inbox.close()
        router?.mailboxes[shardIndex].close()
        device.stop()
    }
}
