import Testing
import TCPWire
@testable import TCPCore

/// Per-connection socket options that size or limit a connection (SO_SNDBUF, TCP_MAXSEG,
/// TCP_SYNCNT), the settings a running stack may change, and `TCPInfo.segmentsDelivered`.
@Suite struct SocketOptionTests {
    @Test("sendBufferSize: the ring is made at that size; larger grows it and wakes a writer, smaller caps what is queued")
    func sendBufferSize() throws {
        var h = Harness.established()
        var o = try #require(h.stack.options(of: h.conn))
        o.sendBufferSize = 3000
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.stack.options(of: h.conn)?.sendBufferSize == 3000)
        #expect(h.stack.tcpInfo(of: h.conn)?.sendBufferBytes == 3000)
        let before = h.stack.statistics.bufferBytes
        #expect(h.write([UInt8](repeating: 1, count: 5000), at: 0.1) == 3000)
        #expect(h.stack.statistics.bufferBytes - before == 3000)
        _ = h.takeSent()
        _ = h.pollEvents()
        // Larger: 2000 more bytes of ring, accounted, and the full writer is told.
        o.sendBufferSize = 5000
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.stack.statistics.bufferBytes - before == 5000)
        #expect(h.pollEvents().contains(.writable(h.conn)))
        #expect(h.write([UInt8](repeating: 2, count: 5000), at: 0.2) == 2000)
        _ = h.takeSent()
        // Smaller: nothing queued is lost, nothing more fits until the queue drops below 4000.
        o.sendBufferSize = 4000
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.stack.tcpInfo(of: h.conn)?.sendBufferBytes == 4000)
        #expect(h.stack.tcpInfo(of: h.conn)?.sendQueue == 5000)
        #expect(h.write([3], at: 0.3) == 0)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1 + 2000), at: 0.4)
        #expect(h.write([UInt8](repeating: 4, count: 5000), at: 0.4) == 1000)
        #expect(h.stack.statistics.bufferBytes - before == 5000)   // the ring never shrinks
        // Back to the stack's sizing: the ring's own capacity again.
        o.sendBufferSize = nil
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.stack.tcpInfo(of: h.conn)?.sendBufferBytes == 5000)
    }

    @Test("sendBufferSize turns auto-tuning off for that connection's send buffer")
    func sendBufferSizeIsFixed() throws {
        let config = Harness.configuration { $0.sendBuffer = .autoTuned(initial: 4000, maximum: 64_000) }
        var h = Harness.established(config)
        var o = try #require(h.stack.options(of: h.conn))
        o.sendBufferSize = 4000
        try h.stack.setOptions(h.conn, o, now: h.now)
        var t = 0.0
        for _ in 0..<6 {
            _ = h.write([UInt8](repeating: 1, count: 10_000), at: t)
            _ = h.takeSent()
            t += 0.1
            let una = h.iss + 1 + Int(h.stack.tcpInfo(of: h.conn)!.bytesAcked)
            h.send(Seg(.ack, seq: h.irs + 1, ack: una + h.stack.tcpInfo(of: h.conn)!.bytesInFlight), at: t)
        }
        #expect(h.stack.tcpInfo(of: h.conn)?.sendBufferBytes == 4000)
        #expect(h.stack.statistics.sendBufferGrowths == 0)
    }

    @Test("a listener's sendBufferSize and maximumSegmentSize pass to the connections it accepts")
    func listenerOptions() throws {
        var h = Harness.listen()
        var o = ConnectionOptions()
        o.sendBufferSize = 2500
        o.maximumSegmentSize = 1000
        try h.stack.setOptions(h.listener!, o)
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0)
        let synAck = h.takeSent()
        #expect(synAck.count == 1 && synAck[0].mss == 1000)
        h.iss = synAck[0].seq
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0.1)
        h.conn = try h.stack.accept(h.listener!)
        #expect(h.stack.options(of: h.conn)?.sendBufferSize == 2500)
        #expect(h.stack.tcpInfo(of: h.conn)?.sendMSS == 1000)
        #expect(h.write([UInt8](repeating: 1, count: 4000), at: 0.2) == 2500)
        #expect(h.takeSent().map(\.payload.count) == [1000, 1000, 500])
    }

    @Test("maximumSegmentSize on an open connection lowers the send MSS; a cap never raises it")
    func maximumSegmentSizeLive() throws {
        var h = Harness.established()
        var o = try #require(h.stack.options(of: h.conn))
        o.maximumSegmentSize = 600
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.write([UInt8](repeating: 1, count: 1500), at: 0.1) == 1500)
        #expect(h.takeSent().map(\.payload.count) == [600, 600, 300])
        o.maximumSegmentSize = 9000
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.stack.tcpInfo(of: h.conn)?.sendMSS == 600)
    }

    @Test("synRetries (TCP_SYNCNT) limits only the SYN's retransmissions")
    func synRetries() throws {
        var s = Harness.closed()
        let conn = try s.stack.connect(to: s.peer, now: s.now)
        var o = try #require(s.stack.options(of: conn))
        o.synRetries = 2
        try s.stack.setOptions(conn, o, now: s.now)
        #expect(s.stack.options(of: conn)?.synRetries == 2)
        s.conn = conn
        s.drain()
        #expect(s.takeSent().map(\.flags) == [.syn])
        s.advance(to: 5)
        #expect(s.takeSent().map(\.flags) == [.syn, .syn])
        #expect(s.state == .synSent)
        s.advance(to: 8)
        #expect(s.state == .closed)
        #expect(s.pollEvents().last == .timedOut(conn))
    }

    @Test("updateConfiguration takes settings new connections read and refuses the rest, changing nothing")
    func updateConfiguration() throws {
        var h = Harness.established()
        var new = h.stack.configuration
        new.timestamps = false
        new.sack = false
        new.synRetries = 3
        try h.stack.updateConfiguration(new)
        #expect(h.stack.configuration.timestamps == false && h.stack.configuration.synRetries == 3)
        var bad = h.stack.configuration
        bad.receiveBufferBytes = 1000
        bad.sack = true
        #expect(throws: TCPError.self) { try h.stack.updateConfiguration(bad) }
        #expect(h.stack.configuration.sack == false && h.stack.configuration.receiveBufferBytes == 64 * 1024)
        // The open connection keeps what it negotiated: it still sends data.
        #expect(h.write([1, 2, 3], at: 0.1) == 3)
        #expect(h.takeSent().map(\.payload.count) == [3])
    }

    @Test("segmentsDelivered: the SYN-ACK counts one, then acknowledged data in send-MSS units per ACK")
    func segmentsDelivered() throws {
        var h = Harness.synReceived()
        #expect(h.stack.tcpInfo(of: h.conn)?.segmentsDelivered == 0)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0)
        #expect(h.stack.tcpInfo(of: h.conn)?.segmentsDelivered == 1)
        _ = try h.stack.accept(h.listener!)
        #expect(h.write([UInt8](repeating: 7, count: 3000), at: 0.1) == 3000)
        #expect(h.takeSent().count == 3)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1 + 1460), at: 0.2)
        #expect(h.stack.tcpInfo(of: h.conn)?.segmentsDelivered == 2)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1 + 3000), at: 0.3)
        #expect(h.stack.tcpInfo(of: h.conn)?.segmentsDelivered == 4)
    }

    @Test("busy time: a writer that filled the send buffer counts as send-buffer limited until an ACK makes room")
    func sendBufferLimitedTime() throws {
        var h = Harness.established()
        var o = try #require(h.stack.options(of: h.conn))
        o.sendBufferSize = 2000
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.write([UInt8](repeating: 1, count: 5000), at: 0.1) == 2000)
        _ = h.takeSent()
        let during = try #require(h.stack.tcpInfo(of: h.conn, now: seconds(0.3)))
        #expect(during.sendBufferLimitedTime == .milliseconds(200))
        #expect(during.busyTime == .milliseconds(200))
        #expect(during.receiveWindowLimitedTime == .zero)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1 + 2000), at: 0.3)
        let after = try #require(h.stack.tcpInfo(of: h.conn, now: seconds(1)))
        #expect(after.sendBufferLimitedTime == .milliseconds(200))
        #expect(after.busyTime == .milliseconds(200))   // nothing outstanding since 0.3 s
    }
}
