// The output queue served round robin (`TCPStack.outputQuantum`): connections that all have
// data to send take turns of at most a quantum of payload each, so that a driver that sends a
// bounded number of packets per tick (StackCore.transmitBudget) shares its ticks among them.

import Testing
import TCPWire
import TCPCore

@Suite struct OutputRoundRobinTests {
    /// Two connections from A, each with `bytes` queued at once and an initial window large enough
    /// to send them all: the order in which A's `pollTransmit` hands out their data packets, as
    /// (local port, payload length).
    static func firstFlight(connections: Int, bytes: Int) -> [(port: UInt16, length: Int)] {
        var config = TCPConfiguration()
        config.initialWindowSegments = 1000
        config.sendBuffer = .fixed(2 * 1024 * 1024)
        config.receiveBuffer = .fixed(4 * 1024 * 1024)
        var link = Link(configuration: config, delay: .milliseconds(5))
        let l = try! link.onB { s, _ in try s.listen(port: 80) }
        let server = SocketAddress(peerIP, 80)
        let ids = (0..<connections).map { k in
            try! link.onA { s, now in try s.connect(to: server, localPort: 40000 + UInt16(k), now: now) }
        }
        link.run(until: 0.1)
        // A byte from B on each: its segment carries B's full (scaled) window, which the
        // SYN-ACK's unscaled field could not.
        for _ in ids {
            let b = try! link.onB { s, _ in try s.accept(l) }
            #expect(b != nil)
            if let b { _ = try! link.onB { s, now in try s.send(b, [1], now: now) } }
        }
        link.run(until: 0.2)
        // Queue every connection's data before anything is polled.
        let data = [UInt8](repeating: 7, count: bytes)
        for id in ids { #expect(try! link.a.send(id, data, now: link.now) == bytes) }
        var out: [(port: UInt16, length: Int)] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while let n = buffer.withUnsafeMutableBytes({ link.a.pollTransmit(now: link.now, into: $0) }) {
            let sent = buffer.withUnsafeBytes { parseSent(UnsafeRawBufferPointer(rebasing: $0[0..<n]), time: link.now) }
            if !sent.seg.payload.isEmpty { out.append((sent.source.port, sent.seg.payload.count)) }
        }
        return out
    }

    /// Consecutive packets of one connection, as (port, payload bytes).
    static func runs(_ packets: [(port: UInt16, length: Int)]) -> [(port: UInt16, bytes: Int)] {
        var runs: [(port: UInt16, bytes: Int)] = []
        for p in packets {
            if let last = runs.last, last.port == p.port { runs[runs.count - 1].bytes += p.length } else { runs.append((p.port, p.length)) }
        }
        return runs
    }

    @Test("connections with data to send take turns of at most a quantum each, in a fixed order")
    func turnsOfAQuantum() {
        let bytes = 600_000
        let packets = Self.firstFlight(connections: 3, bytes: bytes)
        // Everything went out (the window allowed it), no byte twice.
        for port in UInt16(40000)...40002 {
            #expect(packets.filter { $0.port == port }.reduce(0) { $0 + $1.length } == bytes)
        }
        let runs = Self.runs(packets)
        let mss = packets.map(\.length).max() ?? 0
        // 600,000 bytes in turns of about 256 KiB: three turns per connection, the last shorter.
        #expect(runs.count == 9)
        #expect(runs.allSatisfy { $0.bytes < TCPStack.outputQuantum + mss })
        #expect(runs.dropLast(3).allSatisfy { $0.bytes >= TCPStack.outputQuantum })
        #expect(runs.map(\.port) == [40000, 40001, 40002, 40000, 40001, 40002, 40000, 40001, 40002])
    }

    @Test("one connection alone sends its whole window in one turn")
    func aloneNoRotation() {
        let packets = Self.firstFlight(connections: 1, bytes: 600_000)
        #expect(Self.runs(packets).count == 1)
        #expect(packets.reduce(0) { $0 + $1.length } == 600_000)
    }
}
