// SYN cookies (RFC 4987 §3.6): a listener whose half-open queue is full (or every listener, in
// `.always` mode) answers a SYN with a SYN-ACK whose ISN is a cookie and keeps nothing; the
// handshake's ACK returns the cookie (SEG.ACK − 1), which the listener checks — its time counter
// recent, its keyed hash right for the four-tuple and the peer's ISN — before making the
// connection, ESTABLISHED at once, with the MSS the cookie names and, when timestamps carried
// them in our TSval's low bits, window scaling and SACK. An ACK whose cookie fails is counted,
// traced and answered with RST, as any ACK in LISTEN (RFC 9293 §3.10.7.2).

import Testing
import TCPWire
import TCPCore

@Suite("SYN cookies")
struct SYNCookieTests {
    static func client(_ n: Int, ipv6: Bool = false) -> SocketAddress { SocketAddress(ipv6 ? peerIP6 : peerIP, UInt16(50000 + n)) }
    static func irs(_ n: Int) -> SequenceNumber { SequenceNumber(UInt32(n) * 1_000_000) }
    static func config(_ mode: SYNCookieMode = .whenQueueFull) -> TCPConfiguration { Harness.configuration { $0.synCookies = mode } }

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
        h.conn = try #require(try h.stack.accept(h.listener!))
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
        h.conn = try #require(try h.stack.accept(h.listener!))
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
        h.conn = try #require(try h.stack.accept(h.listener!))
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
        h.conn = try #require(try h.stack.accept(h.listener!))
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
        h.conn = try #require(try h.stack.accept(h.listener!))
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
        h.conn = try #require(try h.stack.accept(h.listener!))
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
        _ = try #require(try h.stack.accept(h.listener!))
        h.send(Seg([.ack, .psh], seq: Self.irs(2) + 1, ack: cookie + 1, payload: bytes("x")), at: 0.4, from: Self.client(2))
        #expect(h.stack.connectionCount == 2)
        h.conn = try #require(try h.stack.accept(h.listener!))
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
        h.conn = try #require(try h.stack.accept(h.listener!))
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
