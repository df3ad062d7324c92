import Testing
import TCPWire
@testable import TCPCore

/// Linux's send-buffer accounting (`SendBufferAccounting.linuxTruesize`,
/// TCPStack+SendBufferAccounting.swift) against TCPKit's byte-exact default.
@Suite struct SendBufferAccountingTests {
    static func data(_ n: Int) -> [UInt8] { [UInt8](repeating: 7, count: n) }

    @Test("the default counts bytes; the Linux profile counts skb memory")
    func profiles() {
        #expect(TCPConfiguration().sendBufferAccounting == .bytes)
        #expect(TCPConfiguration.linux.sendBufferAccounting == .linuxTruesize)
    }

    @Test("bytes: a write takes exactly the buffer's free space")
    func byteExact() throws {
        var h = Harness.established(Harness.configuration { $0.sendBufferBytes = 10_000 })
        #expect(try h.stack.send(h.conn, Self.data(100_000), now: h.now) == 10_000)
    }

    @Test("linuxTruesize: a write fills the buffer it started, then stops once memory reaches the size")
    func overshootsByOneBuffer() throws {
        var h = Harness.established(Harness.configuration {
            $0.sendBufferBytes = 10_000
            $0.sendBufferAccounting = .linuxTruesize
        })
        // Size goal: half the 65535-byte window in whole 1460-byte segments, 32120. The first
        // buffer goes as far as cwnd (10 segments) allows and is split; the unsent part is
        // filled up to the goal again; then 46720 + 2 · 1280 >= 10000: no new buffer.
        #expect(try h.stack.send(h.conn, Self.data(100_000), now: h.now) == 46_720)
        #expect(try h.stack.send(h.conn, Self.data(1), now: h.now) == 0)
        h.drain()
        #expect(h.takeSent().reduce(0) { $0 + $1.payload.count } == 14_600)
    }

    @Test("linuxTruesize: the writer is woken only when free memory is half of what is queued")
    func wakeAtHalf() throws {
        var h = Harness.established(Harness.configuration {
            $0.sendBufferBytes = 60_000
            $0.sendBufferAccounting = .linuxTruesize
        })
        // 46720 in the first (split) buffer as above; 46720 + 2 · 1280 < 60000 starts a third
        // buffer of 32120; 78840 + 3 · 1280 >= 60000 starts no fourth.
        #expect(try h.stack.send(h.conn, Self.data(100_000), now: h.now) == 78_840)
        h.drain()
        var sent = h.takeSent().reduce(0) { $0 + $1.payload.count }
        _ = h.pollEvents()
        // 14600 acknowledged: 64240 queued, more than the buffer's size: no room.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1 + sent), at: 0.1)
        #expect(!h.pollEvents().contains { if case .writable = $0 { true } else { false } })
        // Acknowledge all that is sent, ACK by ACK, until the writer is woken: that happens on
        // the first ACK after which data plus per-buffer overhead is at most 2/3 of 60000.
        var woken = false
        var before = h.stack.info(of: h.conn)!.bytesBuffered
        for k in 0..<30 where !woken {
            h.drain()
            sent += h.takeSent().reduce(0) { $0 + $1.payload.count }
            h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1 + sent), at: 0.2 + Double(k) * 0.1)
            let after = h.stack.info(of: h.conn)!.bytesBuffered
            woken = h.pollEvents().contains { if case .writable = $0 { true } else { false } }
            if woken {
                #expect(after + 1_280 <= 40_000)   // at least one buffer left
                #expect(before + 2 * 1_280 > 40_000)   // the ACK before left too little room
            }
            before = after
        }
        #expect(woken)
    }
}
