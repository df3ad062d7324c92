import Testing
import TCPWire
@testable import TCPCore

/// TCP_CORK, MSG_MORE, MSG_EOR, PUSH and TCP_NOTSENT_LOWAT through the engine's API
/// (TCPStack+Corking.swift, TCPStack+NotSentLowat.swift).
@Suite struct CorkingTests {
    static func data(_ n: Int) -> [UInt8] { [UInt8](repeating: 5, count: n) }

    @Test("cork: short writes wait, full segments go; uncorking sends the rest with PSH")
    func cork() throws {
        var h = Harness.established()
        var o = try #require(h.stack.options(of: h.conn))
        o.cork = true
        o.noDelay = true
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.stack.options(of: h.conn)?.cork == true)
        h.write(Self.data(300), at: 0.1)
        h.write(Self.data(300), at: 0.2)
        #expect(h.takeSent().isEmpty)
        h.write(Self.data(1000), at: 0.3)
        let full = h.takeSent()
        #expect(full.map(\.payload.count) == [1460] && !full[0].flags.contains(.psh))
        o.cork = false
        try h.stack.setOptions(h.conn, o, now: h.now)
        let rest = h.takeSent()
        #expect(rest.map(\.payload.count) == [140] && rest[0].flags.contains(.psh))
    }

    @Test("push sends what a cork holds, once; the next write is corked again")
    func push() throws {
        var h = Harness.established()
        var o = try #require(h.stack.options(of: h.conn))
        o.cork = true
        try h.stack.setOptions(h.conn, o, now: h.now)
        h.write(Self.data(100), at: 0.1)
        #expect(h.takeSent().isEmpty)
        try h.stack.push(h.conn, now: h.now)
        #expect(h.takeSent().map(\.payload.count) == [100])
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 101), at: 0.2)
        _ = try h.stack.send(h.conn, Self.data(100), flags: [], now: h.now)
        #expect(h.takeSent().isEmpty)
    }

    @Test("MSG_MORE: the short tail waits for an ACK or a plain write and then goes without PSH")
    func more() throws {
        var h = Harness.established()
        h.advance(to: 0.1)
        #expect(try h.stack.send(h.conn, Self.data(100), flags: .more, now: h.now) == 100)
        #expect(h.takeSent().isEmpty)
        #expect(try h.stack.send(h.conn, Self.data(50), flags: [], now: h.now) == 50)
        let sent = h.takeSent()
        #expect(sent.map(\.payload.count) == [150] && sent[0].flags.contains(.psh))
        // Nagle would hold this one anyway (150 unacknowledged); the ACK releases it, no PSH.
        _ = try h.stack.send(h.conn, Self.data(10), flags: .more, now: h.now)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 151), at: 0.2)
        let tail = h.takeSent()
        #expect(tail.map(\.payload.count) == [10] && !tail[0].flags.contains(.psh))
    }

    @Test("MSG_EOR: no segment spans two records; each record's end carries PSH")
    func records() throws {
        var h = Harness.established()
        var o = try #require(h.stack.options(of: h.conn))
        o.noDelay = true
        try h.stack.setOptions(h.conn, o, now: h.now)
        h.advance(to: 0.1)
        _ = try h.stack.send(h.conn, Self.data(2000), flags: .endOfRecord, now: h.now)
        _ = try h.stack.send(h.conn, Self.data(500), flags: .endOfRecord, now: h.now)
        _ = try h.stack.send(h.conn, Self.data(1000), flags: [], now: h.now)
        let sent = h.takeSent()
        #expect(sent.map(\.payload.count) == [1460, 540, 500, 1000])
        #expect(sent.map { $0.flags.contains(.psh) } == [false, true, true, true])
    }

    @Test("notSentLowat: a write starts a new buffer only while fewer bytes are unsent")
    func notSentLowat() throws {
        var h = Harness.established()
        var o = try #require(h.stack.options(of: h.conn))
        o.notSentLowat = 4000
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.stack.options(of: h.conn)?.notSentLowat == 4000)
        let n = h.write(Self.data(200_000), at: 0.1)
        let info = try #require(h.stack.tcpInfo(of: h.conn))
        // The queue's head buffer went as far as IW allowed; then buffers (at most 64 KiB each)
        // until 4000 or more were unsent.
        #expect(n < 200_000)
        #expect(info.sendQueue - info.bytesInFlight >= 4000)
        #expect(info.sendQueue - info.bytesInFlight < 4000 + 65_536)
        #expect(h.write(Self.data(1000), at: 0.2) == 0)
    }
}
