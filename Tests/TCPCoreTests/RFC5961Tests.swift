// RFC 5961, "Improving TCP's Robustness to Blind In-Window Attacks":
//   §3 RST: out of the window, drop; exactly RCV.NXT, reset; otherwise in the window, challenge ACK.
//   §4 SYN in a synchronized state, whatever its sequence number: challenge ACK.
//   §5 ACK: acceptable only if SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT; otherwise drop and ACK.
//   §7 challenge ACKs are rate-limited.
// With `rfc5961 = false`, RFC 793's rules: an in-window RST or SYN resets the connection. Each
// defence has its own switch (`rfc5961RST`, `rfc5961SYN`, `rfc5961ACK`), as FreeBSD's insecure_rst,
// insecure_syn and insecure_ack.

import Testing
import TCPWire
import TCPCore

@Suite("RFC 5961")
struct RFC5961Tests {
    static let synchronized: [TCPState] = [.established, .finWait1, .finWait2, .closeWait, .closing, .lastAck]

    // MARK: §3 RST

    @Test("RST in the window but not at RCV.NXT: challenge ACK, the connection survives",
          arguments: [1, 100, 65534])
    func rstInWindow(_ offset: Int) {
        var h = Harness.established()
        h.send(Seg(.rst, seq: h.irs + 1 + offset), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        h.expectNothingSent()
        #expect(h.state == .established)
        #expect(h.drops(.rstChallenged) == 1)
        #expect(h.stack.statistics.challengeACKsSent == 1)
        #expect(h.pollEvents().isEmpty)
        // The real peer, seeing the challenge ACK, would answer with a RST at exactly RCV.NXT.
        h.send(Seg(.rst, seq: h.irs + 1), at: 1.1)
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.reset(h.conn, .peerReset)])
    }

    @Test("RST exactly at RCV.NXT resets, in every synchronized state but TIME-WAIT", arguments: synchronized)
    func rstAtRcvNxt(_ state: TCPState) {
        var h = Harness.fixture(state)
        let rcvNxt = h.rcvNxt
        h.send(Seg([.rst, .ack], seq: rcvNxt, ack: h.sndNxt), at: 0.5)
        h.expectNothingSent()
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.reset(h.conn, .peerReset)])
        #expect(h.stack.connectionCount == 0)
    }

    @Test("RST in the window but not at RCV.NXT gets a challenge ACK in every synchronized state", arguments: synchronized)
    func rstChallengedEverywhere(_ state: TCPState) {
        var h = Harness.fixture(state)
        let rcvNxt = h.rcvNxt, sndNxt = h.sndNxt
        h.send(Seg(.rst, seq: rcvNxt + 10), at: 0.5)
        h.expectSent(Seg(.ack, seq: sndNxt, ack: rcvNxt))
        #expect(h.state == state)
    }

    // MARK: §4 SYN

    @Test("SYN in a synchronized state: challenge ACK, the connection survives", arguments: synchronized)
    func synChallenged(_ state: TCPState) {
        var h = Harness.fixture(state)
        let rcvNxt = h.rcvNxt, sndNxt = h.sndNxt
        h.send(Seg(.syn, seq: rcvNxt + 5, mss: 1460), at: 0.5)
        h.expectSent(Seg(.ack, seq: sndNxt, ack: rcvNxt))
        h.expectNothingSent()
        #expect(h.state == state)
        #expect(h.drops(.synChallenged) == 1)
        #expect(h.stack.statistics.challengeACKsSent == 1)
    }

    @Test("SYN,ACK in the window in ESTABLISHED: challenge ACK too")
    func synAckChallenged() {
        var h = Harness.established()
        h.send(Seg([.syn, .ack], seq: h.irs + 1, ack: h.iss + 1), at: 0.5)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.state == .established)
        #expect(h.drops(.synChallenged) == 1)
    }

    // MARK: §5 ACK

    @Test("an ACK of data not yet sent: ACK and drop, and the text in it is not taken")
    func ackOfUnsentData() {
        var h = Harness.established()
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 100, payload: bytes("spoofed")), at: 0.5)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        h.expectNothingSent()
        #expect(h.drops(.ackOfUnsentData) == 1)
        #expect(h.info.rcvNxt == h.irs + 1)
        #expect(h.info.sndUna == h.iss + 1)
        #expect(h.read() == [])
    }

    @Test("an ACK older than SND.UNA - MAX.SND.WND: ACK and drop; at the bound it is fine")
    func ackTooOld() {
        var h = Harness.established()
        // MAX.SND.WND is 65535 (the peer's window); SND.UNA = ISS+1.
        let bound: SequenceNumber = h.iss + 1 - UInt32(65535)
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: bound - 1, payload: bytes("old")), at: 0.5)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.drops(.ackTooOld) == 1)
        #expect(h.info.rcvNxt == h.irs + 1)
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: bound, payload: bytes("ok!")), at: 0.6)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 4, window: window(unread: 3)))
        #expect(h.drops(.ackTooOld) == 1)
        #expect(h.read() == bytes("ok!"))
    }

    @Test("MAX.SND.WND is the largest window the peer ever offered")
    func maxSndWnd() {
        var h = Harness.established()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 1000), at: 0.5)   // window shrinks
        #expect(h.info.sndWnd == 1000)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1 - 60000), at: 0.6)        // still within 65535
        h.expectNothingSent()
        #expect(h.drops(.ackTooOld) == 0)
    }

    // MARK: §7 rate limit

    @Test("challenge ACKs are rate-limited per second and the budget refills")
    func rateLimit() {
        var h = Harness.established(Harness.configuration { $0.challengeACKLimit = 2 })
        for _ in 0..<3 { h.send(Seg(.rst, seq: h.irs + 50), at: 1) }
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1), Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        h.expectNothingSent()
        #expect(h.stack.statistics.challengeACKsSent == 2)
        #expect(h.drops(.challengeACKRateLimited) == 1)
        h.send(Seg(.syn, seq: h.irs + 50), at: 1.999)
        h.expectNothingSent()
        #expect(h.drops(.challengeACKRateLimited) == 2)
        // One second after the window opened, the budget is full again.
        h.send(Seg(.syn, seq: h.irs + 50), at: 2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.stack.statistics.challengeACKsSent == 3)
        #expect(h.state == .established)
    }

    @Test("the limit is for the whole stack, not per connection")
    func rateLimitIsGlobal() {
        var h = Harness.established(Harness.configuration { $0.challengeACKLimit = 1 })
        h.send(Seg(.rst, seq: h.irs + 50), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        // A second connection from another peer port.
        let other = SocketAddress(peerIP, 50001)
        h.send(Seg(.syn, seq: 5000), at: 1, from: other)
        let synAck = h.takeSent()
        h.send(Seg(.ack, seq: 5001, ack: synAck[0].seq + 1), at: 1, from: other)
        h.send(Seg(.rst, seq: 5050), at: 1, from: other)
        h.expectNothingSent()
        #expect(h.drops(.challengeACKRateLimited) == 1)
    }

    // MARK: rfc5961 = false

    static let rfc793 = Harness.configuration { $0.rfc5961 = false }

    @Test("rfc5961 off: an in-window RST resets", arguments: [1, 100])
    func rstInWindowResets(_ offset: Int) {
        var h = Harness.established(Self.rfc793)
        h.send(Seg(.rst, seq: h.irs + 1 + offset), at: 1)
        h.expectNothingSent()
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.reset(h.conn, .peerReset)])
    }

    @Test("rfc5961 off: an in-window SYN resets the connection and is answered with RST")
    func synInWindowResets() {
        var h = Harness.established(Self.rfc793)
        h.send(Seg(.syn, seq: h.irs + 10), at: 1)
        h.expectSent(Seg([.rst, .ack], seq: 0, ack: h.irs + 11, window: 0))
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.reset(h.conn, .peerReset)])
    }

    @Test("rfc5961 off: an out-of-window SYN still only gets an ACK")
    func synOutOfWindow() {
        var h = Harness.established(Self.rfc793)
        h.send(Seg(.syn, seq: h.irs - 100), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.state == .established)
    }

    @Test("rfc5961 off: an ACK of unsent data gets a plain ACK (no challenge budget), an old ACK is ignored")
    func ackRules() {
        var h = Harness.established(Harness.configuration { $0.rfc5961 = false; $0.challengeACKLimit = 0 })
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 100), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.drops(.ackOfUnsentData) == 1)
        #expect(h.stack.statistics.challengeACKsSent == 0)
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1 - 100_000, payload: bytes("x")), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 2, window: window(unread: 1)))
        #expect(h.drops(.ackTooOld) == 0)
    }

    // MARK: one defence off, the others on

    @Test("rfc5961RST off: an in-window RST resets, but a SYN still gets a challenge ACK")
    func rstOffSynOn() {
        let config = Harness.configuration { $0.rfc5961RST = false }
        var h = Harness.established(config)
        h.send(Seg(.syn, seq: h.irs + 10), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.state == .established)
        h.send(Seg(.rst, seq: h.irs + 1 + 100), at: 2)
        h.expectNothingSent()
        #expect(h.state == .closed)
    }

    @Test("rfc5961SYN off: an in-window SYN resets, but an RST not at RCV.NXT still gets a challenge ACK")
    func synOffRstOn() {
        let config = Harness.configuration { $0.rfc5961SYN = false }
        var h = Harness.established(config)
        h.send(Seg(.rst, seq: h.irs + 1 + 100), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.state == .established)
        h.send(Seg(.syn, seq: h.irs + 10), at: 2)
        h.expectSent(Seg([.rst, .ack], seq: 0, ack: h.irs + 11, window: 0))
        #expect(h.state == .closed)
    }

    @Test("rfc5961ACK off: an old ACK is ignored (its data taken), while RST and SYN are still challenged")
    func ackOffOthersOn() {
        let config = Harness.configuration { $0.rfc5961ACK = false }
        var h = Harness.established(config)
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1 - 100_000, payload: bytes("x")), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 2, window: window(unread: 1)))
        #expect(h.drops(.ackTooOld) == 0)
        h.send(Seg(.syn, seq: h.irs + 10), at: 2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 2, window: window(unread: 1)))
        h.send(Seg(.rst, seq: h.irs + 100), at: 3)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 2, window: window(unread: 1)))
        #expect(h.state == .established)
        #expect(h.stack.statistics.challengeACKsSent == 2)
    }
}
