// RFC 9293 §3.10.7.1, "If the state is CLOSED (i.e., TCB does not exist)": all data is discarded;
// an incoming segment containing a RST is discarded; one not containing a RST gets a RST:
//   ACK bit off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
//   ACK bit on:  <SEQ=SEG.ACK><CTL=RST>

import Testing
import TCPWire
import TCPCore

@Suite("CLOSED (no connection, no listener)")
struct ClosedTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var segment: Seg
        /// The RST we must answer with (nil: nothing).
        var reply: Seg?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "SYN", segment: Seg(.syn, seq: 500, mss: 1460),
             reply: Seg([.rst, .ack], seq: 0, ack: 501, window: 0)),
        Case(name: "SYN with data", segment: Seg(.syn, seq: 500, payload: bytes("hello")),
             reply: Seg([.rst, .ack], seq: 0, ack: 506, window: 0)),
        Case(name: "SYN,ACK", segment: Seg([.syn, .ack], seq: 500, ack: 7000),
             reply: Seg(.rst, seq: 7000, window: 0)),
        Case(name: "ACK", segment: Seg(.ack, seq: 500, ack: 7000),
             reply: Seg(.rst, seq: 7000, window: 0)),
        Case(name: "data with ACK", segment: Seg([.psh, .ack], seq: 500, ack: 7000, payload: bytes("0123456789")),
             reply: Seg(.rst, seq: 7000, window: 0)),
        Case(name: "data without ACK", segment: Seg(.psh, seq: 500, payload: bytes("0123456789")),
             reply: Seg([.rst, .ack], seq: 0, ack: 510, window: 0)),
        Case(name: "FIN without ACK", segment: Seg(.fin, seq: 500),
             reply: Seg([.rst, .ack], seq: 0, ack: 501, window: 0)),
        Case(name: "FIN,ACK with data", segment: Seg([.fin, .ack], seq: 500, ack: 7000, payload: bytes("bye")),
             reply: Seg(.rst, seq: 7000, window: 0)),
        Case(name: "SYN,FIN with data, no ACK", segment: Seg([.syn, .fin], seq: 500, payload: bytes("abc")),
             reply: Seg([.rst, .ack], seq: 0, ack: 505, window: 0)),
        Case(name: "sequence number wraps", segment: Seg(.psh, seq: SequenceNumber(UInt32.max - 1), payload: bytes("abcd")),
             reply: Seg([.rst, .ack], seq: 0, ack: 2, window: 0)),
        Case(name: "RST", segment: Seg(.rst, seq: 500), reply: nil),
        Case(name: "RST,ACK", segment: Seg([.rst, .ack], seq: 500, ack: 7000), reply: nil),
    ]

    @Test("a segment to a port nobody uses", arguments: cases)
    func segmentToClosedPort(_ c: Case) {
        var h = Harness.closed()
        h.send(c.segment, at: 1)
        if let reply = c.reply { h.expectSent(reply) }
        h.expectNothingSent()
        #expect(h.drops(.noConnection) == 1)
        #expect(h.stack.connectionCount == 0)
        #expect(h.pollEvents().isEmpty)
    }

    @Test("a connection the application still holds in CLOSED is no connection for the wire")
    func closedHandleIsNoConnection() {
        var h = Harness.established()
        try! h.stack.closeListener(h.listener!, now: h.now)
        h.send(Seg([.rst, .ack], seq: h.irs + 1, ack: h.iss + 1), at: 1)
        #expect(h.state == .closed)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 2)
        h.expectSent(Seg(.rst, seq: h.iss + 1, window: 0))
        #expect(h.drops(.noConnection) == 1)
    }

    @Test("a segment for another address is dropped without an answer")
    func notOurAddress() {
        var h = Harness.listen()
        let packet = Seg(.syn, seq: 1).packet(from: h.peer, to: SocketAddress(.v4(IPv4Address(10, 0, 0, 99)), ourPort))
        h.send(packet: packet, at: 0)
        h.expectNothingSent()
        #expect(h.drops(.notOurAddress) == 1)
        #expect(h.stack.connectionCount == 0)
    }

    @Test("a corrupted segment is counted as a bad checksum and not answered")
    func badChecksum() {
        var h = Harness.listen()
        var packet = Seg(.syn, seq: 1).packet(from: h.peer, to: h.ours)
        packet[packet.count - 1] ^= 0x40   // a bit in the TCP header (the urgent pointer)
        h.send(packet: packet, at: 0)
        h.expectNothingSent()
        #expect(h.drops(.badChecksum) == 1)
        #expect(h.stack.connectionCount == 0)
    }

    /// RFC 9293 §3.1: the checksum covers the header, so no header field is believed before it is
    /// verified. A bit flipped in the data offset or in an option length used to be reported as a
    /// malformed header (the header was parsed first); it is a corrupted segment.
    @Test("a segment whose data offset or option length was flipped in transit is a bad checksum, not malformed",
          arguments: [(20 + 12, UInt8(0x80)), (20 + 12, UInt8(0x10)), (20 + 21, UInt8(0x02))] as [(Int, UInt8)])
    func corruptedHeaderIsBadChecksum(offset: Int, bit: UInt8) {
        var h = Harness.listen()
        var packet = Seg(.syn, seq: 1, mss: 1460).packet(from: h.peer, to: h.ours)
        packet[offset] ^= bit   // data offset 13 or 6 words (past the end), or the MSS option's length 6
        h.send(packet: packet, at: 0)
        h.expectNothingSent()
        #expect(h.drops(.badChecksum) == 1)
        #expect(h.drops(.malformed) == 0)
        #expect(h.stack.statistics.malformed == [.badTCPChecksum: 1])
        #expect(h.stack.connectionCount == 0)
    }
}
