// The listener's backlog: it bounds the half-open connections (SYN-RECEIVED) and, separately, the
// established ones waiting for accept, as Linux does. A SYN that finds either full is dropped
// (`.backlogFull`; the client's SYN timer will try again); a final ACK that finds the accept queue
// full is dropped (`.acceptQueueFull`) and the connection stays SYN-RECEIVED, to be completed by a
// later ACK (our SYN-ACK retransmission asks for one). These tests turn SYN cookies off (Linux
// tcp_syncookies=0), as with them, the default, a SYN finding the half-open side full is answered
// with a cookie (SYNCookieTests).

import Testing
import TCPWire
import TCPCore

@Suite("Listener backlog")
struct BacklogTests {
    static func client(_ n: Int) -> SocketAddress { SocketAddress(peerIP, UInt16(50000 + n)) }
    static let noCookies = Harness.configuration { $0.synCookies = .never }

    /// Sends client n's SYN; returns our SYN-ACK's sequence number (nil if none).
    static func syn(_ h: inout Harness, _ n: Int, at t: Double) -> SequenceNumber? {
        h.send(Seg(.syn, seq: SequenceNumber(UInt32(n) * 1000), mss: 1460), at: t, from: client(n))
        let sent = h.outbox
        h.outbox.removeAll()
        guard let s = sent.first else { return nil }
        #expect(s.seg.flags == [.syn, .ack] && s.destination == client(n))
        return s.seg.seq
    }

    static func ack(_ h: inout Harness, _ n: Int, _ iss: SequenceNumber, at t: Double) {
        h.send(Seg(.ack, seq: SequenceNumber(UInt32(n) * 1000) + 1, ack: iss + 1), at: t, from: client(n))
    }

    @Test("excess SYNs are dropped silently once `backlog` connections are half-open")
    func halfOpenBound() {
        var h = Harness.listen(Self.noCookies, backlog: 2)
        #expect(Self.syn(&h, 1, at: 0) != nil)
        #expect(Self.syn(&h, 2, at: 0) != nil)
        #expect(Self.syn(&h, 3, at: 0) == nil)
        h.expectNothingSent()
        #expect(h.drops(.backlogFull) == 1)
        #expect(h.stack.connectionCount == 2)
    }

    @Test("a full accept queue: SYNs dropped, the final ACK dropped and the connection stays SYN-RECEIVED")
    func acceptQueueFull() throws {
        var h = Harness.listen(Self.noCookies, backlog: 2)
        let l = h.listener!
        let iss1 = Self.syn(&h, 1, at: 0)!, iss2 = Self.syn(&h, 2, at: 0)!
        Self.ack(&h, 1, iss1, at: 0.1)                 // 1 half-open, 1 ready
        let iss3 = Self.syn(&h, 3, at: 0.2)!           // 2 half-open, 1 ready
        #expect(Self.syn(&h, 4, at: 0.2) == nil)       // half-open side full
        Self.ack(&h, 2, iss2, at: 0.3)                 // 1 half-open, 2 ready: accept queue full
        #expect(Self.syn(&h, 5, at: 0.3) == nil)       // accept side full
        #expect(h.drops(.backlogFull) == 2)
        h.conn = h.lastHalfOpen                        // client 3's connection
        Self.ack(&h, 3, iss3, at: 0.4)
        h.expectNothingSent()
        #expect(h.drops(.acceptQueueFull) == 1)
        #expect(h.state == .synReceived)
        // The application accepts one; our SYN-ACK retransmission (1 s after 0.2 s) draws the ACK again.
        #expect(try h.stack.accept(l) != nil)
        let again = h.nextSent()!
        #expect(again.time == seconds(1.2))
        #expect(again.seg == Seg([.syn, .ack], seq: iss3, ack: 3001, mss: 1460))
        Self.ack(&h, 3, iss3, at: 1.25)
        #expect(h.state == .established)
        #expect(try h.stack.accept(l) != nil)
        #expect(try h.stack.accept(l) == h.conn)
        #expect(try h.stack.accept(l) == nil)
    }

    @Test("accepting makes room for new SYNs")
    func acceptMakesRoom() throws {
        var h = Harness.listen(Self.noCookies, backlog: 1)
        let iss1 = Self.syn(&h, 1, at: 0)!
        Self.ack(&h, 1, iss1, at: 0.1)
        #expect(Self.syn(&h, 2, at: 0.2) == nil)
        #expect(try h.stack.accept(h.listener!) != nil)
        #expect(Self.syn(&h, 2, at: 0.3) != nil)
    }

    @Test("a half-open connection that goes away frees its place")
    func resetFreesPlace() {
        var h = Harness.listen(Self.noCookies, backlog: 1)
        _ = Self.syn(&h, 1, at: 0)!
        #expect(Self.syn(&h, 2, at: 0) == nil)
        h.send(Seg(.rst, seq: 1001), at: 0.1, from: Self.client(1))
        #expect(Self.syn(&h, 2, at: 0.2) != nil)
    }

    @Test("a retransmitted SYN of a half-open connection is not a new connection")
    func retransmittedSYNDoesNotCount() {
        var h = Harness.listen(Self.noCookies, backlog: 1)
        let iss = Self.syn(&h, 1, at: 0)!
        #expect(Self.syn(&h, 1, at: 0.5) == iss)
        #expect(h.drops(.backlogFull) == 0)
        #expect(h.stack.connectionCount == 1)
    }
}
