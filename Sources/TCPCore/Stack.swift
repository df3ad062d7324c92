import TCPWire

/// A TCP stack without I/O: it owns connections and listeners, takes segments, time and the
/// application's calls as input, and produces segments, events and trace records as output.
///
/// The four verbs of a driver (after quinn-proto): `handle(ipPacket:now:)`, `handleTimeout(now:)`,
/// `pollTransmit(now:into:)` and `nextDeadline`; the application side is `connect`, `listen`,
/// `accept`, `send`, `receive`, `shutdown`, `close`, `abort` and `pollEvent`.
public struct TCPStack {
    public let configuration: TCPConfiguration
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
    }

    var slots = SlotTable()
    var freeSlots: [UInt32] = []
    var demux: [FourTuple: UInt32] = [:]
    var listenerSlots: [ListenerSlot] = []
    var listenerIndex: [ListenKey: UInt32] = [:]
    var timers = TimerHeap()
    var outputQueue = RingQueue<UInt32>()
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
    var ipIdentification: UInt16 = 0
    /// ISNs for connections that replace a TIME-WAIT one (RFC 6191).
    var timeWaitSuccessorISN: [FourTuple: SequenceNumber] = [:]

    public internal(set) var statistics = TCPStatistics()

    /// Creates a stack answering for `addresses`. One value drawn from `random` seeds everything
    /// random the stack does (the RFC 6528 secret, ephemeral ports), so a seeded generator makes a
    /// run reproducible.
    public init(addresses: [IPAddress], configuration: TCPConfiguration = TCPConfiguration(),
                random: inout some RandomNumberGenerator) {
        self.configuration = configuration
        self.addresses = addresses
        let seed = random.next()
        var r = StackRandom(seed: seed)
        isnGenerator = ISNGenerator(k0: r.next(), k1: r.next())
        self.random = r
        // The cookie secrets come from the same seed on a stream of their own, so that drawing
        // them (at start and at every rotation) changes none of the other values (ports) a seed
        // has always given.
        synCookies = SYNCookieCodec(secretSource: StackRandom(seed: seed ^ 0x5359_4E43_4F4F_4B49),   // "SYNCOOKI"
                                    rekeyInterval: configuration.synCookieRekeyInterval)
        challengeTokens = configuration.challengeACKLimit
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

    mutating func allocateSlot(_ c: Connection) -> Int {
        if let i = freeSlots.popLast() {
            slots[Int(i)].connection = c
            return Int(i)
        }
        slots.append(Slot(generation: 0, connection: c))
        return slots.count - 1
    }

    /// Takes a connection out of its slot for processing; `commit` puts it back.
    mutating func take(_ i: Int) -> Connection {
        let c = slots[i].connection!
        slots[i].connection = nil
        return c
    }

    /// The connection's own receive ring, allocated on the first byte that arrives.
    func ownReceiveBuffer(_ c: inout Connection) {
        if c.receiveBuffer.placeholder { c.receiveBuffer = ByteRing(capacity: configuration.receiveBufferBytes) }
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
            timers: TimerDeadlines(retransmit: c.retransmitAt, persist: c.persistAt, timeWait: c.timeWaitAt, finWait2: c.finWait2At))
        if c.windowScalingOn { info.windowShifts = WindowShifts(send: c.sndWindShift, receive: c.rcvWindShift) }
        info.timestamps = c.timestampsOn
        return info
    }

    /// Number of connections with a TCB (any state but a CLOSED one held only by its handle).
    public var connectionCount: Int { demux.count }

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
                 .reset(let c, _), .timedOut(let c), .closed(let c): c
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
    mutating func setState(_ c: inout Connection, _ id: ConnectionID, _ to: TCPState, _ now: Instant) {
        let from = c.state
        guard from != to else { return }
        c.state = to
        trace(now, id, .state(from: from, to: to))
        switch to {
        case .timeWait:
            // RFC 9293 §3.10.7.4: TIME-WAIT turns off the other timers and waits 2×MSL.
            c.cancelTimers()
            c.timeWaitAt = now + configuration.msl * 2
        case .finWait2:
            c.retransmitAt = nil
            if c.userClosed { c.finWait2At = now + configuration.finWait2Timeout }
        case .closed:
            c.cancelTimers()
            trace(now, id, .info(c.tcpInfo))
        default:
            break
        }
    }
}

/// Counters for the whole stack.
public struct TCPStatistics: Sendable, Hashable {
    public var drops: [DropReason: Int] = [:]
    public var malformed: [WireError: Int] = [:]
    public var segmentsReceived = 0
    public var segmentsSent = 0
    public var retransmissions = 0
    /// Retransmission timeouts that fired with data outstanding (RFC 6298 §5.4; Linux TCPTimeouts).
    public var retransmissionTimeouts = 0
    /// Duplicate ACKs received (RFC 5681 §2) and fast retransmissions made (RFC 5681 §3.2, RFC 6582).
    public var duplicateACKs = 0
    public var fastRetransmissions = 0
    /// SACK (RFC 2018, 2883, 6675) and RACK-TLP (RFC 8985): blocks received, blocks ignored as
    /// outside SND.UNA..SND.MAX, D-SACKs received and sent, SACK recoveries entered, segments
    /// RACK deemed lost, tail loss probes sent, reneging detected at an RTO.
    public var sackBlocksReceived = 0
    public var sackBlocksIgnored = 0
    public var dsacksReceived = 0
    public var dsacksSent = 0
    public var sackRecoveries = 0
    /// Fast recoveries undone because D-SACKs showed every retransmission needless (RFC 3708).
    public var spuriousRecoveriesUndone = 0
    public var rackLosses = 0
    public var lossProbes = 0
    public var renegingsDetected = 0
    /// Segments that arrived past a gap and were kept for reassembly.
    public var outOfOrderSegments = 0
    public var resetsSent = 0
    public var challengeACKsSent = 0
    public var connectionsOpened = 0
    public var connectionsAccepted = 0
    /// SYN cookies (RFC 4987 §3.6): SYN-ACKs sent with a cookie instead of a half-open
    /// connection; ACKs whose cookie checked out; ACKs whose cookie did not (forged, for another
    /// four-tuple, or expired: drops `syn-cookie-invalid` and `syn-cookie-expired`).
    public var synCookiesSent = 0
    public var synCookiesValid = 0
    public var synCookiesInvalid = 0
    public func dropCount(_ r: DropReason) -> Int { drops[r] ?? 0 }
}

/// Deadlines of a connection's timers.
public struct TimerDeadlines: Sendable, Hashable {
    public var retransmit: Instant?
    public var persist: Instant?
    public var timeWait: Instant?
    public var finWait2: Instant?
}

/// A snapshot of one connection's TCB.
public struct ConnectionInfo: Sendable, Hashable {
    public var state: TCPState
    public var local: SocketAddress
    public var remote: SocketAddress
    public var iss: SequenceNumber
    public var irs: SequenceNumber
    public var sndUna: SequenceNumber
    public var sndNxt: SequenceNumber
    public var sndWnd: UInt32
    public var rcvNxt: SequenceNumber
    public var rcvWnd: UInt32
    public var sendMSS: Int
    public var rto: Duration
    public var srtt: Duration?
    public var cwnd: Int
    public var ssthresh: Int
    public var bytesBuffered: Int
    public var bytesReadable: Int
    public var retries: Int
    public var error: TCPError?
    public var timers: TimerDeadlines
    /// RFC 7323 §2: the shift counts in use, nil unless both SYNs carried the window scale option.
    public var windowShifts: WindowShifts? = nil
    /// RFC 7323 §3: both SYNs carried the timestamps option.
    public var timestamps = false
}

/// Window scale shift counts (RFC 7323 §2.2): the peer's windows are shifted left by `send`, ours
/// right by `receive`.
public struct WindowShifts: Sendable, Hashable {
    public var send: UInt8
    public var receive: UInt8
    public init(send: UInt8, receive: UInt8) { self.send = send; self.receive = receive }
}

/// The connection slab: TCBs stored inline (no allocation per connection), in chunks of
/// `chunkSize` slots. A single array would double its capacity as it grows — up to half of it
/// unused, and while it grows the old and the new storage both live: 100,000 idle connections of
/// ~850 bytes each peaked at 2 × 112 MB of slots in two stacks. Chunks cost at most one partly
/// filled chunk, and growing copies nothing. (The first chunk grows as an array does, so a stack
/// with a handful of connections stays small.)
struct SlotTable: RandomAccessCollection {
    static let chunkShift = 10
    static let chunkSize = 1 << chunkShift
    private var chunks: [[TCPStack.Slot]] = []
    private(set) var count = 0

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    var indices: Range<Int> { 0..<count }

    subscript(i: Int) -> TCPStack.Slot {
        get { chunks[i >> Self.chunkShift][i & (Self.chunkSize - 1)] }
        _modify { yield &chunks[i >> Self.chunkShift][i & (Self.chunkSize - 1)] }
    }

    mutating func append(_ slot: TCPStack.Slot) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk: [TCPStack.Slot] = []
            if !chunks.isEmpty { chunk.reserveCapacity(Self.chunkSize) }
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(slot)
        count += 1
    }
}
