// A tiny in-test network between two stacks, A (10.0.0.1 / fd00::1) and B (10.0.0.2 / fd00::2):
// every packet arrives after a fixed delay unless a drop rule or the seeded loss rate eats it.
// Virtual time jumps straight to the next delivery or timer deadline, as quinn-proto's tests do.

import Testing
import TCPWire
import TCPCore

struct Link {
    struct Packet: CustomStringConvertible {
        var time: Instant
        var fromA: Bool
        var seg: Seg
        /// Index among the packets sent in the same direction (0 = first).
        var index: Int
        var dropped: Bool
        /// The packet's bytes as they went on the wire (kept when `keepBytes` is on).
        var bytes: [UInt8] = []
        /// Its place among the pieces `OffloadDevice` cut one TSO packet into (0: first or only).
        var piece = 0
        var description: String {
            "\(time) \(fromA ? "A > B" : "B > A") \(seg)\(dropped ? "  (dropped)" : "")"
        }
    }

    var a: TCPStack
    var b: TCPStack
    var now = Instant.zero
    var delay: Duration
    /// Drop rule (true: the packet is lost).
    var dropIf: (Packet) -> Bool = { _ in false }
    /// Independent random loss with this probability, from a seeded generator.
    var lossRate = 0.0
    var rng: SplitMix64
    /// Every packet put on the wire, in order.
    var wire: [Packet] = []
    var traceA: [TraceRecord] = []
    var traceB: [TraceRecord] = []
    var eventsA: [TCPEvent] = []
    var eventsB: [TCPEvent] = []
    /// Polls A (B) with `pollTransmit(now:into:offload:)` when set; `OffloadDevice` finishes the
    /// packets (cuts TSO packets into wire segments, completes partial checksums).
    var offloadA: TransmitOffload?
    var offloadB: TransmitOffload?
    /// False: TSO packets are delivered whole, as when the receiver's device coalesces (GRO).
    var cutLargeSegments = true
    /// Keep each packet's bytes in `wire`.
    var keepBytes = false
    /// Serialization: a packet arrives at least this long after the previous one in its direction
    /// (zero: packets sent together arrive together, and the receiver answers them with one ACK).
    var spacing: Duration = .zero
    private var lastArrivalAtB = Instant.zero
    private var lastArrivalAtA = Instant.zero
    /// Packets A and B handed over, before any were cut.
    var packetsFromA = 0
    var packetsFromB = 0
    private var inFlight: [(at: Instant, toB: Bool, bytes: [UInt8])] = []
    private var sentFromA = 0
    private var sentFromB = 0

    /// The default configuration turns window scaling off, so windows read as RFC 9293's figures
    /// show them (unscaled); WindowScaleTests runs links with it on.
    init(configuration: TCPConfiguration = Harness.configuration { $0.windowScaling = false }, configurationB: TCPConfiguration? = nil,
         delay: Duration = .milliseconds(50), seed: UInt64 = 1) {
        var r1 = SplitMix64(seed: seed)
        var r2 = SplitMix64(seed: seed &+ 1)
        a = TCPStack(addresses: [ourIP, ourIP6], configuration: configuration, random: &r1, secrets: .seeded)
        b = TCPStack(addresses: [peerIP, peerIP6], configuration: configurationB ?? configuration, random: &r2, secrets: .seeded)
        self.delay = delay
        rng = SplitMix64(seed: seed &+ 2)
    }

    /// Called after each delivery/timeout step, before what it caused is sent: the place for an
    /// application that reacts to events at once (e.g. shuts down on `.peerClosed`).
    var react: ((inout Link) -> Void)?

    /// Moves what both stacks want to send onto the wire, and their traces and events into the logs.
    private var buffer = [UInt8](repeating: 0, count: 70_000)

    mutating func flush() {
        for fromA in [true, false] {
            while true {
                let pieces: [[UInt8]]
                if let offload = fromA ? offloadA : offloadB {
                    let t = buffer.withUnsafeMutableBytes { fromA ? a.pollTransmit(now: now, into: $0, offload: offload) : b.pollTransmit(now: now, into: $0, offload: offload) }
                    guard let t else { break }
                    pieces = OffloadDevice.finish(Array(buffer[0..<t.length]), t, cut: cutLargeSegments)
                } else {
                    let n = buffer.withUnsafeMutableBytes { fromA ? a.pollTransmit(now: now, into: $0) : b.pollTransmit(now: now, into: $0) }
                    guard let n else { break }
                    pieces = [Array(buffer[0..<n])]
                }
                if fromA { packetsFromA += 1 } else { packetsFromB += 1 }
                for (k, bytes) in pieces.enumerated() {
                    let sent = bytes.withUnsafeBytes { parseSent($0, time: now) }
                    var p = Packet(time: now, fromA: fromA, seg: sent.seg, index: fromA ? sentFromA : sentFromB, dropped: false,
                                   bytes: keepBytes ? bytes : [], piece: k)
                    if fromA { sentFromA += 1 } else { sentFromB += 1 }
                    p.dropped = dropIf(p) || (lossRate > 0 && rng.chance(lossRate))
                    wire.append(p)
                    if !p.dropped {
                        var at = now + delay
                        if spacing > .zero {
                            at = max(at, (fromA ? lastArrivalAtB : lastArrivalAtA) + spacing)
                            if fromA { lastArrivalAtB = at } else { lastArrivalAtA = at }
                        }
                        inFlight.append((at, fromA, bytes))
                    }
                }
            }
        }
        collect()
    }

    /// Moves traces and events into the logs.
    mutating func collect() {
        while let r = a.pollTrace() { traceA.append(r) }
        while let r = b.pollTrace() { traceB.append(r) }
        while let e = a.pollEvent() { eventsA.append(e) }
        while let e = b.pollEvent() { eventsB.append(e) }
    }

    /// Hands a packet straight to A or B now, as if it had been in the network all along (an old
    /// duplicate), and sends what it causes.
    mutating func inject(_ seg: Seg, toB: Bool, from source: SocketAddress, to destination: SocketAddress) {
        let packet = seg.packet(from: source, to: destination)
        if toB { b.handle(ipPacket: packet, now: now) } else { a.handle(ipPacket: packet, now: now) }
        flush()
    }

    /// Jumps to the next delivery or deadline (not past `limit`) and handles it. False when nothing
    /// is left to do before `limit`.
    @discardableResult
    mutating func step(until limit: Instant) -> Bool {
        flush()
        var next = inFlight.map(\.at).min()
        for d in [a.nextDeadline, b.nextDeadline].compactMap({ $0 }) { next = next.map { min($0, d) } ?? d }
        guard let next, next <= limit else { return false }
        now = max(now, next)
        // Deliver in the order sent.
        while let i = inFlight.firstIndex(where: { $0.at <= now }) {
            let p = inFlight.remove(at: i)
            if p.toB { b.handle(ipPacket: p.bytes, now: now) } else { a.handle(ipPacket: p.bytes, now: now) }
        }
        a.handleTimeout(now: now)
        b.handleTimeout(now: now)
        collect()
        if let react { react(&self) }
        flush()
        return true
    }

    /// Runs until nothing is left to do or `limit` (seconds) passes.
    mutating func run(until limit: Double) {
        let end = Instant.seconds(limit)
        while step(until: end) {}
        if now < end { now = end }
    }

    /// Runs an application call on A or B at the current time, then flushes.
    mutating func onA<T>(_ body: (inout TCPStack, Instant) throws -> T) rethrows -> T {
        let r = try body(&a, now); flush(); return r
    }
    mutating func onB<T>(_ body: (inout TCPStack, Instant) throws -> T) rethrows -> T {
        let r = try body(&b, now); flush(); return r
    }

    /// State changes of a connection as one side's trace recorded them ("SYN-SENT -> ESTABLISHED").
    func stateChanges(_ trace: [TraceRecord], _ id: ConnectionID) -> [String] {
        trace.compactMap { r in
            guard r.connection == id, case .state(let from, let to) = r.kind else { return nil }
            return "\(from) -> \(to)"
        }
    }

    /// The first connection B's trace shows (a passively opened one).
    var firstConnectionOnB: ConnectionID? {
        traceB.first { if case .state = $0.kind { true } else { false } }?.connection
    }

    /// Packets A sent / B sent, in order.
    var fromA: [Packet] { wire.filter(\.fromA) }
    var fromB: [Packet] { wire.filter { !$0.fromA } }
}

/// Two applications, one on each end of a connection: each writes its buffer as fast as the
/// stack takes it, shuts down when all is written, and reads everything until end of stream.
struct Transfer {
    let a: ConnectionID
    let b: ConnectionID
    let aToB: [UInt8]
    let bToA: [UInt8]
    var receivedByA: [UInt8] = []
    var receivedByB: [UInt8] = []
    private var sentByA = 0, sentByB = 0
    private var shutA = false, shutB = false
    private(set) var endOfStreamAtA = false, endOfStreamAtB = false
    private var scratch = [UInt8](repeating: 0, count: 65536)

    init(a: ConnectionID, b: ConnectionID, aToB: [UInt8], bToA: [UInt8]) {
        self.a = a; self.b = b; self.aToB = aToB; self.bToA = bToA
    }

    /// Runs the link, letting both applications act after every step, until nothing is left to do.
    mutating func run(_ link: inout Link, until limit: Double) {
        let end = Instant.seconds(limit)
        pump(&link)
        while link.step(until: end) { pump(&link) }
    }

    mutating func pump(_ link: inout Link) {
        Self.write(&link.a, a, aToB, &sentByA, &shutA, link.now)
        Self.write(&link.b, b, bToA, &sentByB, &shutB, link.now)
        Self.read(&link.a, a, into: &receivedByA, eof: &endOfStreamAtA, scratch: &scratch, link.now)
        Self.read(&link.b, b, into: &receivedByB, eof: &endOfStreamAtB, scratch: &scratch, link.now)
        link.flush()
    }

    static func write(_ s: inout TCPStack, _ id: ConnectionID, _ data: [UInt8], _ sent: inout Int, _ shut: inout Bool, _ now: Instant) {
        guard let st = s.state(of: id), st != .closed, !shut else { return }
        while sent < data.count {
            let n = data[sent...].withUnsafeBytes { (try? s.send(id, $0, now: now)) ?? 0 }
            if n == 0 { break }
            sent += n
        }
        if sent == data.count {
            try? s.shutdown(id, now: now)
            shut = true
        }
    }

    static func read(_ s: inout TCPStack, _ id: ConnectionID, into received: inout [UInt8], eof: inout Bool,
                     scratch: inout [UInt8], _ now: Instant) {
        while !eof {
            let r = scratch.withUnsafeMutableBytes { try? s.receive(id, into: $0, now: now) }
            switch r {
            case .data(let n)?: received += scratch[0..<n]
            case .endOfStream?: eof = true
            case .wouldBlock?, nil: return
            }
        }
    }
}
