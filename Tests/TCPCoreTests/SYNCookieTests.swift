// SYN cookies (RFC 4987 §3.6): a listener whose half-open queue is full (or every listener, in
// `.always` mode) answers a SYN with a SYN-ACK whose ISN is a cookie and keeps nothing; the
// handshake's ACK returns the cookie (SEG.ACK − 1), which the listener checks — its time counter
// recent, its keyed hash right for the four-tuple and the peer's ISN — before making the
// connection, ESTABLISHED at once, with the MSS the cookie names and, when timestamps carried
// them in our TSval's low bits, window scaling and SACK. An ACK whose cookie fails is counted,
// traced and answered with RST, as any ACK in LISTEN (RFC 9293 §3.10.7.2). The secret that signs
// cookies rotates on the driver's clock (every 128 s by default), the previous one kept: a cookie
// checks across one rotation and is worthless once its secret's epoch is two behind.

import Testing
import TCPWire
@testable import TCPCore

@Suite("SYN cookies")
struct SYNCookieTests {
    static func client(_ n: Int, ipv6: Bool = false) -> SocketAddress { SocketAddress(ipv6 ? peerIP6 : peerIP, UInt16(50000 + n)) }
    static func irs(_ n: Int) -> SequenceNumber { SequenceNumber(UInt32(n) * 1_000_000) }
    static func config(_ mode: SYNCookieMode = .whenQueueFull) -> TCPConfiguration { Harness.configuration { $0.synCookies = mode } }
    static func config(_ mode: SYNCookieMode, rekey: Duration) -> TCPConfiguration {
        Harness.configuration { $0.synCookies = mode; $0.synCookieRekeyInterval = rekey }
    }

    /// A listener with backlog 1 whose half-open queue client 1 filled at 0 s.
    static func fullListener(_ configuration: TCPConfiguration = config(), ipv6: Bool = false) -> Harness {
        var h = Harness.listen(configuration, backlog: 1, ipv6: ipv6)
        h.send(Seg(.syn, seq: irs(1), mss: 1460), at: 0, from: client(1, ipv6: ipv6))
        let synAck = h.takeSent()
        precondition(synAck.count == 1 && synAck[0].flags == [.syn, .ack], "fixture: \(synAck)")
        precondition(h.stack.connectionCount == 1)
        return h
    }

    /// Client n's SYN at `t`; returns our answer (nil if none).
    static func syn(_ h: inout Harness, _ n: Int, at t: Double, mss: UInt16? = 1460, ipv6: Bool = false) -> Sent? {
        h.send(Seg(.syn, seq: irs(n), mss: mss, sackOK: true), at: t, from: client(n, ipv6: ipv6))
        let sent = h.outbox
        h.outbox.removeAll()
        #expect(sent.count <= 1, "\(sent)")
        return sent.first
    }

    /// A packet with any options (the harness's `Seg` carries only MSS and SACK).
    static func packet(_ flags: TCPFlags, seq: SequenceNumber, ack: SequenceNumber = 0, window: UInt16 = 65535,
                       options: TCPOptions = TCPOptions(), payload: [UInt8] = [], from: SocketAddress, to: SocketAddress) -> [UInt8] {
        let header = TCPHeader(sourcePort: from.port, destinationPort: to.port, sequenceNumber: seq, acknowledgmentNumber: ack,
                               flags: flags, window: window, options: options)
        return try! TCPPacket.build(source: from.address, destination: to.address, header: header, payload: payload)
    }

    /// The last segment the stack sent, options and all (from the trace).
    static func lastSent(_ h: inout Harness) -> SegmentSummary? {
        h.drain()
        for r in h.log.reversed() { if case .send(let s) = r.kind { return s } }
        return nil
    }

    // MARK: The cookie SYN-ACK

    @Test("queue full: the SYN gets a SYN-ACK with a cookie, and the listener keeps no state")
    func cookieWhenQueueFull() throws {
        var h = Self.fullListener()
        let deadline = h.stack.nextDeadline
        let answer = try #require(Self.syn(&h, 2, at: 0.1))
        #expect(answer.destination == Self.client(2))
        // No timestamps on the SYN: the cookie cannot carry window scaling or SACK, so the
        // SYN-ACK offers only the MSS (the SYN's sackOK is not answered).
        #expect(answer.seg == Seg([.syn, .ack], seq: answer.seg.seq, ack: Self.irs(2) + 1, mss: 1460))
        #expect(h.stack.connectionCount == 1, "no TCB for client 2")
        #expect(h.stack.nextDeadline == deadline, "no timer either: the SYN-ACK is never retransmitted")
        #expect(h.stack.statistics.synCookiesSent == 1)
        #expect(h.drops(.backlogFull) == 0)
        // Stateless and deterministic: the retransmitted SYN gets the same cookie.
        #expect(try #require(Self.syn(&h, 2, at: 0.9)).seg.seq == answer.seg.seq)
        #expect(h.stack.statistics.synCookiesSent == 2)
        #expect(h.stack.connectionCount == 1)
        h.advance(to: 2)
        #expect(h.takeSent().allSatisfy { $0.flags == [.syn, .ack] && $0.seq != answer.seg.seq }, "only client 1's SYN-ACK is retransmitted")
    }

    @Test("never: a SYN that finds the half-open queue full is dropped")
    func neverDrops() {
        var h = Self.fullListener(Self.config(.never))
        #expect(Self.syn(&h, 2, at: 0.1) == nil)
        #expect(h.drops(.backlogFull) == 1)
        #expect(h.stack.statistics.synCookiesSent == 0)
        #expect(h.stack.connectionCount == 1)
    }

    @Test("whenQueueFull: with room in the queue the SYN makes an ordinary half-open connection")
    func roomMeansNoCookie() throws {
        var h = Harness.listen(Self.config(), backlog: 2)
        _ = try #require(Self.syn(&h, 1, at: 0))
        #expect(h.stack.connectionCount == 1)
        #expect(h.stack.statistics.synCookiesSent == 0)
        #expect(h.stateChanges(of: h.lastHalfOpen) == ["LISTEN -> SYN-RECEIVED"])
    }

    @Test("always: every SYN gets a cookie, even with room in the queue")
    func alwaysMode() throws {
        var h = Harness.listen(Self.config(.always), backlog: 128)
        let answer = try #require(Self.syn(&h, 1, at: 0))
        #expect(answer.seg.flags == [.syn, .ack])
        #expect(h.stack.connectionCount == 0)
        #expect(h.stack.nextDeadline == nil)
        h.send(Seg(.ack, seq: Self.irs(1) + 1, ack: answer.seg.seq + 1), at: 0.05, from: Self.client(1))
        #expect(h.stack.connectionCount == 1)
        h.conn = try h.stack.accept(h.listener!)
        #expect(h.state == .established)
        #expect(h.stack.statistics.synCookiesSent == 1 && h.stack.statistics.synCookiesValid == 1)
    }

    @Test("a full accept queue drops the SYN even with cookies (as Linux)")
    func acceptQueueFullDropsSYN() throws {
        var h = Harness.listen(Self.config(.always), backlog: 1)
        let a = try #require(Self.syn(&h, 1, at: 0))
        h.send(Seg(.ack, seq: Self.irs(1) + 1, ack: a.seg.seq + 1), at: 0.05, from: Self.client(1))
        #expect(h.stack.connectionCount == 1)
        #expect(Self.syn(&h, 2, at: 0.1) == nil)
        #expect(h.drops(.backlogFull) == 1)
        #expect(h.stack.statistics.synCookiesSent == 1)
    }

    // MARK: The ACK that returns it

    @Test("a valid cookie ACK makes the connection ESTABLISHED at once")
    func validACK() throws {
        var h = Self.fullListener()
        let cookie = try #require(Self.syn(&h, 2, at: 0.1)).seg.seq
        h.send(Seg(.ack, seq: Self.irs(2) + 1, ack: cookie + 1, window: 30000), at: 0.2, from: Self.client(2))
        h.expectNothingSent()
        #expect(h.stack.connectionCount == 2)
        #expect(h.stack.statistics.synCookiesValid == 1 && h.stack.statistics.synCookiesInvalid == 0)
        let events = h.pollEvents()
        #expect(events.first == .connectionAvailable(h.listener!))
        h.conn = try h.stack.accept(h.listener!)
        #expect(events.contains(.established(h.conn)))
        #expect(h.stateChanges() == ["LISTEN -> ESTABLISHED"])
        let info = h.info
        #expect(info.state == .established && info.remote == Self.client(2))
        #expect(info.iss == cookie && info.irs == Self.irs(2))
        #expect(info.sndUna == cookie + 1 && info.sndNxt == cookie + 1 && info.rcvNxt == Self.irs(2) + 1)
        #expect(info.sndWnd == 30000 && info.sendMSS == 1460)
        #expect(info.windowShifts == nil && !info.timestamps)
        // It works like any connection: data out, numbered from the cookie.
        h.write(bytes("hi"), at: 0.3)
        let out = h.outbox.removeFirst()
        #expect(out.destination == Self.client(2))
        #expect(out.seg == Seg([.psh, .ack], seq: cookie + 1, ack: Self.irs(2) + 1, payload: bytes("hi")))
    }

    @Test("the MSS comes back from the cookie, rounded down to its table", arguments: [
        (UInt16?(1460), false, 1460), (1000, false, 536), (nil, false, 536), (9000, false, 1460), (100, false, 64),
        (1440, true, 1440), (nil, true, 1220), (1300, true, 1300),
    ])
    func mssRecovered(offered: UInt16?, ipv6: Bool, expected: Int) throws {
        var h = Harness.listen(Self.config(.always), backlog: 8, ipv6: ipv6)
        let answer = try #require(Self.syn(&h, 2, at: 0, mss: offered, ipv6: ipv6))
        #expect(answer.seg.mss == UInt16(ipv6 ? 1440 : 1460), "we announce our own MSS as usual")
        h.send(Seg(.ack, seq: Self.irs(2) + 1, ack: answer.seg.seq + 1), at: 0.01, from: Self.client(2, ipv6: ipv6))
        h.conn = try h.stack.accept(h.listener!)
        #expect(h.info.sendMSS == expected)
    }

    @Test("with timestamps the TSval carries window scale and SACK-permitted, and the connection gets them back")
    func optionsInTimestamp() throws {
        var h = Harness.listen(Self.config(.always), backlog: 8)
        let us = SocketAddress(ourIP, ourPort), them = Self.client(2)
        var synOptions = TCPOptions(mss: 1460, windowScale: 7, sackPermitted: true, timestamp: TCPTimestamp(value: 5000, echoReply: 0))
        h.send(packet: Self.packet(.syn, seq: Self.irs(2), options: synOptions, from: them, to: us), at: 0.5)
        let synAck = try #require(Self.lastSent(&h))
        #expect(synAck.flags == [.syn, .ack] && h.stack.connectionCount == 0)
        #expect(synAck.options.mss == 1460 && synAck.options.windowScale == 1 && synAck.options.sackPermitted)
        let ts = try #require(synAck.options.timestamp)
        #expect(ts.echoReply == 5000)
        #expect(ts.value & 0x3F == 0x17, "low bits: shift 7, SACK-permitted (bit 4)")
        let cookie = synAck.sequenceNumber
        _ = h.takeSent()
        // The third segment echoes our TSval; its window is scaled by the peer's shift.
        synOptions = TCPOptions(timestamp: TCPTimestamp(value: 5010, echoReply: ts.value))
        h.send(packet: Self.packet(.ack, seq: Self.irs(2) + 1, ack: cookie + 1, window: 100, options: synOptions, from: them, to: us), at: 0.51)
        h.conn = try h.stack.accept(h.listener!)
        let info = h.info
        #expect(info.windowShifts == WindowShifts(send: 7, receive: 1))
        #expect(info.timestamps)
        #expect(info.sndWnd == 100 << 7)
        #expect(info.sendMSS == 1448, "1460 less the 12 bytes of timestamps (RFC 6691)")
        // SACK is on: data past a gap is reported in a SACK block.
        let data = TCPOptions(timestamp: TCPTimestamp(value: 5020, echoReply: ts.value))
        h.send(packet: Self.packet([.ack], seq: Self.irs(2) + 101, ack: cookie + 1, window: 100, options: data,
                                   payload: [UInt8](repeating: 7, count: 50), from: them, to: us), at: 0.52)
        let dupAck = try #require(h.takeSent().last)
        #expect(dupAck.ack == Self.irs(2) + 1)
        #expect(dupAck.sack == [SACKBlock(left: Self.irs(2) + 101, right: Self.irs(2) + 151)])
        let echoed = try #require(Self.lastSent(&h)?.options.timestamp)
        #expect(echoed.echoReply == 5010, "TS.Recent from the cookie ACK")
    }

    @Test("without timestamps the connection runs without window scaling and SACK")
    func noTimestampsNoOptions() throws {
        var h = Harness.listen(Self.config(.always), backlog: 8)
        let us = SocketAddress(ourIP, ourPort), them = Self.client(2)
        h.send(packet: Self.packet(.syn, seq: Self.irs(2), options: TCPOptions(mss: 1460, windowScale: 7, sackPermitted: true), from: them, to: us), at: 0)
        let synAck = try #require(Self.lastSent(&h))
        #expect(synAck.options.windowScale == nil && !synAck.options.sackPermitted && synAck.options.timestamp == nil)
        _ = h.takeSent()
        h.send(Seg(.ack, seq: Self.irs(2) + 1, ack: synAck.sequenceNumber + 1, window: 100), at: 0.01, from: them)
        h.conn = try h.stack.accept(h.listener!)
        #expect(h.info.windowShifts == nil && !h.info.timestamps && h.info.sndWnd == 100)
        h.send(Seg(.ack, seq: Self.irs(2) + 101, ack: synAck.sequenceNumber + 1, window: 100, payload: [UInt8](repeating: 7, count: 50)), at: 0.02, from: them)
        let dupAck = try #require(h.takeSent().last)
        #expect(dupAck.ack == Self.irs(2) + 1 && dupAck.sack.isEmpty)
    }

    @Test("data and a FIN on the cookie ACK are delivered")
    func dataOnCookieACK() throws {
        var h = Self.fullListener()
        let cookie = try #require(Self.syn(&h, 2, at: 0.1)).seg.seq
        h.send(Seg([.ack, .psh, .fin], seq: Self.irs(2) + 1, ack: cookie + 1, payload: bytes("GET /\r\n")), at: 0.2, from: Self.client(2))
        h.conn = try h.stack.accept(h.listener!)
        #expect(h.stateChanges() == ["LISTEN -> ESTABLISHED", "ESTABLISHED -> CLOSE-WAIT"])
        #expect(h.read() == bytes("GET /\r\n"))
        let ack = try #require(h.outbox.first { $0.destination == Self.client(2) })
        #expect(ack.seg.ack == Self.irs(2) + 1 + 7 + 1, "the data and the FIN acknowledged")
        #expect(h.read() == nil, "end of stream")
    }

    @Test("a valid cookie ACK that finds the accept queue full is dropped without state; a later one succeeds")
    func acceptQueueFullOnACK() throws {
        var h = Self.fullListener()
        let cookie = try #require(Self.syn(&h, 2, at: 0.1)).seg.seq
        h.send(Seg(.ack, seq: Self.irs(1) + 1, ack: try #require(h.info(ofLastHalfOpen: ())).iss + 1), at: 0.15, from: Self.client(1))
        #expect(h.stack.connectionCount == 1)   // client 1, waiting for accept()
        h.send(Seg(.ack, seq: Self.irs(2) + 1, ack: cookie + 1), at: 0.2, from: Self.client(2))
        h.expectNothingSent()
        #expect(h.drops(.acceptQueueFull) == 1)
        #expect(h.stack.connectionCount == 1)
        #expect(h.stack.statistics.synCookiesValid == 1 && h.stack.statistics.synCookiesInvalid == 0)
        _ = try h.stack.accept(h.listener!)
        h.send(Seg([.ack, .psh], seq: Self.irs(2) + 1, ack: cookie + 1, payload: bytes("x")), at: 0.4, from: Self.client(2))
        #expect(h.stack.connectionCount == 2)
        h.conn = try h.stack.accept(h.listener!)
        #expect(h.read() == bytes("x"))
    }

    // MARK: Cookies that fail

    @Test("a forged cookie is answered with RST, traced and counted", arguments: ForgedCase.allCases)
    func forged(_ forgery: ForgedCase) throws {
        var h = Self.fullListener()
        let cookie = try #require(Self.syn(&h, 2, at: 0.1)).seg.seq
        var from = Self.client(2), seq = Self.irs(2) + 1, ack = cookie + 1
        switch forgery {
        case .hashBit: ack = SequenceNumber(ack.rawValue ^ 0x0000_0100)
        case .mssIndex: ack = SequenceNumber(ack.rawValue ^ 0x0100_0000)
        case .otherPort: from = Self.client(3)
        case .otherISN: seq = seq + 1
        case .guess: ack = SequenceNumber(0x1234_5678)
        }
        h.send(Seg(.ack, seq: seq, ack: ack), at: 0.2, from: from)
        // RFC 9293 §3.10.7.2: <SEQ=SEG.ACK><CTL=RST>.
        let rst = try #require(h.outbox.first)
        #expect(rst.seg == Seg(.rst, seq: ack, window: 0) && rst.destination == from)
        #expect(h.drops(.synCookieInvalid) == 1 && h.drops(.listenACK) == 0)
        #expect(h.dropLog.last == .synCookieInvalid)
        #expect(h.stack.statistics.synCookiesInvalid == 1 && h.stack.statistics.synCookiesValid == 0)
        #expect(h.stack.connectionCount == 1)
    }

    enum ForgedCase: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case hashBit, mssIndex, otherPort, otherISN, guess
        var testDescription: String { rawValue }
    }

    @Test("a cookie is valid for one more period of 64 s after its own, then expires")
    func staleCookie() throws {
        var h = Harness.listen(Self.config(.always), backlog: 8)
        let early = try #require(Self.syn(&h, 2, at: 10)).seg.seq     // period 0
        let late = try #require(Self.syn(&h, 3, at: 63.9)).seg.seq    // period 0 too
        _ = Self.syn(&h, 4, at: 100)                                 // cookies stay recent
        h.send(Seg(.ack, seq: Self.irs(3) + 1, ack: late + 1), at: 127.9, from: Self.client(3))   // period 1: accepted
        #expect(h.stack.connectionCount == 1 && h.stack.statistics.synCookiesValid == 1)
        h.send(Seg(.ack, seq: Self.irs(2) + 1, ack: early + 1), at: 128.0, from: Self.client(2))  // period 2: too old
        #expect(h.takeSent() == [Seg(.rst, seq: early + 1, window: 0)])
        #expect(h.drops(.synCookieExpired) == 1 && h.stack.statistics.synCookiesInvalid == 1)
        #expect(h.stack.connectionCount == 1)
    }

    @Test("without a recent cookie an ACK in LISTEN is the ordinary case: RST, listen-ack")
    func noRecentCookie() throws {
        var h = Harness.listen(Self.config(.always), backlog: 8)
        let cookie = try #require(Self.syn(&h, 2, at: 0)).seg.seq
        h.send(Seg(.ack, seq: Self.irs(2) + 1, ack: cookie + 1), at: 200, from: Self.client(2))
        #expect(h.takeSent() == [Seg(.rst, seq: cookie + 1, window: 0)])
        #expect(h.drops(.listenACK) == 1 && h.stack.statistics.synCookiesInvalid == 0)
        // A listener that never sent one checks nothing either.
        var fresh = Harness.listen(Self.config(.always), backlog: 8)
        fresh.send(Seg(.ack, seq: 1, ack: 1), at: 0, from: Self.client(2))
        #expect(fresh.drops(.listenACK) == 1)
    }

    @Test("the key comes from the injected generator: another seed, other cookies, and one stack's cookie fails at another")
    func keyFromSeed() throws {
        func cookie(seed: UInt64) -> SequenceNumber {
            var h = Harness(configuration: Self.config(.always), seed: seed)
            h.listener = try! h.stack.listen(port: ourPort)
            return Self.syn(&h, 2, at: 0)!.seg.seq
        }
        #expect(cookie(seed: 1) == cookie(seed: 1))
        #expect(cookie(seed: 1) != cookie(seed: 2))
        var other = Harness(configuration: Self.config(.always), seed: 2)
        other.listener = try other.stack.listen(port: ourPort)
        _ = Self.syn(&other, 3, at: 0)
        other.send(Seg(.ack, seq: Self.irs(2) + 1, ack: cookie(seed: 1) + 1), at: 0.1, from: Self.client(2))
        #expect(other.drops(.synCookieInvalid) == 1 && other.stack.connectionCount == 0)
    }

    // MARK: The secret rotates

    @Test("a cookie made just before a rotation checks after it, under the previous secret", arguments: [1, 2, 3])
    func cookieAcrossOneRotation(periodsPerSecret n: Int) throws {
        var h = Harness.listen(Self.config(.always, rekey: .seconds(64 * n)), backlog: 8)
        let boundary = Double(64 * n)
        let cookie = try #require(Self.syn(&h, 2, at: boundary - 0.1)).seg.seq      // period n − 1, epoch 0
        let signer = h.stack.synCookies.current
        #expect(h.stack.synCookies.epoch == 0)
        // The last moment of its lifetime: one period after its own, and one epoch later.
        h.send(Seg(.ack, seq: Self.irs(2) + 1, ack: cookie + 1), at: boundary + 63.9, from: Self.client(2))
        #expect(h.stack.synCookies.epoch == 1, "the secret rotated at \(boundary) s")
        #expect(h.stack.synCookies.current != signer && h.stack.synCookies.previous == signer)
        #expect(h.stack.statistics.synCookiesValid == 1 && h.stack.statistics.synCookiesInvalid == 0)
        h.conn = try h.stack.accept(h.listener!)
        #expect(h.state == .established && h.info.iss == cookie)
        // A SYN now is signed with the new secret, and its cookie checks too.
        let fresh = try #require(Self.syn(&h, 3, at: boundary + 64)).seg.seq
        h.send(Seg(.ack, seq: Self.irs(3) + 1, ack: fresh + 1), at: boundary + 64.1, from: Self.client(3))
        #expect(h.stack.statistics.synCookiesValid == 2 && h.stack.connectionCount == 2)
    }

    @Test("two rotations later a cookie is worthless: its secret is gone, so it fails as invalid, not expired")
    func cookieUselessAfterTwoRotations() throws {
        var h = Harness.listen(Self.config(.always), backlog: 8)     // rotation every 128 s
        let a = try #require(Self.syn(&h, 2, at: 10)).seg.seq        // period 0, epoch 0
        let b = try #require(Self.syn(&h, 3, at: 10)).seg.seq
        _ = Self.syn(&h, 9, at: 120)                                 // cookies stay recent
        // 130 s: period 2, epoch 1. Too old, but epoch 0's secret is still kept: the listener can
        // tell it is one of its own, expired.
        h.send(Seg(.ack, seq: Self.irs(2) + 1, ack: a + 1), at: 130, from: Self.client(2))
        #expect(h.takeSent() == [Seg(.rst, seq: a + 1, window: 0)])
        #expect(h.drops(.synCookieExpired) == 1 && h.drops(.synCookieInvalid) == 0)
        _ = Self.syn(&h, 9, at: 250)
        // 260 s: period 4, epoch 2. Epoch 0's secret was retired at 256 s; nothing can vouch for
        // the cookie any more (with one secret for ever this was `expired`, its hash still right).
        h.send(Seg(.ack, seq: Self.irs(3) + 1, ack: b + 1), at: 260, from: Self.client(3))
        #expect(h.takeSent() == [Seg(.rst, seq: b + 1, window: 0)])
        #expect(h.drops(.synCookieInvalid) == 1 && h.drops(.synCookieExpired) == 1)
        #expect(h.stack.statistics.synCookiesInvalid == 2 && h.stack.statistics.synCookiesValid == 0)
        #expect(h.stack.connectionCount == 0)
        #expect(h.stack.synCookies.epoch == 2)
    }

    @Test("the same four-tuple, ISN, counter and MSS are signed differently once the secret has rotated")
    func rotationChangesTheSignature() throws {
        var codec = SYNCookieCodec(secretSource: StackRandom(seed: 42), rekeyInterval: .seconds(128))
        let local = SocketAddress(ourIP, ourPort), remote = Self.client(2)
        func sign(_ secret: SYNCookieCodec.Secret) -> UInt32 {
            SYNCookieCodec.hash(secret, local: local, remote: remote, irs: Self.irs(2), counter: 1, mssIndex: 6)
        }
        let first = try #require(codec.secret(forCounter: 1))
        let before = sign(first)
        codec.rotate(toCounter: 2)                                   // epoch 1
        #expect(codec.secret(forCounter: 1) == first, "kept as the previous secret")
        #expect(sign(codec.current) != before)
        codec.rotate(toCounter: 4)                                   // epoch 2
        #expect(codec.secret(forCounter: 1) == nil, "retired")
        #expect(sign(codec.current) != before && sign(codec.previous) != before)
        #expect(codec.current != first && codec.previous != first)

        // Through the stack: one seed, one SYN at one time. A stack that rotates and one whose
        // secret never changes in this test give the same cookie in epoch 0 and different ones
        // after the rotations.
        func cookie(at t: Double, rekey: Duration) -> SequenceNumber {
            var h = Harness.listen(Self.config(.always, rekey: rekey), backlog: 8)
            return Self.syn(&h, 2, at: t)!.seg.seq
        }
        let never = Duration.seconds(1_000_000)
        #expect(cookie(at: 10, rekey: .seconds(128)) == cookie(at: 10, rekey: never))
        #expect(cookie(at: 300, rekey: .seconds(128)) != cookie(at: 300, rekey: never))
    }

    @Test("rotation is deterministic: one seed, one sequence of SYNs, the same cookies; and it draws nothing from the stack's other randomness")
    func rotationDeterministic() throws {
        let times: [Double] = [0, 100, 130, 300, 301, 700, 5000, 5000.5, 5129]
        func run(seed: UInt64, syns: Bool) -> (cookies: [UInt32], port: UInt16) {
            var h = Harness(configuration: Self.config(.always), seed: seed)
            h.listener = try! h.stack.listen(port: ourPort, backlog: 8)
            var cookies: [UInt32] = []
            if syns { for (k, t) in times.enumerated() { cookies.append(Self.syn(&h, k % 3, at: t)!.seg.seq.rawValue) } }
            h.advance(to: 6000)
            let c = try! h.stack.connect(to: Self.client(7), now: h.now)
            return (cookies, h.stack.info(of: c)!.local.port)
        }
        let one = run(seed: 7, syns: true)
        #expect(one.cookies.count == times.count)
        #expect(run(seed: 7, syns: true) == one)
        let other = run(seed: 8, syns: true)
        #expect(other.cookies != one.cookies)
        #expect(zip(other.cookies, one.cookies).allSatisfy { $0 != $1 }, "every epoch's secret differs between seeds")
        // The rotations drew secrets, yet the ephemeral port is the one the seed gives without them.
        #expect(run(seed: 7, syns: false).port == one.port)
    }

    @Test("for every phase of a rotation: valid within a cookie's lifetime, expired while its secret is kept, invalid after",
          arguments: [1, 2, 3], [false, true])
    func everyPhase(periodsPerSecret n: Int, stepwise: Bool) {
        let local = SocketAddress(ourIP, ourPort), remote = Self.client(2)
        let n64 = Int64(n)
        for issued in Int64(0)..<(3 * n64) {
            for age in Int64(0)..<(4 * n64 + 2) {
                var codec = SYNCookieCodec(secretSource: StackRandom(seed: 99), rekeyInterval: .seconds(64 * n))
                let at = { (period: Int64) in Instant(nanoseconds: period * SYNCookieCodec.periodNanoseconds + 1_000_000_000) }
                let cookie = codec.cookie(local: local, remote: remote, irs: Self.irs(2), mssIndex: 3, now: at(issued))
                if stepwise { for p in issued..<(issued + age) { codec.rotate(toCounter: p) } }
                let result = codec.check(cookie, local: local, remote: remote, irs: Self.irs(2), now: at(issued + age))
                // Its secret is kept while its epoch is now's or the one before.
                let kept = issued / n64 >= (issued + age) / n64 - 1
                let expected: SYNCookieCodec.Check = age <= SYNCookieCodec.maxAgePeriods ? .valid(mssIndex: 3) : kept ? .expired : .invalid
                #expect(result == expected, "issued in period \(issued), checked \(age) later")
                // The same cookie for another four-tuple never passes.
                #expect(codec.check(cookie, local: local, remote: Self.client(3), irs: Self.irs(2), now: at(issued + age)) == .invalid)
            }
        }
    }

    @Test("the rotation interval is rounded up to whole 64-second periods, at least one", arguments: [
        (Duration.zero, Int64(1)), (.seconds(-5), 1), (.milliseconds(1), 1), (.seconds(64), 1), (.milliseconds(64_001), 2),
        (.seconds(128), 2), (.seconds(129), 3), (.seconds(3600), 57),
    ])
    func rekeyIntervalRounding(interval: Duration, periods: Int64) {
        #expect(SYNCookieCodec.periods(rekeyInterval: interval) == periods)
        #expect(SYNCookieCodec(secretSource: StackRandom(seed: 1), rekeyInterval: interval).periodsPerSecret == periods)
    }

    // MARK: The usual checks still apply

    @Test("RST and SYN,ACK to a listener that sends cookies: ignored, and RST as before")
    func listenRulesUnchanged() throws {
        var h = Harness.listen(Self.config(.always), backlog: 8)
        let cookie = try #require(Self.syn(&h, 2, at: 0)).seg.seq
        h.send(Seg([.rst, .ack], seq: Self.irs(2) + 1, ack: cookie + 1), at: 0.01, from: Self.client(2))
        h.expectNothingSent()
        #expect(h.drops(.listenRST) == 1)
        h.send(Seg([.syn, .ack], seq: Self.irs(2), ack: cookie + 1), at: 0.02, from: Self.client(2))
        #expect(h.takeSent() == [Seg(.rst, seq: cookie + 1, window: 0)])
        #expect(h.drops(.listenACK) == 1 && h.stack.connectionCount == 0)
        #expect(h.stack.statistics.synCookiesValid == 0 && h.stack.statistics.synCookiesInvalid == 0)
    }

    @Test("RFC 5961 on a connection made from a cookie: an in-window RST off RCV.NXT draws a challenge ACK")
    func rfc5961OnCookieConnection() throws {
        var h = Harness.listen(Self.config(.always), backlog: 8)
        let cookie = try #require(Self.syn(&h, 2, at: 0)).seg.seq
        h.send(Seg(.ack, seq: Self.irs(2) + 1, ack: cookie + 1), at: 0.01, from: Self.client(2))
        h.conn = try h.stack.accept(h.listener!)
        h.send(Seg(.rst, seq: Self.irs(2) + 10), at: 0.02, from: Self.client(2))
        #expect(h.takeSent() == [Seg(.ack, seq: cookie + 1, ack: Self.irs(2) + 1)])
        #expect(h.drops(.rstChallenged) == 1 && h.state == .established)
        h.send(Seg(.syn, seq: Self.irs(2) + 5), at: 0.03, from: Self.client(2))
        #expect(h.takeSent() == [Seg(.ack, seq: cookie + 1, ack: Self.irs(2) + 1)])
        #expect(h.drops(.synChallenged) == 1 && h.state == .established)
    }
}

extension Harness {
    /// The info of the connection that last entered SYN-RECEIVED.
    func info(ofLastHalfOpen: Void) -> ConnectionInfo? { lastHalfOpen.flatMap { stack.info(of: $0) } }
}
