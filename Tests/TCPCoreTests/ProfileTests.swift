import Testing
import TCPWire
@testable import TCPCore

@Suite("Other stacks' settings in the engine: drop_synfin, FreeBSD's buffer rounding, the socket table")
struct ProfileEngineTests {
    @Test("dropSYNFIN: a SYN+FIN to a listener is dropped unanswered and counted; off, it opens a connection")
    func dropSYNFIN() {
        var h = Harness.listen(Harness.configuration { $0.dropSYNFIN = true })
        h.send(Seg([.syn, .fin], seq: h.irs, mss: 1460), at: 0)
        h.expectNothingSent()
        #expect(h.drops(.synFIN) == 1)
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0.1)
        #expect(h.takeSent().map(\.flags) == [[.syn, .ack]])
        var off = Harness.listen()
        off.send(Seg([.syn, .fin], seq: off.irs, mss: 1460), at: 0)
        #expect(off.takeSent().map(\.flags) == [[.syn, .ack]])
        #expect(off.drops(.synFIN) == 0)
    }

    @Test("receiveBufferRoundedToMSS: established, the receive buffer grows to whole segments; off, it keeps its size")
    func rounding() {
        let c = Harness.configuration { $0.receiveBufferBytes = 20_000; $0.receiveBufferRoundedToMSS = true }
        let h = Harness.established(c)
        // The peer's MSS is 1460 (the fixture's SYN): 14 segments.
        #expect(h.stack.tcpInfo(of: h.conn)?.receiveBufferBytes == 20_440)
        let plain = Harness.established(Harness.configuration { $0.receiveBufferBytes = 20_000 })
        #expect(plain.stack.tcpInfo(of: plain.conn)?.receiveBufferBytes == 20_000)
    }

    @Test("socketTable lists listeners and connections with their states and queues")
    func socketTable() {
        var h = Harness.established()
        _ = h.write(Array(repeating: 1, count: 100), at: 0.1)
        let table = h.stack.socketTable()
        #expect(table.map(\.state) == [.listen, .established])
        #expect(table[0].remote == nil && table[0].local.port == ourPort)
        #expect(table[1].remote == h.peer && table[1].local == h.ours && table[1].sendQueue == 100 && table[1].connection == h.conn)
    }
}
