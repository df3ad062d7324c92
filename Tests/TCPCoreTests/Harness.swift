// The test harness for the engine, in the style of smoltcp's socket tests: a fixture per state that
// drives a real handshake through the engine, segments written out field by field, and
// `send(_:at:)` / `expectSent(...)` / `expectNothingSent()` with explicit times. The "peer" is the
// test itself: it builds IPv4/IPv6 packets with `TCPPacket.build` and parses what `pollTransmit`
// writes.
//
// Naming as in smoltcp: `iss` is our initial sequence number (LOCAL_SEQ; it comes from RFC 6528, so
// the fixture reads it from our SYN or SYN-ACK) and `irs` is the peer's (REMOTE_SEQ, a constant).

import Testing
import TCPWire
import TCPCore

// MARK: - Deterministic randomness

/// The tests' uses of SplitMix64 (TCPWire), the seeded generator handed to `TCPStack` and the source
/// of every "random" choice the tests make, so each run is the same.
extension SplitMix64 {
    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { unitInterval() < p }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

// MARK: - Addresses and constants

let ourIP = IPAddress.v4(IPv4Address(10, 0, 0, 1))
let peerIP = IPAddress.v4(IPv4Address(10, 0, 0, 2))
let ourIP6 = IPAddress("fd00::1")!
let peerIP6 = IPAddress("fd00::2")!
let ourPort: UInt16 = 80
let peerPort: UInt16 = 49152
/// The peer's ISN (smoltcp's REMOTE_SEQ).
let peerISS = SequenceNumber(1_000_000)
/// The window we offer with the default 64 KiB receive buffer (no window scaling: at most 65535).
let fullWindow: UInt16 = 65535

/// The window we offer with the fixtures' 64 KiB (65536-byte) buffer holding `unread` bytes: the
/// right edge stays where the SYN-ACK's 65535 put it (receiver SWS avoidance, RFC 9293
/// §3.8.6.2.2, moves it only by at least one MSS), so arriving data shrinks the window byte for byte.
func window(unread: Int) -> UInt16 { UInt16(65535 - unread) }
func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
func seconds(_ s: Double) -> Instant { .seconds(s) }

// MARK: - Segments as values

/// One TCP segment as the tests write and read it: every field that matters, compared exactly.
/// (`ack` is written as 0 when the ACK bit is off, as the engine does.)
struct Seg: Hashable, Sendable, CustomStringConvertible {
    var flags: TCPFlags
    var seq: SequenceNumber
    var ack: SequenceNumber
    var window: UInt16
    var mss: UInt16?
    /// SACK-permitted (RFC 2018 §2) and SACK blocks (§3).
    var sackOK: Bool
    var sack: [SACKBlock]
    var payload: [UInt8]

    init(_ flags: TCPFlags, seq: SequenceNumber, ack: SequenceNumber = SequenceNumber(0), window: UInt16 = fullWindow,
         mss: UInt16? = nil, sackOK: Bool = false, sack: [SACKBlock] = [], payload: [UInt8] = []) {
        self.flags = flags
        self.seq = seq
        self.ack = ack
        self.window = window
        self.mss = mss
        self.sackOK = sackOK
        self.sack = sack
        self.payload = payload
    }

    init(_ view: TCPSegmentView) {
        self.init(view.header.flags, seq: view.header.sequenceNumber, ack: view.header.acknowledgmentNumber,
                  window: view.header.window, mss: view.header.options.mss, sackOK: view.header.options.sackPermitted,
                  sack: Array(view.header.options.sackBlocks), payload: Array(view.payload))
    }

    /// SEG.LEN: payload plus one for SYN and one for FIN.
    var length: Int { payload.count + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0) }

    var description: String {
        var s = "[\(flags)] seq=\(seq)"
        if flags.contains(.ack) || ack != SequenceNumber(0) { s += " ack=\(ack)" }
        s += " win=\(window)"
        if let mss { s += " mss=\(mss)" }
        if sackOK { s += " sackOK" }
        if !sack.isEmpty { s += " sack=" + sack.map { "\($0.left.rawValue)-\($0.right.rawValue)" }.joined(separator: ",") }
        if !payload.isEmpty { s += " len=\(payload.count)" }
        return s
    }

    /// The packet bytes, from `source` to `destination`.
    func packet(from source: SocketAddress, to destination: SocketAddress) -> [UInt8] {
        let h = TCPHeader(sourcePort: source.port, destinationPort: destination.port, sequenceNumber: seq,
                          acknowledgmentNumber: ack, flags: flags, window: window,
                          options: TCPOptions(mss: mss, sackPermitted: sackOK, sackBlocks: SACKBlocks(sack)))
        return try! TCPPacket.build(source: source.address, destination: destination.address, header: h, payload: payload)
    }
}

/// A segment the stack under test sent, with the time it went out.
struct Sent: CustomStringConvertible {
    var time: Instant
    var seg: Seg
    var source: SocketAddress
    var destination: SocketAddress
    var description: String { "\(time) \(source) > \(destination) \(seg)" }
}

/// Parses one packet written by `pollTransmit`.
func parseSent(_ buffer: UnsafeRawBufferPointer, time: Instant) -> Sent {
    let view: TCPSegmentView
    do { view = try TCPPacket.parse(buffer) } catch { fatalError("the engine wrote a packet TCPWire cannot parse: \(error)") }
    return Sent(time: time, seg: Seg(view), source: view.sourceSocket, destination: view.destinationSocket)
}

// MARK: - One stack, the test playing the peer

struct Harness {
    var stack: TCPStack
    /// The time of the last thing that happened; `send(_:at:)` and `advance(to:)` move it forward.
    var now = Instant.zero
    /// The connection under test (set by the fixtures).
    var conn: ConnectionID!
    var listener: ListenerID?
    /// Our ISN (LOCAL_SEQ), read from our SYN or SYN-ACK.
    var iss = SequenceNumber(0)
    /// The peer's ISN (REMOTE_SEQ).
    var irs = peerISS
    let ours: SocketAddress
    var peer: SocketAddress
    /// What the stack sent and the test has not looked at yet.
    var outbox: [Sent] = []
    /// Every trace record so far (configuration.trace is on in the fixtures).
    var log: [TraceRecord] = []
    private var events: [TCPEvent] = []

    static func configuration(_ change: (inout TCPConfiguration) -> Void = { _ in }) -> TCPConfiguration {
        var c = TCPConfiguration()
        c.trace = true
        // The fixtures' windows and buffer-filling tests are written for 64 KiB buffers (the
        // engine's default is larger; see WindowScaleTests for big buffers).
        c.sendBufferBytes = 64 * 1024
        c.receiveBufferBytes = 64 * 1024
        change(&c)
        return c
    }

    init(configuration: TCPConfiguration = Harness.configuration(), seed: UInt64 = 1, ipv6: Bool = false) {
        var rng = SplitMix64(seed: seed)
        ours = SocketAddress(ipv6 ? ourIP6 : ourIP, ourPort)
        peer = SocketAddress(ipv6 ? peerIP6 : peerIP, peerPort)
        stack = TCPStack(addresses: [ourIP, ourIP6], configuration: configuration, random: &rng, secrets: .seeded)
    }

    // MARK: Time and segments

    /// Runs every timer due up to `t` (each at its own deadline, sending what it sends at that
    /// moment), then sets the clock to `t`.
    mutating func advance(to t: Double) { advance(to: seconds(t)) }

    mutating func advance(to t: Instant) {
        precondition(t >= now, "time runs forward: \(t) < \(now)")
        while let d = stack.nextDeadline, d <= t {
            now = max(now, d)
            stack.handleTimeout(now: now)
            drain()
        }
        now = t
    }

    /// The peer sends `seg` at time `t` (timers due before then run first).
    mutating func send(_ seg: Seg, at t: Double, from source: SocketAddress? = nil) {
        advance(to: t)
        stack.handle(ipPacket: seg.packet(from: source ?? peer, to: ours), now: now)
        drain()
    }

    /// Sends raw bytes as an IP packet at `t`.
    mutating func send(packet: [UInt8], at t: Double) {
        advance(to: t)
        stack.handle(ipPacket: packet, now: now)
        drain()
    }

    /// Moves what the stack has to send into `outbox`, and trace records into `log`.
    mutating func drain() {
        var buffer = [UInt8](repeating: 0, count: 70_000)
        while true {
            let n = buffer.withUnsafeMutableBytes { stack.pollTransmit(now: now, into: $0) }
            guard let n else { break }
            let t = now
            outbox.append(buffer.withUnsafeBytes { parseSent(UnsafeRawBufferPointer(rebasing: $0[0..<n]), time: t) })
        }
        while let r = stack.pollTrace() { log.append(r) }
        while let e = stack.pollEvent() { events.append(e) }
    }

    /// Expects the stack to have sent exactly these segments next, in order, to the peer.
    mutating func expectSent(_ expected: Seg..., sourceLocation: SourceLocation = #_sourceLocation) {
        drain()
        for e in expected {
            guard !outbox.isEmpty else {
                Issue.record("expected \(e) to be sent, but nothing was", sourceLocation: sourceLocation)
                return
            }
            let got = outbox.removeFirst()
            #expect(got.seg == e, sourceLocation: sourceLocation)
            #expect(got.source == ours && got.destination == peer, "\(got)", sourceLocation: sourceLocation)
        }
    }

    /// Expects `expected` to be sent next, at exactly time `t` (running timers until then).
    mutating func expectSent(_ expected: Seg, at t: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let got = nextSent(until: t + 1e-9) else {
            Issue.record("expected \(expected) at \(t)s, nothing sent", sourceLocation: sourceLocation)
            return
        }
        #expect(got.seg == expected, sourceLocation: sourceLocation)
        #expect(got.time == seconds(t), "sent at \(got.time), expected at \(t)s", sourceLocation: sourceLocation)
    }

    mutating func expectNothingSent(sourceLocation: SourceLocation = #_sourceLocation) {
        drain()
        #expect(outbox.isEmpty, "unexpected: \(outbox)", sourceLocation: sourceLocation)
        outbox.removeAll()
    }

    /// The next segment sent, running timers (jumping the clock to each deadline) until one goes
    /// out or `limit` passes.
    mutating func nextSent(until limit: Double = 100_000) -> Sent? {
        drain()
        let end = seconds(limit)
        while outbox.isEmpty, let d = stack.nextDeadline, d <= end {
            now = max(now, d)
            stack.handleTimeout(now: now)
            drain()
        }
        return outbox.isEmpty ? nil : outbox.removeFirst()
    }

    /// Everything sent so far that the test has not looked at yet.
    mutating func takeSent() -> [Seg] {
        drain()
        defer { outbox.removeAll() }
        return outbox.map(\.seg)
    }

    // MARK: The application

    mutating func pollEvents() -> [TCPEvent] {
        drain()
        defer { events.removeAll() }
        return events
    }

    @discardableResult
    mutating func write(_ data: [UInt8], at t: Double) -> Int {
        advance(to: t)
        let n = try! stack.send(conn, data, now: now)
        drain()
        return n
    }

    /// Everything readable now (nil at end of stream).
    mutating func read(at t: Double? = nil) -> [UInt8]? {
        if let t { advance(to: t) }
        var out: [UInt8] = []
        while true {
            guard let chunk = try! stack.receive(conn, now: now) else { drain(); return out.isEmpty ? nil : out }
            if chunk.isEmpty { break }
            out += chunk
        }
        drain()
        return out
    }

    mutating func shutdown(at t: Double) { advance(to: t); try! stack.shutdown(conn, now: now); drain() }
    mutating func close(at t: Double) { advance(to: t); try! stack.close(conn, now: now); drain() }
    mutating func abort(at t: Double) { advance(to: t); try! stack.abort(conn, now: now); drain() }

    // MARK: Looking at the stack

    var state: TCPState? { stack.state(of: conn) }
    var info: ConnectionInfo { stack.info(of: conn)! }
    func drops(_ reason: DropReason) -> Int { stack.statistics.dropCount(reason) }

    /// State changes of `id` (default: the connection under test) as the trace recorded them.
    func stateChanges(of id: ConnectionID? = nil) -> [String] {
        let id = id ?? conn
        return log.compactMap { r in
            guard r.connection == id, case .state(let from, let to) = r.kind else { return nil }
            return "\(from) -> \(to)"
        }
    }

    /// Drop reasons the trace recorded, in order.
    var dropLog: [DropReason] {
        log.compactMap { if case .drop(let r, _) = $0.kind { r } else { nil } }
    }

    /// The connection the trace saw entering SYN-RECEIVED last (a half-open one has no other handle).
    var lastHalfOpen: ConnectionID? {
        log.last { if case .state(_, .synReceived) = $0.kind { true } else { false } }?.connection
    }
}

// MARK: - Fixtures, one per state

extension Harness {
    /// No listener and no connection: RFC 9293 §3.10.7.1.
    static func closed(_ configuration: TCPConfiguration = Harness.configuration()) -> Harness {
        Harness(configuration: configuration)
    }

    /// A listener on port 80.
    static func listen(_ configuration: TCPConfiguration = Harness.configuration(), backlog: Int = 128, ipv6: Bool = false) -> Harness {
        var h = Harness(configuration: configuration, ipv6: ipv6)
        h.listener = try! h.stack.listen(port: ourPort, backlog: backlog)
        return h
    }

    /// The peer's SYN arrived at the listener at 0 s and we answered SYN-ACK.
    static func synReceived(_ configuration: TCPConfiguration = Harness.configuration(), ipv6: Bool = false) -> Harness {
        var h = listen(configuration, ipv6: ipv6)
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0)
        let synAck = h.takeSent()
        precondition(synAck.count == 1 && synAck[0].flags == [.syn, .ack], "fixture: \(synAck)")
        h.iss = synAck[0].seq
        h.conn = h.lastHalfOpen
        return h
    }

    /// ESTABLISHED after a passive open completed at 0 s and the application accepted it.
    static func established(_ configuration: TCPConfiguration = Harness.configuration(), ipv6: Bool = false) -> Harness {
        var h = synReceived(configuration, ipv6: ipv6)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0)
        let accepted = try! h.stack.accept(h.listener!)
        precondition(accepted == h.conn, "fixture: accepted \(String(describing: accepted))")
        precondition(h.state == .established)
        h.expectNothingSent()
        _ = h.pollEvents()
        return h
    }

    /// SYN-SENT: connect(to: peer) from port 80 at 0 s; our SYN went out.
    static func synSent(_ configuration: TCPConfiguration = Harness.configuration(), ipv6: Bool = false, seed: UInt64 = 1) -> Harness {
        var h = Harness(configuration: configuration, seed: seed, ipv6: ipv6)
        h.conn = try! h.stack.connect(to: h.peer, localPort: ourPort, now: h.now)
        h.drain()
        let syn = h.takeSent()
        precondition(syn.count == 1 && syn[0].flags == .syn, "fixture: \(syn)")
        h.iss = syn[0].seq
        return h
    }

    /// ESTABLISHED after an active open at 0 s.
    static func establishedActive(_ configuration: TCPConfiguration = Harness.configuration(), ipv6: Bool = false) -> Harness {
        var h = synSent(configuration, ipv6: ipv6)
        h.send(Seg([.syn, .ack], seq: h.irs, ack: h.iss + 1, mss: 1460), at: 0)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        precondition(h.state == .established)
        _ = h.pollEvents()
        return h
    }

    /// FIN-WAIT-1: established, then shutdown() (or close()) at 0 s; our FIN is in flight.
    static func finWait1(_ configuration: TCPConfiguration = Harness.configuration(), close: Bool = false) -> Harness {
        var h = established(configuration)
        if close { h.close(at: 0) } else { h.shutdown(at: 0) }
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 1, ack: h.irs + 1))
        precondition(h.state == .finWait1)
        return h
    }

    /// FIN-WAIT-2: the peer acknowledged our FIN at 0 s.
    static func finWait2(_ configuration: TCPConfiguration = Harness.configuration(), close: Bool = false) -> Harness {
        var h = finWait1(configuration, close: close)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 2), at: 0)
        h.expectNothingSent()
        precondition(h.state == .finWait2)
        return h
    }

    /// CLOSING: our FIN and the peer's crossed; we acknowledged the peer's at 0 s.
    static func closing(_ configuration: TCPConfiguration = Harness.configuration()) -> Harness {
        var h = finWait1(configuration)
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 1), at: 0)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 2))
        precondition(h.state == .closing)
        _ = h.pollEvents()
        return h
    }

    /// TIME-WAIT, entered at 0 s from FIN-WAIT-2 (we closed first).
    static func timeWait(_ configuration: TCPConfiguration = Harness.configuration()) -> Harness {
        var h = finWait2(configuration)
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 2), at: 0)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 2))
        precondition(h.state == .timeWait)
        _ = h.pollEvents()
        return h
    }

    /// CLOSE-WAIT: the peer's FIN arrived at 0 s and we acknowledged it.
    static func closeWait(_ configuration: TCPConfiguration = Harness.configuration()) -> Harness {
        var h = established(configuration)
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 1), at: 0)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 2))
        precondition(h.state == .closeWait)
        _ = h.pollEvents()
        return h
    }

    /// LAST-ACK: from CLOSE-WAIT we shut down at 0 s; our FIN is in flight.
    static func lastAck(_ configuration: TCPConfiguration = Harness.configuration()) -> Harness {
        var h = closeWait(configuration)
        h.shutdown(at: 0)
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 1, ack: h.irs + 2))
        precondition(h.state == .lastAck)
        return h
    }

    /// A fixture by state, for tests parameterised over states.
    static func fixture(_ state: TCPState, _ configuration: TCPConfiguration = Harness.configuration()) -> Harness {
        switch state {
        case .closed: closed(configuration)
        case .listen: listen(configuration)
        case .synSent: synSent(configuration)
        case .synReceived: synReceived(configuration)
        case .established: established(configuration)
        case .finWait1: finWait1(configuration)
        case .finWait2: finWait2(configuration)
        case .closeWait: closeWait(configuration)
        case .closing: closing(configuration)
        case .lastAck: lastAck(configuration)
        case .timeWait: timeWait(configuration)
        }
    }

    /// In a fixture for a synchronized state: the peer's next sequence number (RCV.NXT) and ours (SND.NXT).
    var rcvNxt: SequenceNumber { info.rcvNxt }
    var sndNxt: SequenceNumber { info.sndNxt }
}

/// Plain numbers as sequence numbers in segment literals (`Seg(.syn, seq: 500)`).
extension SequenceNumber: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: UInt32) { self.init(value) }
}
