// RFC 9293 §3.10.7.4 in ESTABLISHED, check by check, and the sequence acceptability test with its
// four cases:
//
//   SEG.LEN  RCV.WND  test
//   0        0        SEG.SEQ = RCV.NXT
//   0        >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//   >0       0        not acceptable
//   >0       >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//                     or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
//
// An unacceptable segment (not a RST) gets <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped.

import Testing
import TCPWire
import TCPCore

@Suite("ESTABLISHED")
struct EstablishedTests {
    // MARK: The acceptability test

    enum Outcome: Sendable {
        /// Acceptable; this many new bytes go into the receive buffer.
        case accepted(newBytes: Int)
        /// Acceptable by the test, but it starts past RCV.NXT: not queued (no reassembly), duplicate ACK.
        case outOfOrder
        /// Zero window, segment at RCV.NXT: the ACK is taken, the text is not (RFC 9293 "special allowance").
        case textRefused
        case rejected
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// SEG.SEQ - RCV.NXT
        var offset: Int
        var length: Int
        var zeroWindow: Bool
        var outcome: Outcome
        var testDescription: String { name }
    }

    /// The window is W = 1000 bytes (a 1000-byte receive buffer); for the zero-window cases the
    /// buffer is full.
    static let w = 1000
    static let cases: [Case] = [
        // SEG.LEN = 0, RCV.WND > 0
        Case(name: "len 0, wnd > 0: at RCV.NXT (left edge)", offset: 0, length: 0, zeroWindow: false, outcome: .accepted(newBytes: 0)),
        Case(name: "len 0, wnd > 0: at RCV.NXT+RCV.WND-1 (right edge)", offset: w - 1, length: 0, zeroWindow: false, outcome: .accepted(newBytes: 0)),
        // A bare ACK at the right edge itself is taken, as Linux does (RightEdgeTests says why).
        Case(name: "len 0, wnd > 0: at RCV.NXT+RCV.WND (the edge: a bare ACK is taken)", offset: w, length: 0, zeroWindow: false, outcome: .accepted(newBytes: 0)),
        Case(name: "len 0, wnd > 0: at RCV.NXT+RCV.WND+1 (just outside right)", offset: w + 1, length: 0, zeroWindow: false, outcome: .rejected),
        Case(name: "len 0, wnd > 0: at RCV.NXT-1 (just outside left)", offset: -1, length: 0, zeroWindow: false, outcome: .rejected),
        // SEG.LEN = 0, RCV.WND = 0
        Case(name: "len 0, wnd 0: at RCV.NXT", offset: 0, length: 0, zeroWindow: true, outcome: .accepted(newBytes: 0)),
        Case(name: "len 0, wnd 0: at RCV.NXT+1", offset: 1, length: 0, zeroWindow: true, outcome: .rejected),
        Case(name: "len 0, wnd 0: at RCV.NXT-1", offset: -1, length: 0, zeroWindow: true, outcome: .rejected),
        // SEG.LEN > 0, RCV.WND = 0
        Case(name: "len > 0, wnd 0: at RCV.NXT", offset: 0, length: 10, zeroWindow: true, outcome: .textRefused),
        Case(name: "len > 0, wnd 0: at RCV.NXT+1", offset: 1, length: 10, zeroWindow: true, outcome: .rejected),
        Case(name: "len > 0, wnd 0: ending at RCV.NXT-1", offset: -10, length: 10, zeroWindow: true, outcome: .rejected),
        // SEG.LEN > 0, RCV.WND > 0
        Case(name: "len > 0, wnd > 0: at RCV.NXT", offset: 0, length: 10, zeroWindow: false, outcome: .accepted(newBytes: 10)),
        Case(name: "len > 0, wnd > 0: starts before RCV.NXT, ends inside (left edge overlap)", offset: -5, length: 10, zeroWindow: false, outcome: .accepted(newBytes: 5)),
        Case(name: "len > 0, wnd > 0: ends exactly at RCV.NXT-1 (all old)", offset: -10, length: 10, zeroWindow: false, outcome: .rejected),
        Case(name: "len > 0, wnd > 0: fills the window exactly", offset: 0, length: w, zeroWindow: false, outcome: .accepted(newBytes: w)),
        Case(name: "len > 0, wnd > 0: overruns the right edge (the part inside is taken)", offset: 0, length: w + 10, zeroWindow: false, outcome: .accepted(newBytes: w)),
        Case(name: "len > 0, wnd > 0: first byte at the right edge", offset: w - 1, length: 10, zeroWindow: false, outcome: .outOfOrder),
        Case(name: "len > 0, wnd > 0: first byte just outside right", offset: w, length: 10, zeroWindow: false, outcome: .rejected),
    ]

    @Test("sequence acceptability (RFC 9293 §3.10.7.4 first check)", arguments: cases)
    func acceptability(_ c: Case) {
        var h = Harness.established(Harness.configuration { $0.receiveBufferBytes = Self.w })
        let w16 = UInt16(Self.w)
        if c.zeroWindow {
            h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: [UInt8](repeating: 7, count: Self.w)), at: 0.1)
            h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1 + Self.w, window: 0))
            #expect(h.info.rcvWnd == 0)
        }
        let rcvNxt = h.info.rcvNxt
        let payload = (0..<c.length).map { UInt8(truncatingIfNeeded: $0) }
        h.send(Seg(payload.isEmpty ? .ack : [.psh, .ack], seq: rcvNxt + c.offset, ack: h.iss + 1, payload: payload), at: 1)
        let unreadBefore = c.zeroWindow ? Self.w : 0
        switch c.outcome {
        case .accepted(let n):
            if n > 0 {
                let w = UInt16(Self.w - unreadBefore - n)
                h.expectSent(Seg(.ack, seq: h.iss + 1, ack: rcvNxt + n, window: w))
                #expect(Array(h.read()!.suffix(n)) == Array(payload.suffix(c.length - max(0, -c.offset)).prefix(n)))
                if n >= Self.w / 2 {
                    // Reading freed half the buffer: a window update (RFC 9293 §3.8.6.2.2).
                    h.expectSent(Seg(.ack, seq: h.iss + 1, ack: rcvNxt + n, window: w16))
                }
            }
            h.expectNothingSent()
            #expect(h.info.rcvNxt == rcvNxt + n)
            #expect(h.drops(.unacceptableSequence) == 0)
        case .outOfOrder:
            // The first byte fits at the right edge and is kept for reassembly; the rest lies
            // past the window. A duplicate ACK; the window is unchanged (RFC 5681 §4.2).
            h.expectSent(Seg(.ack, seq: h.iss + 1, ack: rcvNxt, window: w16))
            #expect(h.info.rcvNxt == rcvNxt)
            #expect(h.stack.statistics.outOfOrderSegments == 1)
            #expect(h.drops(.beyondWindow) == 1)
            #expect(h.drops(.unacceptableSequence) == 0)
        case .textRefused:
            h.expectSent(Seg(.ack, seq: h.iss + 1, ack: rcvNxt, window: 0))
            #expect(h.info.rcvNxt == rcvNxt)
            #expect(h.drops(.beyondWindow) == 1)
            #expect(h.drops(.unacceptableSequence) == 0)
        case .rejected:
            h.expectSent(Seg(.ack, seq: h.iss + 1, ack: rcvNxt, window: c.zeroWindow ? 0 : w16))
            #expect(h.info.rcvNxt == rcvNxt)
            #expect(h.drops(.unacceptableSequence) == 1)
        }
        h.expectNothingSent()
        #expect(h.state == .established)
    }

    @Test("a zero window still takes the ACK and window of a segment at RCV.NXT")
    func zeroWindowTakesACK() {
        var h = Harness.established(Harness.configuration { $0.receiveBufferBytes = 100 })
        h.write(bytes("ping"), at: 0.1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, window: 100, payload: bytes("ping")))
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: [UInt8](repeating: 1, count: 100)), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 5, ack: h.irs + 101, window: 0))
        // Data at RCV.NXT while the window is zero, acknowledging our "ping".
        h.send(Seg([.psh, .ack], seq: h.irs + 101, ack: h.iss + 5, window: 4000, payload: bytes("more")), at: 0.3)
        h.expectSent(Seg(.ack, seq: h.iss + 5, ack: h.irs + 101, window: 0))
        #expect(h.drops(.beyondWindow) == 1)
        #expect(h.info.sndUna == h.iss + 5)
        #expect(h.info.sndWnd == 4000)
        #expect(h.info.timers.retransmit == nil)
    }

    // MARK: Data, FIN

    @Test("in-order data: ACK, readable, and the bytes in order")
    func data() {
        var h = Harness.established()
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("hello ")), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 7, window: window(unread: 6)))
        h.send(Seg([.psh, .ack], seq: h.irs + 7, ack: h.iss + 1, payload: bytes("world")), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 12, window: window(unread: 11)))
        #expect(h.pollEvents() == [.readable(h.conn)])
        #expect(h.read() == bytes("hello world"))
        #expect(h.read() == [])
    }

    @Test("a retransmission of data already received is acknowledged, not queued twice")
    func duplicateData() {
        var h = Harness.established()
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("abc")), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 4, window: window(unread: 3)))
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("abcdef")), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 7, window: window(unread: 6)))
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("abcdef")), at: 0.3)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 7, window: window(unread: 6)))
        #expect(h.drops(.unacceptableSequence) == 1)
        #expect(h.read() == bytes("abcdef"))
    }

    @Test("data past a gap is kept; a duplicate ACK tells the peer where we are; the gap fills")
    func outOfOrder() {
        var h = Harness.established()
        h.send(Seg([.psh, .ack], seq: h.irs + 4, ack: h.iss + 1, payload: bytes("def")), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.stack.statistics.outOfOrderSegments == 1)
        #expect(h.read() == [], "nothing readable before the gap fills")
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("abc")), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 7, window: window(unread: 6)))
        #expect(h.read() == bytes("abcdef"))
        #expect(h.drops(.outOfOrder) == 0)
    }

    @Test("reassembly: overlapping, duplicate and reversed segments give each byte once, in order")
    func reassembly() {
        var h = Harness.established()
        let text = bytes("0123456789abcdefghij")
        // (offset, length) in arrival order: reversed, overlapping, a duplicate, the front, then the last hole (8..<10).
        let pieces = [(15, 5), (10, 3), (11, 6), (10, 3), (4, 4), (2, 3), (0, 3), (7, 4)]
        var t = 0.1
        for (offset, length) in pieces {
            h.send(Seg([.psh, .ack], seq: h.irs + 1 + offset, ack: h.iss + 1, payload: Array(text[offset..<(offset + length)])), at: t)
            t += 0.01
        }
        let acks = h.takeSent().map(\.ack)
        #expect(acks.count == pieces.count, "every data segment is acknowledged at once")
        #expect(acks.last == h.irs + 1 + 20)
        #expect(acks.dropLast().allSatisfy { $0 == h.irs + 1 || $0 == h.irs + 1 + 8 }, "duplicate ACKs until the front arrives")
        #expect(h.read() == text)
        #expect(h.info.rcvNxt == h.irs + 21)
    }

    @Test("FIN: ACK of SEG.SEQ+1, CLOSE-WAIT, end of stream after the data")
    func fin() {
        var h = Harness.established()
        h.send(Seg([.fin, .psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("last")), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 6, window: window(unread: 4)))
        #expect(h.state == .closeWait)
        #expect(h.pollEvents() == [.readable(h.conn), .peerClosed(h.conn)])
        #expect(h.read() == bytes("last"))
        #expect(h.read() == nil)
    }

    @Test("a FIN past a gap waits until the data before it arrives")
    func finAfterGap() {
        var h = Harness.established()
        h.send(Seg([.fin, .ack], seq: h.irs + 10, ack: h.iss + 1), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))   // a duplicate ACK (RFC 5681 §4.2)
        #expect(h.state == .established)
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("123456789")), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 11, window: window(unread: 9)))
        #expect(h.state == .closeWait)
        #expect(h.read() == bytes("123456789"))
        #expect(h.read() == nil)
    }

    @Test("a segment without the ACK bit is dropped (fifth check)")
    func noACK() {
        var h = Harness.established()
        h.send(Seg([.psh], seq: h.irs + 1, payload: bytes("data")), at: 0.1)
        h.send(Seg([.fin], seq: h.irs + 1), at: 0.1)
        h.expectNothingSent()
        #expect(h.drops(.noACKFlag) == 2)
        #expect(h.info.rcvNxt == h.irs + 1)
        #expect(h.state == .established)
    }

    @Test("sequence numbers wrap around 2^32")
    func wrapAround() {
        var h = Harness.listen()
        h.irs = SequenceNumber(UInt32.max - 9)          // the peer's ISN, ten below the wrap
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0)
        h.iss = h.takeSent()[0].seq
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0)
        h.conn = try! h.stack.accept(h.listener!)
        let data = (0..<40).map { UInt8($0) }           // bytes 2^32-9 ... 30
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: data), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: SequenceNumber(31), window: window(unread: 40)))
        // A retransmission straddling the wrap adds nothing; a FIN after it closes.
        h.send(Seg([.psh, .ack], seq: SequenceNumber(UInt32.max - 2), ack: h.iss + 1, payload: Array(data[7..<40])), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: SequenceNumber(31), window: window(unread: 40)))
        h.send(Seg([.fin, .ack], seq: SequenceNumber(31), ack: h.iss + 1), at: 0.3)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: SequenceNumber(32), window: window(unread: 40)))
        #expect(h.read() == data)
        #expect(h.state == .closeWait)
    }

    @Test("the send window is taken only from segments newer than the last update (SND.WL1, SND.WL2)")
    func windowUpdateRules() {
        var h = Harness.established()
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, window: 5000, payload: Array(repeating: 1, count: 10)), at: 0.1)
        #expect(h.info.sndWnd == 5000)
        h.send(Seg([.psh, .ack], seq: h.irs + 11, ack: h.iss + 1, window: 6000, payload: Array(repeating: 2, count: 10)), at: 0.2)
        #expect(h.info.sndWnd == 6000)
        // A retransmission that starts before SND.WL1 but brings new bytes: its data is taken, its
        // window (an older view of the peer) is not.
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, window: 100, payload: Array(repeating: 3, count: 30)), at: 0.3)
        #expect(h.info.rcvNxt == h.irs + 31)
        #expect(h.info.sndWnd == 6000)
        // A pure ACK at RCV.NXT is newer: it may shrink the window.
        h.send(Seg(.ack, seq: h.irs + 31, ack: h.iss + 1, window: 100), at: 0.4)
        #expect(h.info.sndWnd == 100)
    }

    @Test("reading opens the window; an update goes out once it grew by min(half the buffer, MSS)")
    func windowUpdateAfterRead() {
        var h = Harness.established(Harness.configuration { $0.receiveBufferBytes = 1000 })
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: Array(repeating: 1, count: 1000)), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1001, window: 0))
        var buffer = [UInt8](repeating: 0, count: 499)
        _ = buffer.withUnsafeMutableBytes { try! h.stack.receive(h.conn, into: $0, now: h.now) }
        h.expectNothingSent()                            // 499 < 500: silly window avoidance
        buffer = [UInt8](repeating: 0, count: 1)
        _ = buffer.withUnsafeMutableBytes { try! h.stack.receive(h.conn, into: $0, now: h.now) }
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1001, window: 500))
    }

    @Test("a full send buffer takes what fits, and .writable follows the ACK that frees space")
    func writable() {
        var h = Harness.established(Harness.configuration { $0.sendBufferBytes = 3000 })
        #expect(h.write([UInt8](repeating: 1, count: 5000), at: 0.1) == 3000)
        #expect(h.write([1], at: 0.1) == 0)
        let sent = h.takeSent()
        #expect(sent.map(\.payload.count) == [1460, 1460, 80])
        #expect(h.pollEvents().isEmpty)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1461), at: 0.2)
        #expect(h.pollEvents() == [.writable(h.conn)])
        #expect(h.write([UInt8](repeating: 2, count: 5000), at: 0.2) == 1460)
    }

    // MARK: ACKs

    @Test("an ACK of our data advances SND.UNA and stops the retransmission timer")
    func ackOfData() {
        var h = Harness.established()
        h.write(bytes("0123456789"), at: 0.1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("0123456789")))
        #expect(h.info.timers.retransmit == seconds(1.1))
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 6), at: 0.2)
        #expect(h.info.sndUna == h.iss + 6)
        #expect(h.info.timers.retransmit == seconds(1.2))   // RFC 6298 §5.3: restarted
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 11), at: 0.3)
        #expect(h.info.sndUna == h.iss + 11)
        #expect(h.info.timers.retransmit == nil)             // RFC 6298 §5.2: all acknowledged
        #expect(h.info.bytesBuffered == 0)
        h.expectNothingSent()
    }

    @Test("a duplicate ACK changes nothing and is not answered")
    func duplicateACK() {
        var h = Harness.established()
        h.write(bytes("abc"), at: 0.1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("abc")))
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0.2)
        h.expectNothingSent()
        #expect(h.info.sndUna == h.iss + 1)
    }

    @Test("a retransmitted SYN,ACK (our ACK was lost) is answered with an ACK")
    func oldSynAck() {
        var h = Harness.establishedActive()
        h.send(Seg([.syn, .ack], seq: h.irs, ack: h.iss + 1, mss: 1460), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.state == .established)
        #expect(h.drops(.unacceptableSequence) == 1)
    }

    // MARK: RST, SYN

    @Test("RST at RCV.NXT: CLOSED, reset event, 'connection reset' for the application")
    func rst() {
        var h = Harness.established()
        h.send(Seg(.rst, seq: h.irs + 1), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.reset(h.conn, .peerReset)])
        #expect(throws: TCPError.connectionReset) { _ = try h.stack.send(h.conn, [1], now: h.now) }
        #expect(throws: TCPError.connectionReset) { _ = try h.stack.receive(h.conn, now: h.now) }
        #expect(h.stack.connectionCount == 0)
    }

    @Test("RST outside the window is dropped silently", arguments: [-1, 65535, 1_000_000])
    func rstOutOfWindow(_ offset: Int) {
        var h = Harness.established()
        h.send(Seg(.rst, seq: h.irs + 1 + offset), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .established)
        #expect(h.drops(.rstOutOfWindow) == 1)
    }

    @Test("SYN (in or out of the window): an ACK, and the connection survives", arguments: [0, 100, -100])
    func syn(_ offset: Int) {
        var h = Harness.established()
        h.send(Seg(.syn, seq: h.irs + 1 + offset), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        h.expectNothingSent()
        #expect(h.state == .established)
    }

    // MARK: Closing from ESTABLISHED

    @Test("shutdown: <SEQ=SND.NXT><CTL=FIN,ACK>, FIN-WAIT-1; the FIN follows queued data")
    func shutdownAfterData() {
        var h = Harness.established()
        h.write(bytes("bye"), at: 0.1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("bye")))
        h.shutdown(at: 0.2)
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 4, ack: h.irs + 1))
        #expect(h.state == .finWait1)
        #expect(throws: TCPError.connectionClosing) { _ = try h.stack.send(h.conn, [1], now: h.now) }
    }

    @Test("the FIN rides on the last data when both are queued together")
    func finOnData() {
        var h = Harness.established()
        h.advance(to: 0.1)
        _ = try! h.stack.send(h.conn, bytes("bye"), now: h.now)
        try! h.stack.shutdown(h.conn, now: h.now)
        h.expectSent(Seg([.fin, .psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("bye")))
    }

    @Test("close with unread data sends RST (RFC 1122 §4.2.2.13)")
    func closeWithUnreadData() {
        var h = Harness.established()
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("unread")), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 7, window: window(unread: 6)))
        h.close(at: 0.2)
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 1, ack: h.irs + 7, window: 0))
        #expect(h.state == nil)
        #expect(h.stack.connectionCount == 0)
    }

    @Test("abort: <SEQ=SND.NXT><CTL=RST> and the TCB is gone (RFC 9293 §3.10.5)")
    func abort() {
        var h = Harness.established()
        h.write(bytes("pending"), at: 0.1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("pending")))
        h.abort(at: 0.2)
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 8, ack: h.irs + 1, window: 0))
        h.expectNothingSent()
        #expect(h.state == nil)
        #expect(h.nextSent() == nil)
    }
}
