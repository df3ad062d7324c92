// Every point of the source notes (Shared/seeds), shown with two stacks over a link with a 50 ms
// one-way delay. A is the client at 10.0.0.1:40000, B the server at 10.0.0.2:80. Times are exact:
// the link jumps virtual time from one delivery or deadline to the next.

import Testing
import TCPWire
import TCPCore

@Suite("The source notes")
struct NotesTests {
    static let server = SocketAddress(peerIP, 80)
    static let clientPort: UInt16 = 40000

    /// B listens on 80 and A connects at 0 s; returns A's connection and B's listener.
    static func start(_ link: inout Link) -> (ConnectionID, ListenerID) {
        let l = try! link.onB { s, _ in try s.listen(port: 80) }
        let a = try! link.onA { s, now in try s.connect(to: server, localPort: clientPort, now: now) }
        return (a, l)
    }

    /// A connected link: the handshake done (at 0.1 s for B), B's connection accepted.
    static func connected(_ link: inout Link) -> (a: ConnectionID, b: ConnectionID) {
        let (a, l) = start(&link)
        link.run(until: 0.5)
        let b = try! link.onB { s, _ in try s.accept(l) }!
        return (a, b)
    }

    static func times(_ packets: [Link.Packet]) -> [Instant] { packets.map(\.time) }

    // MARK: Opening

    @Test("three-way handshake: SYN seq=x, SYN+ACK seq=y ack=x+1, ACK seq=x+1 ack=y+1")
    func handshakeNumbers() throws {
        var link = Link()
        let (a, l) = Self.start(&link)
        link.run(until: 1)
        let w = link.wire
        #expect(w.count == 3)
        let x = w[0].seg.seq, y = w[1].seg.seq
        #expect(w[0].fromA && w[0].seg == Seg(.syn, seq: x, mss: 1460, sackOK: true))
        #expect(!w[1].fromA && w[1].seg == Seg([.syn, .ack], seq: y, ack: x + 1, mss: 1460, sackOK: true))
        #expect(w[2].fromA && w[2].seg == Seg(.ack, seq: x + 1, ack: y + 1))
        #expect(Self.times(w) == [seconds(0), seconds(0.05), seconds(0.1)])
        let b = try #require(try link.onB { s, _ in try s.accept(l) })
        // CLOSED -> SYN-SENT -> ESTABLISHED and LISTEN -> SYN-RECEIVED -> ESTABLISHED.
        #expect(link.stateChanges(link.traceA, a) == ["CLOSED -> SYN-SENT", "SYN-SENT -> ESTABLISHED"])
        #expect(link.stateChanges(link.traceB, b) == ["LISTEN -> SYN-RECEIVED", "SYN-RECEIVED -> ESTABLISHED"])
        #expect(link.eventsA == [.established(a)])
        #expect(link.eventsB == [.connectionAvailable(l), .established(b)])
        #expect(link.a.info(of: a)?.irs == y && link.b.info(of: b)?.irs == x)
    }

    @Test("the window (rwnd) is exchanged during the handshake")
    func windowExchangedDuringHandshake() {
        var link = Link(configuration: Harness.configuration { $0.receiveBufferBytes = 20000 },
                        configurationB: Harness.configuration { $0.receiveBufferBytes = 30000 })
        let (a, b) = Self.connected(&link)
        #expect(link.wire[0].seg.window == 20000 && link.wire[1].seg.window == 30000)
        #expect(link.a.info(of: a)?.sndWnd == 30000)
        #expect(link.b.info(of: b)?.sndWnd == 20000)
    }

    @Test("SYN and FIN each consume one sequence number; a pure ACK consumes none")
    func synAndFinConsumeOneSequenceNumber() {
        var link = Link()
        let (a, _) = Self.connected(&link)
        let x = link.wire[0].seg.seq
        #expect(link.wire[2].seg.seq == x + 1)                      // after the SYN
        _ = try! link.onA { s, now in try s.send(a, bytes("abc"), now: now) }
        link.run(until: 1)
        #expect(link.fromA[2].seg.seq == x + 1)                     // the pure ACK took none
        #expect(link.fromB.last?.seg.ack == x + 4)                  // three bytes
        try! link.onA { s, now in try s.shutdown(a, now: now) }
        link.run(until: 2)
        #expect(link.fromA[3].seg.flags == [.fin, .ack] && link.fromA[3].seg.seq == x + 4)
        #expect(link.fromB.last?.seg.ack == x + 5)                  // the FIN took one
    }

    @Test("a FIN may carry the last data")
    func finCarriesLastData() {
        var link = Link()
        let (a, b) = Self.connected(&link)
        let x = link.wire[0].seg.seq
        try! link.onA { s, now in
            _ = try s.send(a, bytes("bye"), now: now)
            try s.shutdown(a, now: now)
        }
        link.run(until: 1)
        #expect(link.fromA[2].seg == Seg([.fin, .psh, .ack], seq: x + 1, ack: link.wire[1].seg.seq + 1, payload: bytes("bye")))
        #expect(link.fromB.last?.seg.ack == x + 5)
        #expect(try! link.onB { s, now in try s.receive(b, now: now) } == bytes("bye"))
        #expect(try! link.onB { s, now in try s.receive(b, now: now) } == nil)
    }

    @Test("data on the third handshake segment is accepted")
    func dataOnTheThirdHandshakeSegment() throws {
        var link = Link()
        let (a, l) = Self.start(&link)
        _ = try link.onA { s, now in try s.send(a, bytes("GET / HTTP/1.0\r\n\r\n"), now: now) }
        link.run(until: 1)
        let x = link.wire[0].seg.seq, y = link.wire[1].seg.seq
        #expect(link.fromA.count == 2)
        #expect(link.fromA[1].seg == Seg([.psh, .ack], seq: x + 1, ack: y + 1, payload: bytes("GET / HTTP/1.0\r\n\r\n")))
        let b = try #require(try link.onB { s, _ in try s.accept(l) })
        #expect(try link.onB { s, now in try s.receive(b, now: now) } == bytes("GET / HTTP/1.0\r\n\r\n"))
        #expect(link.fromB.last?.seg.ack == x + 19)
    }

    // MARK: Losing a handshake segment

    @Test("lost SYN: the client sends it again after 1 s, then 2 s more (RTO doubling)")
    func lostSYN() {
        var link = Link()
        link.dropIf = { $0.fromA && $0.index < 2 }   // the first two SYNs
        let (a, _) = Self.start(&link)
        link.run(until: 10)
        #expect(Self.times(link.fromA.filter { $0.seg.flags == .syn }) == [seconds(0), seconds(1), seconds(3)])
        #expect(link.fromA.map(\.seg.seq).allSatisfy { $0 == link.wire[0].seg.seq || $0 == link.wire[0].seg.seq + 1 })
        #expect(link.a.state(of: a) == .established)
        #expect(link.traceA.contains { $0.kind == .state(from: .synSent, to: .established) && $0.time == seconds(3.1) })
    }

    @Test("lost SYN-ACK: the server sends it again at 1 s and 3 s; the client's SYN retransmissions cross them")
    func lostSYNACK() {
        var link = Link()
        link.dropIf = { !$0.fromA && $0.index < 2 }  // the first two SYN-ACKs
        let (a, l) = Self.start(&link)
        link.run(until: 10)
        #expect(Self.times(link.fromA.filter { $0.seg.flags == .syn }) == [seconds(0), seconds(1), seconds(3)])
        #expect(Self.times(link.fromB) == [seconds(0.05), seconds(1.05), seconds(3.05)])
        #expect(link.fromB.allSatisfy { $0.seg.flags == [.syn, .ack] && $0.seg.seq == link.fromB[0].seg.seq })
        #expect(link.a.state(of: a) == .established)
        let b = try! link.onB { s, _ in try s.accept(l) }!
        #expect(link.b.state(of: b) == .established)
    }

    @Test("lost final ACK: the server's SYN-ACK retransmissions (1 s, then 2 s later) draw it again")
    func lostFinalACK() {
        var link = Link()
        link.dropIf = { $0.fromA && ($0.index == 1 || $0.index == 2) }   // the ACK and its first repeat
        let (a, l) = Self.start(&link)
        link.run(until: 10)
        #expect(Self.times(link.fromB) == [seconds(0.05), seconds(1.05), seconds(3.05)])
        #expect(Self.times(link.fromA) == [seconds(0), seconds(0.1), seconds(1.1), seconds(3.1)])
        #expect(link.fromA.dropFirst().allSatisfy { $0.seg.flags == .ack })
        #expect(link.a.state(of: a) == .established)   // the client never noticed
        let b = try! link.onB { s, _ in try s.accept(l) }!
        #expect(link.traceB.contains { $0.connection == b && $0.kind == .state(from: .synReceived, to: .established) && $0.time == seconds(3.15) })
    }

    @Test("lost final ACK, but the client speaks first: its data completes the handshake")
    func lostFinalACKDataCompletes() {
        var link = Link()
        link.dropIf = { $0.fromA && $0.index == 1 }
        let (a, l) = Self.start(&link)
        link.run(until: 0.5)
        _ = try! link.onA { s, now in try s.send(a, bytes("hi"), now: now) }
        link.run(until: 0.8)
        let b = try! link.onB { s, _ in try s.accept(l) }!
        #expect(link.b.state(of: b) == .established)
        #expect(try! link.onB { s, now in try s.receive(b, now: now) } == bytes("hi"))
    }

    // MARK: Why three segments

    @Test("a stale duplicate SYN: the server answers SYN-ACK, the client (no such connection) RST, the half-open connection goes")
    func staleDuplicateSYNNoConnection() {
        var link = Link()
        let l = try! link.onB { s, _ in try s.listen(port: 80) }
        let client = SocketAddress(ourIP, Self.clientPort)
        link.inject(Seg(.syn, seq: 5000, mss: 1460), toB: true, from: client, to: Self.server)
        link.run(until: 5)
        #expect(link.wire.count == 2)
        #expect(!link.wire[0].fromA && link.wire[0].seg.flags == [.syn, .ack] && link.wire[0].seg.ack == 5001)
        #expect(link.wire[1].fromA && link.wire[1].seg == Seg(.rst, seq: 5001, window: 0))
        #expect(link.a.statistics.dropCount(.noConnection) == 1)
        #expect(link.b.connectionCount == 0)
        #expect(link.eventsB.isEmpty)                              // nothing for the application
        #expect(try! link.onB { s, _ in try s.accept(l) } == nil)
        let b = link.firstConnectionOnB!
        #expect(link.stateChanges(link.traceB, b) == ["LISTEN -> SYN-RECEIVED", "SYN-RECEIVED -> CLOSED"])
    }

    @Test("a stale duplicate SYN while the client is in SYN-SENT with another ISN: RST, then the real connection opens (RFC 9293 Figure 9)")
    func staleDuplicateSYNInSynSent() throws {
        var link = Link()
        let l = try link.onB { s, _ in try s.listen(port: 80) }
        let client = SocketAddress(ourIP, Self.clientPort)
        link.inject(Seg(.syn, seq: 5000, mss: 1460), toB: true, from: client, to: Self.server)
        let a = try link.onA { s, now in try s.connect(to: Self.server, localPort: Self.clientPort, now: now) }
        let x = link.fromA[0].seg.seq
        link.run(until: 10)
        // The client refuses the SYN-ACK for the old SYN: <SEQ=SEG.ACK><CTL=RST>.
        #expect(link.fromA.contains { $0.seg == Seg(.rst, seq: 5001, window: 0) })
        #expect(link.a.statistics.dropCount(.synSentBadACK) >= 1)
        // The stale half-open connection died without being offered to the application ...
        let stale = link.firstConnectionOnB!
        #expect(link.stateChanges(link.traceB, stale) == ["LISTEN -> SYN-RECEIVED", "SYN-RECEIVED -> CLOSED"])
        // ... and the real one opened with the client's ISN.
        #expect(link.a.state(of: a) == .established)
        let b = try #require(try link.onB { s, _ in try s.accept(l) })
        #expect(link.b.info(of: b)?.irs == x)
        #expect(try link.onB { s, _ in try s.accept(l) } == nil)
        #expect(link.eventsB.filter { if case .connectionAvailable = $0 { true } else { false } }.count == 1)
    }

    // MARK: Closing

    @Test("four-way close: FIN seq=u, ACK ack=u+1, the server still sends, FIN+ACK seq=w ack=u+1, ACK seq=u+1 ack=w+1")
    func fourWayClose() {
        var link = Link(configuration: Harness.configuration { $0.msl = .seconds(1); $0.windowScaling = false })
        let (a, b) = Self.connected(&link)
        try! link.onA { s, now in try s.shutdown(a, now: now) }        // at 0.5 s
        link.run(until: 1)
        _ = try! link.onB { s, now in try s.send(b, bytes("rest"), now: now) }
        link.run(until: 1.5)
        try! link.onB { s, now in try s.shutdown(b, now: now) }
        link.run(until: 10)
        let close = Array(link.wire.dropFirst(3))
        let u = close[0].seg.seq, v = close[1].seg.seq
        #expect(close.map(\.fromA) == [true, false, false, true, false, true])
        #expect(close[0].seg == Seg([.fin, .ack], seq: u, ack: v))
        #expect(close[1].seg == Seg(.ack, seq: v, ack: u + 1))
        #expect(close[2].seg == Seg([.psh, .ack], seq: v, ack: u + 1, payload: bytes("rest")))
        #expect(close[3].seg == Seg(.ack, seq: u + 1, ack: v + 4, window: window(unread: 4)))
        let w = v + 4
        #expect(close[4].seg == Seg([.fin, .ack], seq: w, ack: u + 1))
        #expect(close[5].seg == Seg(.ack, seq: u + 1, ack: w + 1, window: window(unread: 4)))
        #expect(link.stateChanges(link.traceA, a).suffix(4) ==
                ["ESTABLISHED -> FIN-WAIT-1", "FIN-WAIT-1 -> FIN-WAIT-2", "FIN-WAIT-2 -> TIME-WAIT", "TIME-WAIT -> CLOSED"])
        #expect(link.stateChanges(link.traceB, b).suffix(3) ==
                ["ESTABLISHED -> CLOSE-WAIT", "CLOSE-WAIT -> LAST-ACK", "LAST-ACK -> CLOSED"])
        // TIME-WAIT: 2×MSL from the moment the server's FIN arrived (1.55 s).
        #expect(link.traceA.contains { $0.kind == .state(from: .timeWait, to: .closed) && $0.time == seconds(3.55) })
    }

    @Test("half-close: data sent in CLOSE-WAIT arrives at the FIN-WAIT-2 side")
    func halfClose() {
        var link = Link()
        let (a, b) = Self.connected(&link)
        try! link.onA { s, now in try s.shutdown(a, now: now) }
        link.run(until: 1)
        #expect(link.a.state(of: a) == .finWait2 && link.b.state(of: b) == .closeWait)
        _ = try! link.onB { s, now in try s.send(b, bytes("after your FIN"), now: now) }
        link.run(until: 2)
        #expect(try! link.onA { s, now in try s.receive(a, now: now) } == bytes("after your FIN"))
        #expect(link.a.state(of: a) == .finWait2)
        try! link.onB { s, now in try s.shutdown(b, now: now) }
        link.run(until: 3)
        #expect(link.a.state(of: a) == .timeWait)
        #expect(try! link.onA { s, now in try s.receive(a, now: now) } == nil)
        #expect(link.b.state(of: b) == .closed)
    }

    @Test("three-segment close: the server's ACK and FIN combined (FIN+ACK)")
    func finAckCombinedClose() {
        var link = Link()
        let (a, b) = Self.connected(&link)
        // The server's application closes as soon as it learns of the client's FIN.
        link.react = { link in
            if link.eventsB.contains(.peerClosed(b)), link.b.state(of: b) == .closeWait {
                try! link.b.shutdown(b, now: link.now)
            }
        }
        try! link.onA { s, now in try s.shutdown(a, now: now) }
        link.run(until: 2)
        let close = Array(link.wire.dropFirst(3))
        #expect(close.count == 3)
        let u = close[0].seg.seq, w = close[1].seg.seq
        #expect(close[0].fromA && close[0].seg.flags == [.fin, .ack])
        #expect(!close[1].fromA && close[1].seg == Seg([.fin, .ack], seq: w, ack: u + 1))
        #expect(close[2].fromA && close[2].seg == Seg(.ack, seq: u + 1, ack: w + 1))
        #expect(link.a.state(of: a) == .timeWait && link.b.state(of: b) == .closed)
        #expect(link.stateChanges(link.traceA, a).suffix(2) == ["FIN-WAIT-1 -> FIN-WAIT-2", "FIN-WAIT-2 -> TIME-WAIT"])
    }

    @Test("TIME-WAIT repairs a lost final ACK: the server's FIN comes again, the client ACKs again and waits 2×MSL anew")
    func lostFinalACKOfCloseRepairedFromTimeWait() {
        var link = Link(configuration: Harness.configuration { $0.msl = .seconds(5) })
        link.dropIf = { $0.fromA && $0.index == 3 }   // SYN, ACK, FIN, and then the final ACK
        let (a, b) = Self.connected(&link)
        link.run(until: 1)
        try! link.onA { s, now in try s.shutdown(a, now: now) }   // FIN at 1 s
        link.run(until: 2)
        try! link.onB { s, now in try s.shutdown(b, now: now) }   // FIN at 2 s, at A 2.05: TIME-WAIT
        link.run(until: 12.5)
        // B's FIN again at 3 s (RTO 1 s); A acknowledges at 3.05; B is CLOSED at 3.1.
        #expect(Self.times(link.fromB.filter { $0.seg.flags.contains(.fin) }) == [seconds(2), seconds(3)])
        #expect(Self.times(link.fromA.suffix(2)) == [seconds(2.05), seconds(3.05)])
        #expect(link.fromA.suffix(2).allSatisfy { $0.seg == link.fromA.last!.seg })
        #expect(link.b.state(of: b) == .closed)
        // TIME-WAIT restarted at 3.05: the original end (12.05) passed, A is still waiting.
        #expect(link.a.state(of: a) == .timeWait)
        link.run(until: 20)
        #expect(link.a.state(of: a) == .closed)
        #expect(link.traceA.contains { $0.kind == .state(from: .timeWait, to: .closed) && $0.time == seconds(13.05) })
    }

    @Test("simultaneous close: both FIN-WAIT-1 -> CLOSING -> TIME-WAIT -> CLOSED")
    func simultaneousClose() {
        var link = Link(configuration: Harness.configuration { $0.msl = .seconds(1) })
        let (a, b) = Self.connected(&link)
        try! link.onA { s, now in try s.shutdown(a, now: now) }
        try! link.onB { s, now in try s.shutdown(b, now: now) }
        link.run(until: 10)
        let path = ["ESTABLISHED -> FIN-WAIT-1", "FIN-WAIT-1 -> CLOSING", "CLOSING -> TIME-WAIT", "TIME-WAIT -> CLOSED"]
        #expect(Array(link.stateChanges(link.traceA, a).suffix(4)) == path)
        #expect(Array(link.stateChanges(link.traceB, b).suffix(4)) == path)
        // Four segments: two crossing FINs, two crossing ACKs.
        let close = Array(link.wire.dropFirst(3))
        #expect(close.map(\.seg.flags) == [[.fin, .ack], [.fin, .ack], .ack, .ack])
        #expect(link.a.connectionCount == 0 && link.b.connectionCount == 0)
    }

    @Test("simultaneous open: both SYN-SENT -> SYN-RECEIVED -> ESTABLISHED (RFC 9293 Figure 8)")
    func simultaneousOpen() throws {
        var link = Link()
        let a = try link.onA { s, now in try s.connect(to: SocketAddress(peerIP, 2222), localPort: 1111, now: now) }
        let b = try link.onB { s, now in try s.connect(to: SocketAddress(ourIP, 1111), localPort: 2222, now: now) }
        link.run(until: 2)
        let path = ["CLOSED -> SYN-SENT", "SYN-SENT -> SYN-RECEIVED", "SYN-RECEIVED -> ESTABLISHED"]
        #expect(link.stateChanges(link.traceA, a) == path)
        #expect(link.stateChanges(link.traceB, b) == path)
        // Two SYNs cross, then two SYN-ACKs; both established at 0.1 s.
        #expect(link.wire.map(\.seg.flags) == [.syn, .syn, [.syn, .ack], [.syn, .ack]])
        #expect(link.eventsA == [.established(a)] && link.eventsB == [.established(b)])
        #expect(link.traceA.contains { $0.kind == .state(from: .synReceived, to: .established) && $0.time == seconds(0.1) })
        #expect(link.a.info(of: a)?.irs == link.b.info(of: b)?.iss)
    }

    // MARK: Failing to connect

    @Test("connect to a port with no listener: RST, a .reset(.refused) event, 'connection refused'")
    func connectionRefused() throws {
        var link = Link()
        let a = try link.onA { s, now in try s.connect(to: SocketAddress(peerIP, 81), localPort: Self.clientPort, now: now) }
        link.run(until: 5)
        let x = link.wire[0].seg.seq
        #expect(link.wire.count == 2)
        #expect(link.wire[1].seg == Seg([.rst, .ack], seq: 0, ack: x + 1, window: 0))
        #expect(link.eventsA == [.reset(a, .refused)])
        #expect(link.a.state(of: a) == .closed)
        #expect(throws: TCPError.connectionRefused) { _ = try link.a.send(a, [1], now: link.now) }
        #expect(TCPError.connectionRefused.description == "connection refused")
    }

    @Test("retries exhausted: 'timed out'")
    func retriesExhausted() throws {
        var link = Link()
        link.dropIf = { $0.fromA }
        let a = try link.onA { s, now in try s.connect(to: Self.server, localPort: Self.clientPort, now: now) }
        link.run(until: 200)
        #expect(Self.times(link.fromA.filter { $0.seg.flags == .syn }) == [0, 1, 3, 7, 15, 31, 63, 123].map { seconds($0) })
        // R1 = 3 (RFC 9293 §3.8.3): negative advice and a soft error before R2's timeout.
        #expect(link.eventsA == [.negativeAdvice(a, remote: Self.server.address), .softError(a, .retransmissionThreshold), .timedOut(a)])
        #expect(link.a.state(of: a) == .closed)
        #expect(throws: TCPError.timedOut) { _ = try link.a.receive(a, now: link.now) }
        #expect(TCPError.timedOut.description == "connection timed out")
    }
}
