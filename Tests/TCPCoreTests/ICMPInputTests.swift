// ICMP input (RFC 9293 §3.9.2.2, RFC 1122 §4.2.3.9, RFC 5927 §4.1), classic path MTU discovery
// (RFC 1191, RFC 8201) and soft errors with the R1 threshold (RFC 9293 §3.8.3). The test plays
// the peer and a router between: the ICMP messages quote segments the stack could have sent.

import Testing
import TCPWire
import TCPCore

let routerIP = IPAddress.v4(IPv4Address(10, 0, 0, 254))
let routerIP6 = IPAddress("fd00::fe")!

extension Harness {
    /// An ICMP error from a router, quoting a segment from us to the peer with sequence number
    /// `seq` (an IP header and 8 bytes of TCP by default; ICMPv6 quotes as much as fits).
    func icmp(type: UInt8, code: UInt8, rest: UInt32 = 0, quotedSeq seq: SequenceNumber, payload: Int = 0,
              from router: IPAddress? = nil, quotedSource: SocketAddress? = nil) -> [UInt8] {
        let quoted = Seg(.ack, seq: seq, ack: irs + 1, payload: [UInt8](repeating: 7, count: payload))
            .packet(from: quotedSource ?? ours, to: peer)
        return ICMPMessage.build(type: type, code: code, rest: rest,
                                 from: router ?? (ours.address.isIPv6 ? routerIP6 : routerIP), quoting: quoted)
    }

    /// The peer's data ACK.
    mutating func ackData(_ upTo: SequenceNumber, at t: Double) {
        send(Seg(.ack, seq: irs + 1, ack: upTo), at: t)
    }
}

@Suite("ICMP input")
struct ICMPInputTests {
    // MARK: Hard errors (SHLD-26)

    @Test("Destination Unreachable codes 2 and 3 (IPv6: code 4) abort an established connection with a typed error, no RST",
          arguments: [(false, UInt8(3), UInt8(2), NetworkError.protocolUnreachable), (false, 3, 3, .portUnreachable),
                      (true, 1, 4, .portUnreachable)])
    func hardErrorAborts(_ ipv6: Bool, _ type: UInt8, _ code: UInt8, _ expected: NetworkError) {
        var h = Harness.established(ipv6: ipv6)
        h.send(packet: h.icmp(type: type, code: code, quotedSeq: h.iss + 1), at: 0.1)
        #expect(h.state == .closed)
        #expect(h.info.error == .unreachable(expected))
        #expect(h.pollEvents() == [.reset(h.conn, .unreachable)])
        #expect(h.stack.statistics.icmpHardErrors == 1)
        h.expectNothingSent()
        #expect(throws: TCPError.unreachable(expected)) { _ = try h.stack.send(h.conn, [1, 2, 3], now: h.now) }
    }

    @Test("SYN-SENT: port unreachable fails the connect with TCPError.unreachable(.portUnreachable)", arguments: [false, true])
    func hardErrorFailsConnect(_ ipv6: Bool) {
        var h = Harness.synSent(ipv6: ipv6)
        h.send(packet: h.icmp(type: ipv6 ? 1 : 3, code: ipv6 ? 4 : 3, quotedSeq: h.iss), at: 0.2)
        #expect(h.state == .closed)
        #expect(h.info.error == .unreachable(.portUnreachable))
        #expect(h.pollEvents() == [.reset(h.conn, .unreachable)])
        // No SYN retransmission follows.
        h.advance(to: 10)
        h.expectNothingSent()
    }

    // MARK: Soft errors (MUST-56, SHLD-25, MUST-47)

    @Test("Destination Unreachable 0, 1, 5, Time Exceeded and Parameter Problem never abort; each is a soft error reported and kept for SO_ERROR",
          arguments: [(false, UInt8(3), UInt8(0), NetworkError.networkUnreachable), (false, 3, 1, .hostUnreachable),
                      (false, 3, 5, .sourceRouteFailed), (false, 3, 13, .administrativelyProhibited),
                      (false, 11, 0, .timeExceeded), (false, 12, 0, .parameterProblem),
                      (true, 1, 0, .networkUnreachable), (true, 1, 3, .hostUnreachable), (true, 1, 1, .administrativelyProhibited),
                      (true, 3, 0, .timeExceeded), (true, 4, 0, .parameterProblem)])
    func softErrorsDoNotAbort(_ ipv6: Bool, _ type: UInt8, _ code: UInt8, _ expected: NetworkError) throws {
        var h = Harness.established(ipv6: ipv6)
        h.write(bytes("hello"), at: 0.1)
        #expect(h.takeSent().count == 1)
        h.send(packet: h.icmp(type: type, code: code, quotedSeq: h.iss + 1), at: 0.2)
        #expect(h.state == .established)
        #expect(h.info.error == nil)
        #expect(h.pollEvents() == [.softError(h.conn, expected)])
        #expect(h.info.softError == expected)
        #expect(h.stack.statistics.icmpSoftErrors == 1)
        // SO_ERROR reads and clears it.
        #expect(try h.stack.takeSoftError(h.conn) == expected)
        #expect(try h.stack.takeSoftError(h.conn) == nil)
        // The connection goes on: the data is still acknowledged and more can be sent.
        h.ackData(h.iss + 6, at: 0.3)
        #expect(h.info.sndUna == h.iss + 6)
        h.write(bytes("more"), at: 0.4)
        #expect(h.takeSent().map(\.payload) == [bytes("more")])
    }

    @Test("SYN-SENT: host unreachable does not fail the connect (MUST-56); the SYN goes on and the handshake completes")
    func softErrorInSynSent() {
        var h = Harness.synSent()
        h.send(packet: h.icmp(type: 3, code: 1, quotedSeq: h.iss), at: 0.2)
        #expect(h.state == .synSent)
        #expect(h.pollEvents() == [.softError(h.conn, .hostUnreachable)])
        h.advance(to: 1.0)
        #expect(h.takeSent().map(\.flags) == [.syn])
        h.send(Seg([.syn, .ack], seq: h.irs, ack: h.iss + 1, mss: 1460), at: 1.1)
        #expect(h.state == .established)
    }

    @Test("reporting soft errors can be turned off per connection (SHLD-20): no event, SO_ERROR still has it")
    func softErrorReportingOff() throws {
        var h = Harness.established()
        var o = h.stack.options(of: h.conn)!
        o.reportSoftErrors = false
        try h.stack.setOptions(h.conn, o, now: h.now)
        h.send(packet: h.icmp(type: 3, code: 0, quotedSeq: h.iss + 1), at: 0.2)
        #expect(h.pollEvents() == [])
        #expect(try h.stack.takeSoftError(h.conn) == .networkUnreachable)
        #expect(h.state == .established)
    }

    @Test("Source Quench is discarded silently and counted (MUST-55)")
    func sourceQuench() {
        var h = Harness.established()
        h.write(bytes("hello"), at: 0.1)
        _ = h.takeSent()
        let cwnd = h.info.cwnd
        h.send(packet: h.icmp(type: 4, code: 0, quotedSeq: h.iss + 1), at: 0.2)
        #expect(h.drops(.icmpSourceQuench) == 1)
        #expect(h.pollEvents() == [])
        #expect(h.info.cwnd == cwnd)
        #expect(h.info.softError == nil)
        h.expectNothingSent()
    }

    // MARK: RFC 5927 §4.1: the quoted sequence number

    @Test("only a quoted SEQ within SND.UNA...SND.NXT is acted on; outside it is a counted drop and the connection is untouched",
          arguments: [(-1, false), (0, true), (5, true), (6, false), (100_000, false)])
    func quotedSequenceWindow(_ offset: Int, _ acted: Bool) {
        var h = Harness.established()
        h.write(bytes("hello"), at: 0.1)   // SND.UNA = iss+1, SND.NXT = iss+6
        _ = h.takeSent()
        h.send(packet: h.icmp(type: 3, code: 3, quotedSeq: h.iss + 1 + offset), at: 0.2)
        // SND.NXT itself is inside (RFC 5927 §4.1; Linux's between(seq, snd_una, snd_nxt)).
        #expect(h.state == (acted ? .closed : .established))
        #expect(h.drops(.icmpOutOfWindow) == (acted ? 0 : 1))
        if !acted {
            #expect(h.dropLog.last == .icmpOutOfWindow)
            #expect(h.pollEvents() == [])
        }
    }

    @Test("one past SND.NXT, and SND.UNA - 1 after data was acknowledged, are out of window")
    func windowEdges() {
        var h = Harness.established()
        h.write(bytes("hello"), at: 0.1)
        _ = h.takeSent()
        h.ackData(h.iss + 6, at: 0.2)
        h.send(packet: h.icmp(type: 3, code: 3, quotedSeq: h.iss + 1), at: 0.3)   // already acknowledged
        h.send(packet: h.icmp(type: 3, code: 3, quotedSeq: h.iss + 7), at: 0.3)   // never sent
        #expect(h.drops(.icmpOutOfWindow) == 2)
        #expect(h.state == .established)
        // A forged Packet Too Big out of window does not shrink the MSS either.
        h.send(packet: h.icmp(type: 3, code: 4, rest: 600, quotedSeq: h.iss + 100), at: 0.4)
        #expect(h.info.sendMSS == 1460)
        #expect(h.drops(.icmpOutOfWindow) == 3)
    }

    @Test("a message quoting no connection of ours, or one in TIME-WAIT, is a counted drop")
    func noConnection() {
        var h = Harness.established()
        let other = SocketAddress(ourIP, 8080)
        h.send(packet: h.icmp(type: 3, code: 3, quotedSeq: h.iss + 1, quotedSource: other), at: 0.1)
        #expect(h.drops(.icmpNoConnection) == 1)
        #expect(h.state == .established)
        var t = Harness.timeWait()
        t.send(packet: t.icmp(type: 3, code: 3, quotedSeq: t.iss + 2), at: 1)
        #expect(t.drops(.icmpNoConnection) == 1)
        #expect(t.state == .timeWait)
    }

    @Test("malformed ICMP is a typed, counted drop: bad checksum, truncated quote, quote of another protocol, an echo request")
    func malformed() {
        var h = Harness.established()
        var bad = h.icmp(type: 3, code: 3, quotedSeq: h.iss + 1)
        bad[bad.count - 1] ^= 0xff
        h.send(packet: bad, at: 0.1)
        #expect(h.drops(.badChecksum) == 1)
        #expect(h.stack.statistics.malformed[.badICMPChecksum] == 1)

        let full = Seg(.ack, seq: h.iss + 1).packet(from: h.ours, to: h.peer)
        h.send(packet: ICMPMessage.build(type: 3, code: 3, from: routerIP, quoting: full, quoteLength: 24), at: 0.2)
        #expect(h.stack.statistics.malformed[.truncated(layer: .icmpQuote, needed: 28, available: 24)] == 1)
        var udp = full
        udp[9] = 17
        h.send(packet: ICMPMessage.build(type: 3, code: 3, from: routerIP, quoting: udp), at: 0.3)
        #expect(h.stack.statistics.malformed[.notTCP(17)] == 1)
        #expect(h.drops(.malformed) == 2)

        h.send(packet: ICMPMessage.build(type: 8, code: 0, from: routerIP, quoting: full), at: 0.4)
        #expect(h.drops(.icmpNotError) == 1)
        #expect(h.state == .established)
        #expect(h.stack.statistics.icmpHardErrors == 0)
    }

    // MARK: Path MTU discovery (SHLD-6)

    /// Established; 4 full segments of 1460 in flight (5840 bytes written at 0.1 s).
    static func inFlight(_ configuration: TCPConfiguration = Harness.configuration(), ipv6: Bool = false) -> (Harness, [UInt8]) {
        var h = ipv6 ? MSSTests.established(peerMSS: 1440, configuration, ipv6: true) : Harness.established(configuration)
        let data = (0..<(4 * h.info.sendMSS)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        h.write(data, at: 0.1)
        #expect(h.takeSent().map(\.payload.count) == [Int](repeating: h.info.sendMSS, count: 4))
        return (h, data)
    }

    @Test("Fragmentation Needed lowers the send MSS and resends what is in flight at once at the new size, cwnd and ssthresh unchanged")
    func fragmentationNeeded() {
        var (h, data) = Self.inFlight()
        let (cwnd, ssthresh) = (h.info.cwnd, h.info.ssthresh)
        h.send(packet: h.icmp(type: 3, code: 4, rest: 1280, quotedSeq: h.iss + 1, payload: 1460), at: 0.2)
        #expect(h.info.sendMSS == 1280 - 40)
        #expect(h.stack.statistics.pathMTUReductions == 1)
        #expect(h.info.cwnd == cwnd && h.info.ssthresh == ssthresh)
        #expect(h.state == .established && h.pollEvents() == [])
        // At once (no timer): everything from SND.UNA again, in segments of at most 1240.
        let resent = h.takeSent()
        #expect(resent.first?.seq == h.iss + 1)
        #expect(resent.allSatisfy { $0.payload.count <= 1240 })
        #expect(resent.flatMap(\.payload) == data)
        #expect(resent.map(\.payload.count).max() == 1240)
        // The stack's cache has it for the destination.
        #expect(h.stack.pathMTU(to: peerIP, now: h.now) == 1280)
        // New data goes at the new size too.
        h.ackData(h.iss + 1 + data.count, at: 0.3)
        h.write([UInt8](repeating: 1, count: 3000), at: 0.4)
        #expect(h.takeSent().map(\.payload.count) == [1240, 1240, 520])
    }

    @Test("ICMPv6 Packet Too Big lowers the MSS; never below IPv6's 1280 (RFC 8201 §4)", arguments: [(1400, 1400 - 60), (1000, 1280 - 60)])
    func packetTooBig(_ mtu: Int, _ mss: Int) {
        var (h, _) = Self.inFlight(ipv6: true)
        h.send(packet: h.icmp(type: 2, code: 0, rest: UInt32(mtu), quotedSeq: h.iss + 1, payload: 1440), at: 0.2)
        #expect(h.info.sendMSS == mss)
        let resent = h.takeSent()
        #expect(!resent.isEmpty && resent.allSatisfy { $0.payload.count <= mss })
    }

    @Test("IPv4: the path MTU never goes below the configured floor (552, Linux's min_pmtu)", arguments: [(100, 552), (576, 576)])
    func ipv4Floor(_ reported: Int, _ expected: Int) {
        var (h, _) = Self.inFlight()
        h.send(packet: h.icmp(type: 3, code: 4, rest: UInt32(reported), quotedSeq: h.iss + 1, payload: 1460), at: 0.2)
        #expect(h.info.sendMSS == expected - 40)
        #expect(h.stack.pathMTU(to: peerIP, now: h.now) == expected)
    }

    @Test("a router that leaves the next-hop MTU zero: RFC 1191 §5's plateau below the quoted length (1500 -> 1492)")
    func plateau() {
        var (h, _) = Self.inFlight()
        h.send(packet: h.icmp(type: 3, code: 4, rest: 0, quotedSeq: h.iss + 1, payload: 1460), at: 0.2)
        #expect(h.info.sendMSS == 1492 - 40)
    }

    @Test("an MTU not below the segment size in use changes nothing (a counted drop)")
    func notSmaller() {
        var (h, _) = Self.inFlight()
        h.send(packet: h.icmp(type: 3, code: 4, rest: 1500, quotedSeq: h.iss + 1, payload: 1460), at: 0.2)
        #expect(h.info.sendMSS == 1460)
        #expect(h.drops(.icmpMTUNotSmaller) == 1)
        h.expectNothingSent()
    }

    @Test("with SACK, the resend comes from the scoreboard, split to the new MSS")
    func sackScoreboard() {
        var h = Harness.listen()
        h.send(Seg(.syn, seq: h.irs, mss: 1460, sackOK: true), at: 0)
        h.iss = h.takeSent()[0].seq
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0)
        h.conn = try! h.stack.accept(h.listener!)
        let data = (0..<(4 * 1460)).map { UInt8(truncatingIfNeeded: $0 &* 3) }
        h.write(data, at: 0.1)
        #expect(h.takeSent().count == 4)
        // The peer SACKs the third segment: it is not resent.
        let third = h.iss + 1 + 2 * 1460
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, sack: [SACKBlock(left: third, right: third + 1460)]), at: 0.15)
        _ = h.takeSent()
        h.send(packet: h.icmp(type: 3, code: 4, rest: 1006, quotedSeq: h.iss + 1, payload: 1460), at: 0.2)
        #expect(h.info.sendMSS == 1006 - 40)
        let resent = h.takeSent()
        #expect(resent.allSatisfy { $0.payload.count <= 966 })
        #expect(!resent.contains { $0.seq >= third && $0.seq < third + 1460 })
        #expect(resent.reduce(0) { $0 + $1.payload.count } == 3 * 1460)
    }

    @Test("new connections to the destination start at the cached path MTU; after 10 minutes it expires (RFC 1191 §6.3)")
    func cache() {
        var (h, _) = Self.inFlight()
        h.send(packet: h.icmp(type: 3, code: 4, rest: 1280, quotedSeq: h.iss + 1, payload: 1460), at: 0.2)
        // A second connection to the same peer: its SYN-ACK offers 1460, the cache says 1280.
        func open(_ h: inout Harness, port: UInt16, at t: Double) -> Int {
            h.advance(to: t)
            let c = try! h.stack.connect(to: h.peer, localPort: port, now: h.now)
            h.drain()
            let syn = h.outbox.last { $0.seg.flags == .syn }!
            h.outbox.removeAll()
            h.stack.handle(ipPacket: Seg([.syn, .ack], seq: SequenceNumber(5), ack: syn.seg.seq + 1, mss: 1460)
                .packet(from: h.peer, to: syn.source), now: h.now)
            h.drain()
            h.outbox.removeAll()
            return h.stack.info(of: c)!.sendMSS
        }
        #expect(open(&h, port: 81, at: 1) == 1240)
        #expect(h.stack.pathMTU(to: peerIP, now: h.now) == 1280)
        // Another destination is not affected.
        #expect(h.stack.pathMTU(to: .v4(IPv4Address(10, 0, 0, 3)), now: h.now) == nil)
        // 600 s after the message, the estimate is gone.
        #expect(h.stack.pathMTU(to: peerIP, now: seconds(600.1)) == 1280)
        #expect(h.stack.pathMTU(to: peerIP, now: seconds(600.3)) == nil)
        #expect(open(&h, port: 82, at: 601) == 1460)
    }

    @Test("the cache is bounded: the entry expiring first gives way")
    func cacheBounded() {
        var h = Harness.established(Harness.configuration { $0.pathMTUCacheSize = 2 })
        // Three destinations' messages arrive; connections to each are needed for the message to count.
        var ids: [ConnectionID] = []
        for (k, t) in [(3, 1.0), (4, 2.0), (5, 3.0)] {
            h.advance(to: t)
            let remote = SocketAddress(.v4(IPv4Address(10, 0, 0, UInt8(k))), 443)
            let c = try! h.stack.connect(to: remote, localPort: UInt16(1000 + k), now: h.now)
            h.drain()
            let syn = h.outbox.last { $0.seg.flags == .syn }!
            h.outbox.removeAll()
            h.stack.handle(ipPacket: Seg([.syn, .ack], seq: SequenceNumber(5), ack: syn.seg.seq + 1, mss: 1460)
                .packet(from: remote, to: syn.source), now: h.now)
            _ = try! h.stack.send(c, [UInt8](repeating: 0, count: 3000), now: h.now)
            h.drain()
            h.outbox.removeAll()
            let quoted = Seg(.ack, seq: syn.seg.seq + 1).packet(from: syn.source, to: remote)
            h.stack.handle(ipPacket: ICMPMessage.build(type: 3, code: 4, rest: 1400, from: routerIP, quoting: quoted), now: h.now)
            ids.append(c)
        }
        #expect(h.stack.statistics.pathMTUReductions == 3)
        #expect(h.stack.pathMTU(to: .v4(IPv4Address(10, 0, 0, 3)), now: h.now) == nil)
        #expect(h.stack.pathMTU(to: .v4(IPv4Address(10, 0, 0, 4)), now: h.now) == 1400)
        #expect(h.stack.pathMTU(to: .v4(IPv4Address(10, 0, 0, 5)), now: h.now) == 1400)
    }

    @Test("every IPv4 segment carries DF (RFC 1191 §3), handshake and data alike")
    func dontFragment() {
        var h = Harness(configuration: Harness.configuration())
        let c = try! h.stack.connect(to: h.peer, localPort: ourPort, now: .zero)
        var buffer = [UInt8](repeating: 0, count: 70_000)
        var packets: [[UInt8]] = []
        func poll(_ h: inout Harness) {
            while let n = buffer.withUnsafeMutableBytes({ h.stack.pollTransmit(now: h.now, into: $0) }) { packets.append(Array(buffer[0..<n])) }
        }
        poll(&h)
        let syn = packets[0].withUnsafeBytes { try! TCPPacket.parse($0) }
        h.stack.handle(ipPacket: Seg([.syn, .ack], seq: h.irs, ack: syn.header.sequenceNumber + 1, mss: 1460).packet(from: h.peer, to: h.ours), now: h.now)
        _ = try! h.stack.send(c, [UInt8](repeating: 9, count: 4000), now: h.now)
        poll(&h)
        #expect(packets.count >= 4)
        for p in packets {
            let ip = p.withUnsafeBytes { try! IPv4Header.parse($0) }
            #expect(ip.dontFragment)
        }
    }

    @Test("TSO: after Fragmentation Needed the device is told the lowered MSS")
    func tsoUsesLoweredMSS() {
        var (h, _) = Self.inFlight()
        h.ackData(h.iss + 1 + 4 * 1460, at: 0.15)
        h.send(packet: h.icmp(type: 3, code: 4, rest: 1280, quotedSeq: h.iss + 1 + 4 * 1460, payload: 0), at: 0.2)
        // Nothing in flight, the path MTU is still learned.
        #expect(h.info.sendMSS == 1240)
        _ = try! h.stack.send(h.conn, [UInt8](repeating: 1, count: 20_000), now: h.now)
        var buffer = [UInt8](repeating: 0, count: 70_000)
        let t = buffer.withUnsafeMutableBytes { h.stack.pollTransmit(now: h.now, into: $0, offload: TransmitOffload(maximumSegmentBytes: 65536)) }
        #expect(t?.segmentSize == 1240)
        #expect((t?.length ?? 0) > 1240 + 40)
    }

    // MARK: R1 (MUST-20, SHLD-9, SHLD-10)

    @Test("R1 = 3: at the third retransmission, negative advice and a soft error once; at R2 the connection fails as before")
    func r1() throws {
        var h = Harness.established(Harness.configuration { $0.dataRetries = 5 })
        h.write(bytes("hello"), at: 0.1)
        _ = h.takeSent()
        var retransmissions = 0
        var eventsAt: [Int: [TCPEvent]] = [:]
        while h.state == .established, let s = h.nextSent(until: 1000) {
            _ = s
            retransmissions += 1
            eventsAt[retransmissions] = h.pollEvents()
        }
        #expect(eventsAt[1] == [] && eventsAt[2] == [])
        #expect(eventsAt[3] == [.negativeAdvice(h.conn, remote: peerIP), .softError(h.conn, .retransmissionThreshold)])
        #expect(eventsAt[4] == [] && eventsAt[5] == [])
        #expect(h.stack.statistics.retransmissionThresholdsReached == 1)
        h.advance(to: 2000)
        #expect(h.state == .closed)
        #expect(h.info.error == .timedOut)
        #expect(eventsAt.values.contains { $0.contains(.timedOut(h.conn)) })
        #expect(try h.stack.takeSoftError(h.conn) == .retransmissionThreshold)
    }

    @Test("R1 is configurable, and never below 3 (SHLD-10)", arguments: [(5, 5), (1, 3)])
    func r1Configurable(_ configured: Int, _ expected: Int) {
        var h = Harness.established(Harness.configuration { $0.retransmissionThreshold = configured })
        h.write(bytes("hello"), at: 0.1)
        _ = h.takeSent()
        var n = 0
        var firstAdvice: Int?
        while n < 8, let _ = h.nextSent(until: 10_000) {
            n += 1
            if firstAdvice == nil, h.pollEvents().contains(where: { if case .negativeAdvice = $0 { true } else { false } }) { firstAdvice = n }
        }
        #expect(firstAdvice == expected)
    }

    @Test("with soft-error reporting off, R1 still gives negative advice but no soft error event (SHLD-20)")
    func r1ReportingOff() throws {
        var h = Harness.established(Harness.configuration { $0.connectionOptions.reportSoftErrors = false })
        h.write(bytes("hello"), at: 0.1)
        _ = h.takeSent()
        var events: [TCPEvent] = []
        for _ in 0..<3 { _ = h.nextSent(until: 1000); events += h.pollEvents() }
        #expect(events == [.negativeAdvice(h.conn, remote: peerIP)])
        #expect(try h.stack.takeSoftError(h.conn) == .retransmissionThreshold)
    }

    @Test("SYN retransmissions reach R1 too: the connect is told before it fails")
    func r1InSynSent() {
        var h = Harness.synSent()
        var events: [TCPEvent] = []
        for _ in 0..<3 { _ = h.nextSent(until: 1000); events += h.pollEvents() }
        #expect(events == [.negativeAdvice(h.conn, remote: peerIP), .softError(h.conn, .retransmissionThreshold)])
        #expect(h.state == .synSent)
    }
}
