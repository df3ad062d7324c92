// The urgent pointer (RFC 9293 §3.8.5, MUST-30..33, MUST-62; RFC 6093). Urgent bytes are
// ordinary stream data, delivered in line, once and in order (RFC 6093 §5, SO_OOBINLINE): the
// first tests check the data path is unchanged by URG. The signalling is checked after them:
// the sender's SND.UP and the pointer on its segments, the receiver's RCV.UP, the `.urgentData`
// event and `urgentStatus`.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Urgent data (RFC 9293 §3.8.5, RFC 6093: in line, signalled)")
struct UrgentTests {
    /// A segment from the peer with the URG bit and `pointer` (the Seg helper has no urgent field).
    static func urgent(_ h: Harness, _ flags: TCPFlags = [.urg, .psh, .ack], seq: SequenceNumber, pointer: UInt16, payload: [UInt8]) -> [UInt8] {
        let header = TCPHeader(sourcePort: h.peer.port, destinationPort: h.ours.port, sequenceNumber: seq,
                               acknowledgmentNumber: h.iss + 1, flags: flags, window: fullWindow, urgentPointer: pointer)
        return try! TCPPacket.build(source: h.peer.address, destination: h.ours.address, header: header, payload: payload)
    }

    static func drops(_ h: Harness) -> [DropReason] {
        h.log.compactMap { if case let .drop(reason, _) = $0.kind { reason } else { nil } }
    }

    static let text = bytes("0123456789abcdefghij")

    @Test("URG data is ordinary in-line data: ACKed and read in order, the urgent byte not taken out")
    func inline() {
        var h = Harness.established()
        // Pointer 5: under RFC 6093 the byte at SEG.SEQ + 4 would be the last urgent one.
        h.send(packet: Self.urgent(h, seq: h.irs + 1, pointer: 5, payload: Array(Self.text[0..<10])), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 11, window: window(unread: 10)))
        h.send(Seg([.psh, .ack], seq: h.irs + 11, ack: h.iss + 1, payload: Array(Self.text[10..<20])), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 21, window: window(unread: 20)))
        #expect(h.read(at: 0.3) == Self.text)
        #expect(Self.drops(h).isEmpty)
        #expect(h.stack.tcpInfo(of: h.conn)!.bytesReceived == 20)
    }

    @Test("an urgent pointer past the segment's data, or the largest one, changes nothing")
    func pointerBeyondData() {
        var h = Harness.established()
        // RFC 9293 §3.8.5: the pointer may point past this segment into data still to come.
        h.send(packet: Self.urgent(h, seq: h.irs + 1, pointer: 5000, payload: Array(Self.text[0..<5])), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 6, window: window(unread: 5)))
        h.send(packet: Self.urgent(h, seq: h.irs + 6, pointer: 65535, payload: Array(Self.text[5..<10])), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 11, window: window(unread: 10)))
        // The "urgent" data the pointer announced never comes; ordinary data follows as usual.
        h.send(Seg(.ack, seq: h.irs + 11, ack: h.iss + 1, payload: Array(Self.text[10..<20])), at: 0.3)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 21, window: window(unread: 20)))
        #expect(h.read(at: 0.4) == Self.text)
        #expect(Self.drops(h).isEmpty)
    }

    @Test("URG with a zero pointer, and on a segment without data")
    func zeroPointerAndNoData() {
        var h = Harness.established()
        h.send(packet: Self.urgent(h, seq: h.irs + 1, pointer: 0, payload: Array(Self.text[0..<10])), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 11, window: window(unread: 10)))
        // A bare ACK with URG set (nothing to mark): an acceptable ACK, nothing to answer.
        h.send(packet: Self.urgent(h, [.urg, .ack], seq: h.irs + 11, pointer: 100, payload: []), at: 0.2)
        h.expectNothingSent()
        #expect(h.read(at: 0.3) == Array(Self.text[0..<10]))
        #expect(Self.drops(h).isEmpty)
        #expect(h.state == .established)
    }

    @Test("URG on a retransmission that overlaps what arrived: the old part trimmed, nothing lost, doubled or reordered")
    func overlappingRetransmission() {
        var h = Harness.established()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: Array(Self.text[0..<8])), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 9, window: window(unread: 8)))
        // Bytes 4..<12 again, now with URG: 4..<8 are old (RFC 9293 §3.10.7.4 trims them), 8..<12 new.
        h.send(packet: Self.urgent(h, seq: h.irs + 5, pointer: 2, payload: Array(Self.text[4..<12])), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 13, window: window(unread: 12)))
        // An exact duplicate with URG: all old, answered with an ACK, nothing added.
        h.send(packet: Self.urgent(h, seq: h.irs + 5, pointer: 2, payload: Array(Self.text[4..<12])), at: 0.25)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 13, window: window(unread: 12)))
        #expect(h.read(at: 0.3) == Array(Self.text[0..<12]))
        #expect(h.read(at: 0.31) == [])
    }

    @Test("URG on an out-of-order segment: kept for reassembly and delivered once the gap is filled")
    func outOfOrder() {
        var h = Harness.established()
        h.send(packet: Self.urgent(h, seq: h.irs + 11, pointer: 3, payload: Array(Self.text[10..<20])), at: 0.1)
        // Out of order: a duplicate ACK at once (RFC 5681 §4.2), nothing readable.
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.read(at: 0.15) == [])
        h.send(packet: Self.urgent(h, seq: h.irs + 1, pointer: 10, payload: Array(Self.text[0..<10])), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 21, window: window(unread: 20)))
        #expect(h.read(at: 0.3) == Self.text)
        #expect(h.stack.tcpInfo(of: h.conn)!.outOfOrderSegments == 1)
        #expect(Self.drops(h).isEmpty)
    }

    // MARK: Signalling

    /// What the stack sends now, parsed straight from `pollTransmit` (the harness's `Seg` keeps no
    /// urgent pointer): (flags, seq, urgent pointer, payload length) per segment.
    static func transmitted(_ h: inout Harness) -> [(flags: TCPFlags, seq: SequenceNumber, pointer: UInt16, length: Int)] {
        var out: [(TCPFlags, SequenceNumber, UInt16, Int)] = []
        var buffer = [UInt8](repeating: 0, count: 70_000)
        while let n = buffer.withUnsafeMutableBytes({ h.stack.pollTransmit(now: h.now, into: $0) }) {
            let v = try! buffer.withUnsafeBytes { try TCPPacket.parse(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            out.append((v.header.flags, v.header.sequenceNumber, v.header.urgentPointer, v.payload.count))
        }
        h.drain()
        return out
    }

    @Test("send(urgent:) marks every byte urgent: each segment before SND.UP carries URG and points at the first non-urgent octet (MUST-31, MUST-62)")
    func sendUrgent() throws {
        var h = Harness.established()
        h.advance(to: 0.1)
        let n = try h.stack.send(h.conn, [UInt8](repeating: 7, count: 3000), urgent: true, now: h.now)
        #expect(n == 3000)
        let segs = Self.transmitted(&h)
        #expect(segs.count >= 2)
        let end = h.iss + 1 + 3000   // SND.UP
        var covered = 0
        for s in segs where s.length > 0 {
            #expect(s.flags.contains(.urg))
            #expect(s.seq + Int(s.pointer) == end)
            covered += s.length
        }
        #expect(covered == 3000)
        // Once SND.UP is acknowledged urgent mode ends: later data goes without URG.
        h.send(Seg(.ack, seq: h.irs + 1, ack: end), at: 0.2)
        _ = Self.transmitted(&h)
        h.advance(to: 0.3)
        _ = try h.stack.send(h.conn, [UInt8](repeating: 1, count: 100), now: h.now)
        let after = Self.transmitted(&h)
        #expect(after.count == 1)
        #expect(after.allSatisfy { !$0.flags.contains(.urg) && $0.pointer == 0 })
    }

    @Test("an ordinary send is not urgent; an urgent one after it moves SND.UP past both")
    func urgentAfterOrdinary() throws {
        var h = Harness.established()
        h.advance(to: 0.1)
        _ = try h.stack.send(h.conn, [UInt8](repeating: 0, count: 100), now: h.now)
        let plain = Self.transmitted(&h)
        #expect(plain.count == 1 && !plain[0].flags.contains(.urg))
        // Acknowledged, so that Nagle (which urgent data does not override, as in Linux) lets the next one go.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 101), at: 0.2)
        _ = try h.stack.send(h.conn, [UInt8](repeating: 0, count: 10), urgent: true, now: h.now)
        let urgent = Self.transmitted(&h)
        try #require(urgent.count == 1)
        #expect(urgent[0].flags.contains(.urg))
        #expect(urgent[0].seq + Int(urgent[0].pointer) == h.iss + 1 + 110)
    }

    @Test("an urgent pointer more than 65535 octets ahead is sent as 65535 (RFC 6093 §4)")
    func pointerClamped() throws {
        var h = Harness.established()
        h.advance(to: 0.1)
        let n = try h.stack.send(h.conn, [UInt8](repeating: 0, count: 65536), urgent: true, now: h.now)
        #expect(n == 65536)
        let segs = Self.transmitted(&h)
        let end = h.iss + 1 + 65536
        #expect(!segs.isEmpty)
        for s in segs where s.length > 0 {
            #expect(s.flags.contains(.urg))
            #expect(Int(s.pointer) == min(65535, Int(end - s.seq)))
        }
        #expect(segs.first?.pointer == 65535)
    }

    @Test("RCV.UP: the application is told once per stretch of urgent data, learns how much is left, and the pointer never moves back (MUST-32, MUST-33)")
    func receiveSignal() {
        var h = Harness.established()
        #expect(h.stack.urgentStatus(of: h.conn) == UrgentStatus(pending: false, bytesToEnd: 0))
        // Bytes 0..<5 urgent: pointer 5 names byte 5, the first non-urgent one.
        h.send(packet: Self.urgent(h, seq: h.irs + 1, pointer: 5, payload: Array(Self.text[0..<10])), at: 0.1)
        #expect(h.pollEvents().filter { $0 == .urgentData(h.conn) }.count == 1)
        var status = h.stack.urgentStatus(of: h.conn)!
        #expect(status.pending && status.bytesToEnd == 5 && status.bytesBeforeMark == 4 && !status.atMark)
        // A pointer further on while still in urgent mode: RCV.UP moves, no second signal.
        h.send(packet: Self.urgent(h, seq: h.irs + 11, pointer: 2, payload: Array(Self.text[10..<12])), at: 0.2)
        #expect(!h.pollEvents().contains(.urgentData(h.conn)))
        #expect(h.stack.urgentStatus(of: h.conn)!.bytesToEnd == 12)
        // One behind RCV.UP (overlapping data already held) leaves it alone.
        h.send(packet: Self.urgent(h, seq: h.irs + 6, pointer: 1, payload: Array(Self.text[5..<12])), at: 0.3)
        #expect(h.stack.urgentStatus(of: h.conn)!.bytesToEnd == 12)
        // Reading 11 bytes puts the next byte read on the mark; one more leaves urgent mode.
        h.advance(to: 0.4)
        var buf = [UInt8](repeating: 0, count: 11)
        let r = buf.withUnsafeMutableBytes { try! h.stack.receive(h.conn, into: $0, now: h.now) }
        #expect(r == .data(11))
        status = h.stack.urgentStatus(of: h.conn)!
        #expect(status.atMark && status.bytesBeforeMark == 0)
        #expect(h.read(at: 0.5) == [Self.text[11]])
        #expect(h.stack.urgentStatus(of: h.conn) == UrgentStatus(pending: false, bytesToEnd: 0))
        // A new stretch after the old one was read is signalled again.
        h.send(packet: Self.urgent(h, seq: h.irs + 13, pointer: 3, payload: Array(Self.text[12..<16])), at: 0.6)
        #expect(h.pollEvents().contains(.urgentData(h.conn)))
        #expect(h.stack.urgentStatus(of: h.conn)!.bytesToEnd == 3)
    }

    @Test("an urgent pointer past the data received counts the bytes still to come")
    func pointerPastData() {
        var h = Harness.established()
        h.send(packet: Self.urgent(h, seq: h.irs + 1, pointer: 5000, payload: Array(Self.text[0..<5])), at: 0.1)
        #expect(h.pollEvents().contains(.urgentData(h.conn)))
        #expect(h.stack.urgentStatus(of: h.conn)!.bytesToEnd == 5000)
        #expect(h.read(at: 0.2) == Array(Self.text[0..<5]))
        #expect(h.stack.urgentStatus(of: h.conn)!.bytesToEnd == 4995)
    }

    @Test("URG after the peer's FIN (CLOSE-WAIT) is ignored; a zero pointer signals nothing")
    func ignoredCases() {
        var h = Harness.established()
        h.send(packet: Self.urgent(h, seq: h.irs + 1, pointer: 0, payload: Array(Self.text[0..<4])), at: 0.1)
        #expect(!h.pollEvents().contains(.urgentData(h.conn)))
        #expect(h.stack.urgentStatus(of: h.conn)?.pending == false)
        h.send(Seg([.fin, .ack], seq: h.irs + 5, ack: h.iss + 1), at: 0.2)
        #expect(h.state == .closeWait)
        h.send(packet: Self.urgent(h, [.urg, .ack], seq: h.irs + 6, pointer: 10, payload: []), at: 0.3)
        #expect(!h.pollEvents().contains(.urgentData(h.conn)))
        #expect(h.stack.urgentStatus(of: h.conn)?.pending == false)
    }

    @Test("once read past, RCV.UP is forgotten, so a pointer 2^31 bytes old can never look ahead again")
    func forgottenAfterRead() throws {
        var h = Harness.established()
        h.send(packet: Self.urgent(h, seq: h.irs + 1, pointer: 3, payload: Array(Self.text[0..<10])), at: 0.1)
        let i = try #require(h.stack.connectionIndex(h.conn))
        #expect(h.stack.slots[i].connection!.urgentSeen)
        #expect(h.read(at: 0.2) == Array(Self.text[0..<10]))
        #expect(!h.stack.slots[i].connection!.urgentSeen)
        // A read that stops before RCV.UP keeps it.
        h.send(packet: Self.urgent(h, seq: h.irs + 11, pointer: 8, payload: Array(Self.text[10..<20])), at: 0.3)
        var buf = [UInt8](repeating: 0, count: 4)
        _ = buf.withUnsafeMutableBytes { try! h.stack.receive(h.conn, into: $0, now: h.now) }
        #expect(h.stack.slots[i].connection!.urgentSeen)
        #expect(h.stack.urgentStatus(of: h.conn)?.bytesToEnd == 4)
    }
}
