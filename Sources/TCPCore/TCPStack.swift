import TCPWire

/// A TCP stack without I/O: it owns connections and listeners, takes segments, time and the
/// application's calls as input, and produces segments, events and trace records as output.
///
/// The four verbs of a driver (after quinn-proto): `handle(ipPacket:now:)`, `handleTimeout(now:)`,
/// `pollTransmit(now:into:)` and `nextDeadline`; the application side is `connect`, `listen`,
/// `accept`, `send`, `receive`, `shutdown`, `close`, `abort` and `pollEvent`.
public struct TCPStack {
    public internal(set) var configuration: TCPConfiguration
    /// Addresses this stack answers for.
    public internal(set) var addresses: [IPAddress]

    struct Slot {
        var generation: UInt32 = 0
        var connection: Connection?
    }
    struct FourTuple: Hashable { var local: SocketAddress; var remote: SocketAddress }
    struct ListenKey: Hashable { var address: IPAddress?; var port: UInt16 }
    struct Listener {
        var key: ListenKey
        var backlog: Int
        var halfOpen = 0
        var acceptQueue = RingQueue<ConnectionID>()
        /// Options its connections start with (nil: the configuration's).
        var options: ConnectionOptions?
        /// When it last answered a SYN with a cookie: ACKs are checked for one only while a
        /// cookie may still be valid.
        var lastCookieAt = Instant.never
        /// TCP Fast Open (TCP_FASTOPEN): the queue length asked for, 0 off; and the listener's
        /// own cookie key (TCP_FASTOPEN_KEY; nil: the stack's).
        var fastOpenQueue = 0
        var fastOpenKey: FastOpenKey? = nil
    }
    struct ListenerSlot { var generation: UInt32 = 0; var listener: Listener? }
    /// A segment sent without a connection: RST replies (RFC 9293 §3.10.7.1).
    struct ControlSegment {
        var local: SocketAddress; var remote: SocketAddress; var seq: SequenceNumber; var ack: SequenceNumber; var flags: TCPFlags
        /// RFC 7323 §3.2: a connection that negotiated timestamps sends them on its RST too.
        var timestamp: TCPTimestamp? = nil
        /// A SYN cookie's SYN-ACK (RFC 4987 §3.6) offers a window and carries options.
        var window: UInt16 = 0
        var options: TCPOptions? = nil
        /// IPv4 TOS / IPv6 traffic class: the connection's or listener's DSCP << 2 (MUST-48).
        var trafficClass: UInt8 = 0
    }

    var slots = SlotTable()
    var freeSlots: [UInt32] = []
    var demux: [FourTuple: UInt32] = [:]
    var listenerSlots: [ListenerSlot] = []
    var listenerIndex: [ListenKey: UInt32] = [:]
    var timers = TimerHeap()
    var outputQueue = RingQueue<UInt32>()
    /// Payload bytes the connection at the head of `outputQueue` sent in its current turn
    /// (`TCPStack.outputQuantum`, TCPStack+Output.swift).
    var outputTurnBytes = 0
    var controlQueue = RingQueue<ControlSegment>()
    var events = RingQueue<TCPEvent>()
    var traceRecords = RingQueue<TraceRecord>()
    var random: StackRandom
    let isnGenerator: ISNGenerator
    /// The SYN cookies' secrets (RFC 4987 §3.6), rotated by the clock the driver passes in.
    var synCookies: SYNCookieCodec
    /// Every connection starts with these two rings of the configured sizes, which stay empty;
    /// its own are allocated when the first byte is written (`send`) or arrives
    /// (`ownReceiveBuffer`). An idle connection thus allocates nothing beyond its slot.
    struct EmptyRings {
        let send: ByteRing
        let receive: ByteRing
    }
    let emptyRings: EmptyRings
    var challengeTokens: Int
    var challengeWindowStart = Instant(nanoseconds: .min / 2)
    /// Draws the randomised challenge-ACK budget (`challengeACKLimitRandomized`).
    var challengeRandom: StackRandom
    var ipIdentification: UInt16 = 0
    /// ISNs for connections that replace a TIME-WAIT one (RFC 6191).
    var timeWaitSuccessorISN: [FourTuple: SequenceNumber] = [:]
    /// IPv4 source routes of connections that have one (TCPStack+SourceRoute.swift); empty, and
    /// not looked at, otherwise.
    var sourceRoutes: [FourTuple: SourceRouteEntry] = [:]
    /// Path MTUs learned from ICMP, by destination (RFC 1191 §6.3, TCPStack+ICMP.swift).
    var pathMTUCache = PathMTUCache()
    /// Route metrics by destination (TCPStack+RouteMetrics.swift); empty, and not looked at, otherwise.
    var routes: [IPAddress: RouteMetrics] = [:]
    /// The segment size of the coalesced packet being handled (`handle(coalescedPacket:...)`), 0 otherwise.
    var receiveSegmentSize = 0
    /// TCP Fast Open as the stack uses it now (from `configuration.fastOpen`; like Linux's
    /// sysctls, it may change while the stack runs), the key used when it names none, and the
    /// client's cookies by server address (TCPStack+FastOpen.swift).
    public var fastOpen: FastOpenSettings
    let fastOpenDrawnKey: FastOpenKey
    public internal(set) var fastOpenCache: [IPAddress: FastOpenCacheEntry] = [:]

    public internal(set) var statistics = TCPStatistics()

    /// Creates a stack answering for `addresses`. One value drawn from `random` seeds the
    /// ephemeral ports; the secrets (the RFC 6528 ISN key, the SYN cookies' secrets and their
    /// rotations, the drawn Fast Open key: 128 bits each) come from `secrets`, by default the
    /// operating system's cryptographic generator. A seeded generator and `secrets: .seeded`
    /// make a run reproducible (simulations and tests; not for production, see `SecretSource`).
    public init(addresses: [IPAddress], configuration: TCPConfiguration = TCPConfiguration(),
                random: inout some RandomNumberGenerator, secrets: SecretSource = .system) {
        self.configuration = configuration
        self.addresses = addresses
        let seed = random.next()
        var r = StackRandom(seed: seed)
        // The port stream skips the two values a seeded ISN key takes, so a seed gives the same
        // ports whatever the secrets' source (and the ports it has always given).
        var isnKeys = SecretStream(secrets, seed: seed)
        let isnKey = isnKeys.nextKey()
        _ = r.next(); _ = r.next()
        isnGenerator = ISNGenerator(k0: isnKey.k0, k1: isnKey.k1)
        self.random = r
        // Seeded, the cookie secrets come from the same seed on a stream of their own, so that
        // drawing them (at start and at every rotation) changes none of the other values (ports).
        synCookies = SYNCookieCodec(secretSource: SecretStream(secrets, seed: seed ^ 0x5359_4E43_4F4F_4B49),   // "SYNCOOKI"
                                    rekeyInterval: configuration.synCookieRekeyInterval)
        challengeTokens = configuration.challengeACKLimit
        challengeRandom = StackRandom(seed: seed ^ 0x4348_414C_4C41_434B)   // "CHALLACK": its own stream (challengeBudget)
        fastOpen = configuration.fastOpen
        var fastOpenKeys = SecretStream(secrets, seed: seed ^ 0x5446_4F4B_4559_0000)   // "TFOKEY": a stream of its own
        let fastOpenKey = fastOpenKeys.nextKey()
        fastOpenDrawnKey = FastOpenKey(k0: fastOpenKey.k0, k1: fastOpenKey.k1)
        emptyRings = EmptyRings(send: ByteRing(capacity: configuration.sendBufferBytes, placeholder: true),
                                receive: ByteRing(capacity: configuration.receiveBufferBytes, placeholder: true))
    }

    // MARK: - Handles

    func connectionIndex(_ id: ConnectionID) -> Int? {
        let i = Int(id.index)
        guard i < slots.count, slots[i].generation == id.generation, slots[i].connection != nil else { return nil }
        return i
    }

    func id(ofSlot i: Int) -> ConnectionID { ConnectionID(index: UInt32(i), generation: slots[i].generation) }

    /// A slot for a new connection, left empty (nil): `commit(_:_:_:)` with the connection fills it.
    private mutating func allocateSlot() -> Int {
        if let i = freeSlots.popLast() { return Int(i) }
        slots.append(Slot(generation: 0, connection: nil))
        return slots.count - 1
    }

    /// Installs a new connection: gives it a slot and its demultiplexing entry, and enters its
    /// first state, traced from `from` (CLOSED for an active open, RFC 9293 §3.10.1; LISTEN for a
    /// connection a listener makes from a SYN or a SYN cookie's ACK, §3.10.7.2). The connection
    /// stays out of its (empty) slot for processing: `commit(i, consume c, now)` moves it in.
    mutating func install(_ c: inout Connection, in state: TCPState, tracedFrom from: TCPState,
                          _ now: Instant) -> (slot: Int, id: ConnectionID) {
        let i = allocateSlot()
        let cid = id(ofSlot: i)
        demux[FourTuple(local: c.local, remote: c.remote)] = UInt32(i)
        setState(&c, cid, state, now, tracedFrom: from)
        return (i, cid)
    }

    /// The one way to write `Connection.state`: only `setState` (in this file) can make one, so
    /// every state change is traced.
    struct StateChange {
        let to: TCPState
        fileprivate init(_ to: TCPState) { self.to = to }
    }

    /// Starts processing connection `i` where it lives, in its slot; `commit(i, c, now)` ends it.
    /// In place, not moved out and back: the TCB is ~800 bytes and this runs for every segment in
    /// and out. The pointer follows `SlotTable.beginInPlace`'s rule: dead after `commit`; until
    /// then no connection is installed or taken, and connection `i` is reached only through it
    /// (the `SlotTable` traps otherwise).
    mutating func take(_ i: Int) -> UnsafeMutablePointer<Connection> {
        slots.beginInPlace(i)
    }

    // MARK: - Queries

    /// The RFC state of a connection, or nil for an unknown handle.
    public func state(of id: ConnectionID) -> TCPState? {
        connectionIndex(id).map { slots[$0].connection!.state }
    }

    /// A snapshot of a connection's variables.
    public func info(of id: ConnectionID) -> ConnectionInfo? {
        guard let i = connectionIndex(id) else { return nil }
        let c = slots[i].connection!
        var info = ConnectionInfo(
            state: c.state, local: c.local, remote: c.remote, iss: c.iss, irs: c.irs,
            sndUna: c.sndUna, sndNxt: c.sndNxt, sndWnd: c.sndWnd, rcvNxt: c.rcvNxt, rcvWnd: c.receiveWindow,
            sendMSS: c.sendMSS, rto: .nanoseconds(c.rto), srtt: c.srtt.map { .nanoseconds($0) },
            cwnd: c.cwnd, ssthresh: c.ssthresh, bytesBuffered: c.sendBuffer.count,
            bytesReadable: c.receiveBuffer.count, retries: c.retries, error: c.error,
            timers: TimerDeadlines(retransmit: c.timers[.retransmit], persist: c.timers[.persist], timeWait: c.timers[.timeWait], finWait2: c.timers[.finWait2]))
        if c.windowScalingOn { info.windowShifts = WindowShifts(send: c.sndWindShift, receive: c.rcvWindShift) }
        info.timestamps = c.timestampsOn
        info.sackPermitted = c.sackOK
        info.lastReceivedAt = c.lastReceivedAt
        info.softError = c.softError
        return info
    }

    /// Number of connections with a TCB (any state but a CLOSED one held only by its handle).
    public var connectionCount: Int { demux.count }

    /// Whether a TCB (any state, TIME-WAIT included) exists for this four-tuple: what a segment
    /// from `remote` to `local` would be demultiplexed to. A sharded driver asks it to tell its
    /// own connections' segments from another shard's.
    public func hasConnection(local: SocketAddress, remote: SocketAddress) -> Bool {
        demux[FourTuple(local: local, remote: remote)] != nil
    }

    /// The next event for the application.
    public mutating func pollEvent() -> TCPEvent? { events.popFirst() }

    /// The next trace record (only with `configuration.trace`).
    public mutating func pollTrace() -> TraceRecord? { traceRecords.popFirst() }

    /// The earliest time `handleTimeout` has work to do. Firing early is harmless.
    public var nextDeadline: Instant? { timers.first?.deadline }

    // MARK: - Recording

    mutating func emit(_ e: TCPEvent, _ now: Instant) {
        events.append(e)
        if configuration.trace {
            let id: ConnectionID? = switch e {
            case .connectionAvailable: nil
            case .established(let c), .readable(let c), .writable(let c), .peerClosed(let c),
                 .reset(let c, _), .timedOut(let c), .closed(let c), .softError(let c, _), .negativeAdvice(let c, _),
                 .urgentData(let c): c
            }
            traceRecords.append(TraceRecord(time: now, connection: id, kind: .event(e)))
        }
    }

    mutating func trace(_ now: Instant, _ id: ConnectionID?, _ kind: @autoclosure () -> TraceRecord.Kind) {
        if configuration.trace { traceRecords.append(TraceRecord(time: now, connection: id, kind: kind())) }
    }

    mutating func drop(_ reason: DropReason, _ now: Instant, _ id: ConnectionID?, _ seg: TCPSegmentView?) {
        statistics.drops[reason, default: 0] += 1
        if configuration.trace {
            let summary = seg.map { SegmentSummary(source: $0.sourceSocket, destination: $0.destinationSocket, header: $0.header, payloadLength: $0.payload.count) }
            traceRecords.append(TraceRecord(time: now, connection: id, kind: .drop(reason, summary)))
        }
    }

    /// Every state change goes through here, so traces show each one (`ESTABLISHED -> FIN-WAIT-1`).
    /// `tracedFrom` names the state a new connection's first state is traced from, when that is
    /// not its TCB's initial CLOSED (`install`: LISTEN for a connection a listener makes).
    mutating func setState(_ c: inout Connection, _ id: ConnectionID, _ to: TCPState, _ now: Instant,
                           tracedFrom: TCPState? = nil) {
        let from = tracedFrom ?? c.state
        guard from != to else { return }
        c.change(StateChange(to))
        trace(now, id, .state(from: from, to: to))
        switch to {
        case .timeWait:
            // RFC 9293 §3.10.7.4: TIME-WAIT turns off the other timers and waits 2×MSL.
            c.timers.cancelAll()
            c.timers[.timeWait] = now + configuration.msl * 2
        case .finWait2:
            c.timers[.retransmit] = nil
            if c.userClosed { c.timers[.finWait2] = now + configuration.finWait2Timeout }
        case .closed:
            c.timers.cancelAll()
            trace(now, id, .info(c.tcpInfo))
        default:
            break
        }
    }
}
