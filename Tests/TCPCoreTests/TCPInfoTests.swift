// Per-connection statistics (`TCPInfo`, in the spirit of Linux's tcp_info): every counter moves
// exactly where the packet trace says it should, and a snapshot is traced when a connection closes.

import Testing
import TCPWire
import TCPCore

@Suite("TCPInfo")
struct TCPInfoTests {
    @Test("counters of a transfer with a loss: bytes, segments, retransmissions, duplicate ACKs, RTT")
    func transferCounters() {
        var h = Harness.established()
        var t = h.stack.tcpInfo(of: h.conn)!
        #expect(t.state == .established)
        #expect(t.sendMSS == 1460 && t.advertisedMSS == 1460 && t.receiveMSS == 0)
        // Handshake: the SYN-ACK out, SYN and ACK in.
        #expect(t.segmentsSent == 1 && t.segmentsReceived == 2)
        #expect(t.bytesSent == 0 && t.bytesAcked == 0 && t.ssthresh == nil)
        let data = [UInt8](repeating: 1, count: 3000)
        h.write(data, at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1, payload: Array(data[0..<1460])),
                     Seg(.ack, seq: h.iss + 1461, ack: h.irs + 1, payload: Array(data[1460..<2920])),
                     Seg([.psh, .ack], seq: h.iss + 2921, ack: h.irs + 1, payload: Array(data[2920...])))
        t = h.stack.tcpInfo(of: h.conn)!
        #expect(t.bytesSent == 3000 && t.segmentsSent == 4 && t.bytesInFlight == 3000 && t.sendQueue == 3000)
        // The first segment is acknowledged 50 ms later; the second is lost: three duplicate ACKs.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1461), at: 0.15)
        for k in 0..<3 { h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1461), at: 0.16 + Double(k) * 0.001) }
        h.expectSent(Seg(.ack, seq: h.iss + 1461, ack: h.irs + 1, payload: Array(data[1460..<2920])))
        t = h.stack.tcpInfo(of: h.conn)!
        // RFC 6298 §2.3 on the handshake's sample (0 s, the ACK came at once) and then 50 ms.
        #expect(t.srtt == .microseconds(6250) && t.rttvar == .microseconds(12500))
        #expect(t.duplicateACKs == 3 && t.segmentsRetransmitted == 1 && t.bytesRetransmitted == 1460)
        #expect(t.bytesSent == 4460 && t.bytesAcked == 1460 && t.ssthresh != nil)   // loss recovery set ssthresh
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 3001), at: 0.2)
        t = h.stack.tcpInfo(of: h.conn)!
        #expect(t.bytesAcked == 3000 && t.bytesInFlight == 0 && t.sendQueue == 0)
        #expect(t.segmentsReceived == 7)
        // The delivery-rate interval began when the first byte left an idle connection (0.1 s); the
        // ACK at 0.15 s closed it (50 ms ≥ SRTT): 1460 bytes in 50 ms. The ACK at 0.2 s closed the
        // next (0.15 → 0.2 s): 1540 bytes in 50 ms.
        #expect(t.deliveryRate == 30_800)
    }

    @Test("received bytes, out-of-order segments and the largest segment received")
    func receiveCounters() {
        var h = Harness.established()
        h.send(Seg(.ack, seq: h.irs + 1 + 100, ack: h.iss + 1, payload: [UInt8](repeating: 2, count: 100)), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1, window: window(unread: 0)))
        var t = h.stack.tcpInfo(of: h.conn)!
        #expect(t.outOfOrderSegments == 1 && t.bytesReceived == 0 && t.receiveMSS == 100)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: [UInt8](repeating: 1, count: 100)), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 201, window: window(unread: 200)))
        t = h.stack.tcpInfo(of: h.conn)!
        #expect(t.bytesReceived == 200 && t.receiveQueue == 200 && t.receiveWindow == UInt32(window(unread: 200)))
    }

    @Test("a zero-window probe is counted")
    func windowProbes() {
        var h = Harness.established()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 0), at: 0.1)
        h.write([1, 2, 3], at: 0.2)
        h.expectNothingSent()
        h.expectSent(Seg(.ack, seq: h.iss, ack: h.irs + 1), at: 1.2)
        #expect(h.stack.tcpInfo(of: h.conn)!.windowProbes == 1)
    }

    @Test("closing traces a snapshot; traceInfo samples on demand")
    func traced() {
        var h = Harness.established()
        let sampled = h.stack.traceInfo(of: h.conn, now: h.now)
        #expect(sampled)
        h.abort(at: 0.5)
        h.drain()
        let infos = h.log.compactMap { r -> (Instant, TCPInfo)? in
            if case .info(let i) = r.kind, r.connection == h.conn { (r.time, i) } else { nil }
        }
        #expect(infos.count == 2)
        #expect(infos.first?.1.state == .established && infos.first?.0 == .zero)
        #expect(infos.last?.1.state == .closed && infos.last?.0 == seconds(0.5))
    }
}
