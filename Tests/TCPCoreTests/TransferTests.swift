// Transfer behaviour around the data path, as packet traces with explicit times: delayed ACKs
// (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2, RFC 5681 §4.2) with Linux's quick-ACK start, Nagle's
// algorithm (RFC 9293 §3.7.4) with Minshall's refinement and TCP_NODELAY, sender SWS avoidance
// (§3.8.6.2.1), keep-alives (§3.8.4) and the user timeout (§3.8.3).

import Testing
import TCPWire
import TCPCore

private func payload(_ n: Int, _ fill: UInt8 = 7) -> [UInt8] { [UInt8](repeating: fill, count: n) }

@Suite("Delayed ACKs")
struct DelayedACKTests {
    /// Delayed ACKs from the first segment (no quick-ACK mode), 40 ms timer.
    static let delayed = Harness.configuration { $0.quickACKSegments = 0 }

    @Test("one segment waits 40 ms for the delayed-ACK timer; the second full-sized segment is ACKed at once")
    func timerAndEverySecondSegment() {
        var h = Harness.established(Self.delayed)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: payload(1460)), at: 0.1)
        h.expectNothingSent()
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1461, window: window(unread: 1460)), at: 0.14)
        #expect(h.log.contains { $0.kind == .timer(.delayedACK) })
        // Two full-sized segments: nothing after the first, an ACK right after the second.
        h.send(Seg(.ack, seq: h.irs + 1461, ack: h.iss + 1, payload: payload(1460)), at: 0.2)
        h.expectNothingSent()
        h.send(Seg(.ack, seq: h.irs + 2921, ack: h.iss + 1, payload: payload(1460)), at: 0.21)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 4381, window: window(unread: 4380)))
        // That ACK answered everything: the timer armed at 0.2 s sends nothing at 0.24 s.
        #expect(h.nextSent(until: 1) == nil)
        #expect(h.stack.tcpInfo(of: h.conn)!.delayedACKs == 1)
    }

    @Test("the delayed-ACK timer is clamped to 200 ms when configured (RFC 9293 §3.8.6.3: under 0.5 s)")
    func timerClamped() {
        var config = TCPConfiguration()
        config.delayedACKTimeout = .seconds(2)
        #expect(config.delayedACKTimeout == .milliseconds(200))
        config.delayedACKTimeout = .milliseconds(-5)
        #expect(config.delayedACKTimeout == .zero)
        config.delayedACKTimeout = .milliseconds(120)
        #expect(config.delayedACKTimeout == .milliseconds(120))
        // In the engine: one segment at 0.1 s is ACKed by the timer at 0.3 s, not at 2.1 s.
        var h = Harness.established(Harness.configuration { $0.quickACKSegments = 0; $0.delayedACKTimeout = .seconds(2) })
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: payload(100)), at: 0.1)
        h.expectNothingSent()
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 101, window: window(unread: 100)), at: 0.3)
    }

    @Test("out-of-order data, data filling the gap and a FIN are ACKed at once")
    func immediateCases() {
        var h = Harness.established(Self.delayed)
        // Out of order: a duplicate ACK at once (RFC 5681 §4.2).
        h.send(Seg(.ack, seq: h.irs + 101, ack: h.iss + 1, payload: payload(100)), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        // The gap filled: at once, for everything.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: payload(100)), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 201, window: window(unread: 200)))
        // In order again: delayed.
        h.send(Seg(.ack, seq: h.irs + 201, ack: h.iss + 1, payload: payload(100)), at: 0.3)
        h.expectNothingSent()
        // The FIN goes at once, and answers the data too.
        h.send(Seg([.fin, .ack], seq: h.irs + 301, ack: h.iss + 1), at: 0.31)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 302, window: window(unread: 300)))
        #expect(h.nextSent(until: 1) == nil)
    }

    @Test("data sent while an ACK is delayed carries it: no separate ACK")
    func piggyback() {
        var h = Harness.established(Self.delayed)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: payload(100)), at: 0.1)
        h.expectNothingSent()
        h.write(bytes("answer"), at: 0.12)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 101, window: window(unread: 100), payload: bytes("answer")))
        #expect(h.nextSent(until: 0.5) == nil)
    }

    @Test("reading that opens the window sends the update at once")
    func windowUpdate() {
        var h = Harness.established(Harness.configuration { $0.quickACKSegments = 0; $0.receiveBufferBytes = 4000 })
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: payload(1000)), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1001, window: 3000), at: 0.14)
        h.send(Seg(.ack, seq: h.irs + 1001, ack: h.iss + 1, payload: payload(1000)), at: 0.2)
        h.send(Seg(.ack, seq: h.irs + 2001, ack: h.iss + 1, payload: payload(1000)), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 3001, window: 1000))
        #expect(h.read(at: 0.25)?.count == 3000)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 3001, window: 4000))
    }

    @Test("quick-ACK mode: the first 16 segments are ACKed at once, then delayed; again after an idle RTO")
    func quickACKMode() {
        var h = Harness.established()
        var seq = h.irs + 1
        for k in 0..<16 {
            h.send(Seg(.ack, seq: seq, ack: h.iss + 1, payload: payload(100)), at: 0.1 + Double(k) * 0.001)
            seq += 100
            h.expectSent(Seg(.ack, seq: h.iss + 1, ack: seq, window: window(unread: 100 * (k + 1))))
        }
        // The 17th waits; the 18th makes two segments (more than one full-sized one) unacknowledged.
        h.send(Seg(.ack, seq: seq, ack: h.iss + 1, payload: payload(100)), at: 0.2)
        h.expectNothingSent()
        h.send(Seg(.ack, seq: seq + 100, ack: h.iss + 1, payload: payload(100)), at: 0.21)
        seq += 200
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: seq, window: window(unread: 1800)))
        // 2 s without anything (more than the 1 s RTO): quick-ACK mode again.
        h.send(Seg(.ack, seq: seq, ack: h.iss + 1, payload: payload(100)), at: 2.3)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: seq + 100, window: window(unread: 1900)))
    }

    @Test("delayedACK off: every data segment is ACKed at once")
    func off() {
        var h = Harness.established(Harness.configuration { $0.delayedACK = false; $0.quickACKSegments = 0 })
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: payload(100)), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 101, window: window(unread: 100)))
    }
}

@Suite("Nagle and sender SWS avoidance")
struct NagleTests {
    @Test("a second short write waits for the ACK of the first; the ACK releases it")
    func nagle() {
        var h = Harness.established()
        h.write([1], at: 0.1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: [1]))
        h.write([2], at: 0.11)
        h.write([3], at: 0.12)
        h.expectNothingSent()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 2), at: 0.2)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 2, ack: h.irs + 1, payload: [2, 3]))
    }

    @Test("TCP_NODELAY: every write goes at once; turning it on releases what Nagle held")
    func noDelay() {
        var h = Harness.established()
        h.write([1], at: 0.1)
        h.write([2], at: 0.11)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: [1]))
        h.expectNothingSent()
        var o = h.stack.options(of: h.conn)!
        o.noDelay = true
        try! h.stack.setOptions(h.conn, o, now: seconds(0.12))
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 2, ack: h.irs + 1, payload: [2]))
        h.write([3], at: 0.13)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 3, ack: h.irs + 1, payload: [3]))
    }

    @Test("Minshall: a short tail after full segments goes at once; the next short write waits for the tail's ACK")
    func minshall() {
        var h = Harness.established()
        let data = payload(3000)
        h.write(data, at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1, payload: payload(1460)),
                     Seg(.ack, seq: h.iss + 1461, ack: h.irs + 1, payload: payload(1460)),
                     Seg([.psh, .ack], seq: h.iss + 2921, ack: h.irs + 1, payload: payload(80)))
        h.write([9], at: 0.11)
        h.expectNothingSent()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 2921), at: 0.2)   // the full segments only
        h.expectNothingSent()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 3001), at: 0.21)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 3001, ack: h.irs + 1, payload: [9]))
    }

    @Test("a held short write goes with the FIN when the application closes")
    func finFlushes() {
        var h = Harness.established()
        h.write([1], at: 0.1)
        h.write([2], at: 0.11)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: [1]))
        h.shutdown(at: 0.12)
        h.expectSent(Seg([.fin, .psh, .ack], seq: h.iss + 2, ack: h.irs + 1, payload: [2]))
    }

    @Test("sender SWS: a window under half the largest offered and under a segment waits; the override sends it after 1 s")
    func swsOverride() {
        // The peer's SYN offers 1000 bytes: the largest window it ever offers.
        var h = Harness.listen()
        h.send(Seg(.syn, seq: h.irs, window: 1000, mss: 1460), at: 0)
        h.iss = h.takeSent()[0].seq
        h.conn = h.lastHalfOpen
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 1000), at: 0)
        _ = try! h.stack.accept(h.listener!)
        h.write(payload(3000), at: 0.1)
        h.expectSent(Seg([.ack], seq: h.iss + 1, ack: h.irs + 1, payload: payload(1000)))
        // The peer takes it but offers only 10 bytes more: 10 < 1000 / 2 and < 2000 queued.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1001, window: 10), at: 0.2)
        h.expectNothingSent()
        // Nothing in flight: the override timeout (the persist timer, one RTO at most 1 s) sends 10.
        h.expectSent(Seg(.ack, seq: h.iss + 1001, ack: h.irs + 1, payload: payload(10)), at: 1.2)
        // A window of 500 (half the largest) is worth sending at once.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1011, window: 500), at: 1.3)
        h.expectSent(Seg(.ack, seq: h.iss + 1011, ack: h.irs + 1, payload: payload(500)))
    }
}

@Suite("Keep-alive and user timeout")
struct KeepAliveTests {
    static func keepAlive(idle: Int64 = 10, interval: Int64 = 2, count: Int = 3) -> ConnectionOptions {
        var o = ConnectionOptions()
        o.keepAlive = true
        o.keepAliveIdle = .seconds(idle)
        o.keepAliveInterval = .seconds(interval)
        o.keepAliveCount = count
        return o
    }

    @Test("off by default: an idle connection sends nothing for hours")
    func offByDefault() {
        var h = Harness.established()
        #expect(h.stack.options(of: h.conn)?.keepAlive == false)
        #expect(h.stack.options(of: h.conn)?.keepAliveIdle == .seconds(7200))
        #expect(h.nextSent(until: 100_000) == nil)
    }

    @Test("probes SND.NXT-1 after the idle time; an answer restarts the idle time; three unanswered probes end it")
    func probesAndFailure() {
        var h = Harness.established()
        try! h.stack.setOptions(h.conn, Self.keepAlive(), now: h.now)
        let probe = Seg(.ack, seq: h.iss, ack: h.irs + 1)
        h.expectSent(probe, at: 10)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 10.1)   // the peer is alive
        h.expectSent(probe, at: 20.1)
        h.expectSent(probe, at: 22.1)
        h.expectSent(probe, at: 24.1)
        // The third probe unanswered for one interval: timed out, RST to the peer.
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 1, ack: h.irs + 1, window: 0), at: 26.1)
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.timedOut(h.conn)])
        #expect(throws: TCPError.timedOut) { _ = try h.stack.receive(h.conn, now: h.now) }
        #expect(h.stack.tcpInfo(of: h.conn)!.keepAliveProbes == 4)
    }

    @Test("data received pushes the first probe back by the idle time after it")
    func dataRestartsIdle() {
        var h = Harness.established()
        try! h.stack.setOptions(h.conn, Self.keepAlive(), now: h.now)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: payload(10)), at: 7)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 11, window: window(unread: 10)))
        h.expectSent(Seg(.ack, seq: h.iss, ack: h.irs + 11, window: window(unread: 10)), at: 17)
    }

    @Test("a listener's options go to the connections it opens")
    func inherited() {
        var h = Harness.listen()
        try! h.stack.setOptions(h.listener!, Self.keepAlive(idle: 30))
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0)
        h.iss = h.takeSent()[0].seq
        h.conn = h.lastHalfOpen
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0.1)
        #expect(h.stack.options(of: h.conn)?.keepAliveIdle == .seconds(30))
        h.expectSent(Seg(.ack, seq: h.iss, ack: h.irs + 1), at: 30.1)
    }

    @Test("user timeout: unacknowledged data fails the connection at the timeout, not at the next backoff")
    func userTimeout() {
        var h = Harness.established()
        var o = ConnectionOptions()
        o.userTimeout = .seconds(5)
        try! h.stack.setOptions(h.conn, o, now: h.now)
        h.write([1, 2, 3], at: 0.1)
        let data = Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: [1, 2, 3])
        h.expectSent(data)
        h.expectSent(data, at: 1.1)
        h.expectSent(data, at: 3.1)
        // The next RTO would come at 7.1; the user timeout (5 s after the data first went) ends it.
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 4, ack: h.irs + 1, window: 0), at: 5.1)
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.timedOut(h.conn)])
        #expect(h.log.contains { $0.kind == .timer(.userTimeout) })
    }

    @Test("user timeout counts from the last progress: an ACK of part of the data starts it again")
    func userTimeoutProgress() {
        var h = Harness.established()
        var o = ConnectionOptions()
        o.userTimeout = .seconds(2)
        o.noDelay = true
        try! h.stack.setOptions(h.conn, o, now: h.now)
        h.write([1], at: 0.1)
        h.write([2], at: 0.2)
        _ = h.takeSent()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 2), at: 0.5)   // progress at 0.5 s
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 2, ack: h.irs + 1, payload: [2]), at: 1.5)   // RTO
        // Without the progress the user timeout would have ended it at 2.1 s; now at 2.5 s.
        #expect(h.nextSent(until: 2.4) == nil)
        #expect(h.state == .established)
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 3, ack: h.irs + 1, window: 0), at: 2.5)
    }

    @Test("user timeout during zero-window probing: answered probes keep the connection, a silent peer ends it")
    func userTimeoutZeroWindow() {
        var h = Harness.established()
        var o = ConnectionOptions()
        o.userTimeout = .seconds(4)
        try! h.stack.setOptions(h.conn, o, now: h.now)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 0), at: 0.1)
        h.write([1, 2, 3], at: 0.2)
        let probe = Seg(.ack, seq: h.iss, ack: h.irs + 1)
        h.expectSent(probe, at: 1.2)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 0), at: 1.3)   // still shut, but alive
        h.expectSent(probe, at: 3.2)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 0), at: 3.3)
        h.expectSent(probe, at: 7.2)   // backoff 1, 2, 4 s: 3.9 s of silence, under the 4 s
        #expect(h.state == .established)
        // No answer to that probe: at the next one (15.2 s) the peer has been silent 11.9 s.
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 1, ack: h.irs + 1, window: 0), at: 15.2)
        #expect(h.pollEvents() == [.timedOut(h.conn)])
    }
}
