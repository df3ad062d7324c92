// RFC 9293 §3.10.7.2, "If the state is LISTEN":
//   first, a RST is ignored;
//   second, any ACK is bad: <SEQ=SEG.ACK><CTL=RST>;
//   third, a SYN: RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ, ISS selected,
//          <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, state SYN-RECEIVED;
//   fourth, anything else is dropped.

import Testing
import TCPWire
import TCPCore

@Suite("LISTEN")
struct ListenTests {
    @Test("SYN: SYN-ACK <SEQ=ISS><ACK=SEG.SEQ+1> with our MSS and window, LISTEN -> SYN-RECEIVED")
    func syn() throws {
        var h = Harness.listen()
        h.send(Seg(.syn, seq: h.irs, window: 8192, mss: 1400), at: 0.5)
        let synAck = h.takeSent()
        #expect(synAck.count == 1)
        h.iss = synAck[0].seq
        #expect(synAck[0] == Seg([.syn, .ack], seq: h.iss, ack: h.irs + 1, mss: 1460))
        h.conn = h.lastHalfOpen
        #expect(h.state == .synReceived)
        #expect(h.stateChanges() == ["LISTEN -> SYN-RECEIVED"])
        #expect(h.info.irs == h.irs && h.info.rcvNxt == h.irs + 1)
        #expect(h.info.sndWnd == 8192)          // the peer's window, learned from the SYN
        #expect(h.info.sendMSS == 1400)         // min(peer's MSS, ours)
        // The listener keeps listening; the connection is not ready for accept yet.
        #expect(try h.stack.accept(h.listener!) == nil)
        #expect(h.pollEvents().isEmpty)
    }

    @Test("RST is ignored")
    func rst() {
        var h = Harness.listen()
        h.send(Seg(.rst, seq: 1234), at: 0)
        h.send(Seg([.rst, .ack], seq: 1234, ack: 99), at: 0)
        h.expectNothingSent()
        #expect(h.drops(.listenRST) == 2)
        #expect(h.stack.connectionCount == 0)
    }

    @Test("anything with ACK gets <SEQ=SEG.ACK><CTL=RST>", arguments: [
        Seg(.ack, seq: 1234, ack: 5678),
        Seg([.syn, .ack], seq: 1234, ack: 5678),
        Seg([.psh, .ack], seq: 1234, ack: 5678, payload: bytes("data")),
        Seg([.fin, .ack], seq: 1234, ack: 5678),
    ])
    func ack(_ seg: Seg) {
        var h = Harness.listen()
        h.send(seg, at: 0)
        h.expectSent(Seg(.rst, seq: 5678, window: 0))
        h.expectNothingSent()
        #expect(h.drops(.listenACK) == 1)
        #expect(h.stack.connectionCount == 0)
    }

    @Test("neither SYN nor ACK nor RST is dropped silently", arguments: [
        Seg(.psh, seq: 1234, payload: bytes("data")),
        Seg(.fin, seq: 1234),
        Seg([], seq: 1234),
    ])
    func other(_ seg: Seg) {
        var h = Harness.listen()
        h.send(seg, at: 0)
        h.expectNothingSent()
        #expect(h.drops(.listenNoSYN) == 1)
        #expect(h.stack.connectionCount == 0)
    }

    @Test("data on a SYN is not acknowledged (no TCP Fast Open): the peer sends it again")
    func synWithData() {
        var h = Harness.listen()
        h.send(Seg(.syn, seq: h.irs, payload: bytes("early")), at: 0)
        let synAck = h.takeSent()
        #expect(synAck.count == 1)
        #expect(synAck.first?.ack == h.irs + 1)
        #expect(synAck.first?.flags == [.syn, .ack])
        #expect(h.drops(.synDataIgnored) == 1)
    }

    @Test("every SYN gets its own ISN and its own connection")
    func twoPeers() {
        var h = Harness.listen()
        h.send(Seg(.syn, seq: 100), at: 0)
        h.send(Seg(.syn, seq: 200), at: 0, from: SocketAddress(peerIP, 50000))
        let sent = h.outbox
        h.outbox.removeAll()
        #expect(sent.count == 2)
        #expect(sent.map(\.destination.port) == [peerPort, 50000])
        #expect(sent.map(\.seg.ack) == [101, 201])
        #expect(sent[0].seg.seq != sent[1].seg.seq)
        #expect(h.stack.connectionCount == 2)
    }

    @Test("a listener on one address does not answer for another")
    func boundAddress() throws {
        var h = Harness(configuration: Harness.configuration())
        h.listener = try h.stack.listen(port: ourPort, address: ourIP6)
        h.send(Seg(.syn, seq: 100), at: 0)   // to 10.0.0.1:80, the listener is on [fd00::1]:80
        h.expectSent(Seg([.rst, .ack], seq: 0, ack: 101, window: 0))
        #expect(h.drops(.noConnection) == 1)
        #expect(throws: TCPError.addressInUse) { _ = try h.stack.listen(port: ourPort, address: ourIP6) }
        #expect(throws: TCPError.addressNotAvailable) { _ = try h.stack.listen(port: 81, address: peerIP) }
        #expect(throws: TCPError.invalidArgument("backlog must be positive")) { _ = try h.stack.listen(port: 82, backlog: 0) }
    }

    @Test("closing the listener resets its half-open connections")
    func closeListener() throws {
        var h = Harness.synReceived()
        try h.stack.closeListener(h.listener!, now: seconds(1))
        h.advance(to: 1)
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 1, ack: h.irs + 1, window: 0))
        #expect(h.state == nil)
        #expect(h.stack.connectionCount == 0)
        // And the port is closed now.
        h.send(Seg(.syn, seq: 5000), at: 2)
        h.expectSent(Seg([.rst, .ack], seq: 0, ack: 5001, window: 0))
    }
}
