// The urgent pointer (RFC 9293 §3.8.5, MUST-30..33) as RFC 6093 advises for new code: the URG
// bit and the pointer are parsed and ignored, and the bytes they mark are ordinary stream data,
// delivered in line, once and in order. The engine keeps no urgent state and counts nothing for
// URG, so what is checked is that the data path is unchanged by it: the same ACKs and the same
// bytes as without URG, and no drop.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Urgent pointer (RFC 6093: parsed and ignored)")
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
}
