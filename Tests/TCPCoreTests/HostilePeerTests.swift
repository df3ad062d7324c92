// A hostile or broken peer: random segments (any flags, any numbers, any window, data of any
// size) and random application calls against connections in every state. The engine must never
// trap, never emit a packet TCPWire cannot parse (the harness checks every one), keep its
// sequence variables coherent, and never hang: once the peer goes quiet, its timers run out in
// bounded time. Seeded, so a failure names the seed that reproduces it.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Hostile peer")
struct HostilePeerTests {
    static let fixtures: [(String, @Sendable () -> Harness)] = [
        ("LISTEN", { Harness.listen() }), ("SYN-SENT", { Harness.synSent() }), ("SYN-RECEIVED", { Harness.synReceived() }),
        ("ESTABLISHED", { Harness.established() }), ("FIN-WAIT-1", { Harness.finWait1() }), ("FIN-WAIT-2", { Harness.finWait2() }),
        ("CLOSING", { Harness.closing() }), ("TIME-WAIT", { Harness.timeWait() }), ("CLOSE-WAIT", { Harness.closeWait() }),
        ("LAST-ACK", { Harness.lastAck() }),
    ]

    @Test("random segments and calls never trap, keep the TCB coherent, and end", arguments: 1...30)
    func randomPeer(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var accepted = 0   // segments the engine did not drop: the fuzz must get past the first checks
        for episode in 0..<6 {
            let (name, make) = Self.fixtures[Int(seed &+ UInt64(episode) &* 7) % Self.fixtures.count]
            var h = make()
            var t = h.now.seconds
            for step in 0..<120 {
                t += Double(rng.next() % 1000) / 4000   // up to 0.25 s between events
                let roll = rng.next() % 100
                if roll < 80 {
                    let dropsBefore = h.stack.statistics.drops.values.reduce(0, +)
                    h.send(randomSegment(&rng, h), at: t)
                    if h.stack.statistics.drops.values.reduce(0, +) == dropsBefore { accepted += 1 }
                } else if let conn = h.conn {
                    h.advance(to: t)
                    let now = h.now
                    switch roll % 6 {
                    case 0: _ = try? h.stack.send(conn, [UInt8](repeating: 0x42, count: Int(rng.next() % 3000)), now: now)
                    case 1: _ = try? h.stack.receive(conn, maxBytes: Int(rng.next() % 5000) + 1, now: now)
                    case 2: try? h.stack.shutdown(conn, now: now)
                    case 3 where rng.next() % 8 == 0: try? h.stack.close(conn, now: now)
                    case 4 where rng.next() % 16 == 0: try? h.stack.abort(conn, now: now)
                    default: _ = h.stack.nextDeadline
                    }
                    h.drain()
                }
                if let info = h.conn.flatMap({ h.stack.info(of: $0) }), info.state != .closed {
                    #expect(info.sndUna <= info.sndNxt, "seed \(seed) (\(name)) step \(step): SND.UNA after SND.NXT")
                    #expect(info.rcvWnd <= 65535)
                    #expect(info.bytesReadable <= h.stack.configuration.receiveBufferBytes)
                    #expect(info.bytesBuffered <= h.stack.configuration.sendBufferBytes)
                }
                #expect(h.stack.connectionCount <= 2, "seed \(seed): connections pile up")
                _ = h.takeSent()
            }
            // The peer goes quiet: every timer must run out in bounded virtual time and steps.
            var steps = 0
            while let d = h.stack.nextDeadline, steps < 10_000 {
                h.advance(to: d)
                steps += 1
            }
            #expect(steps < 10_000, "seed \(seed) (\(name)): timers never stop")
            _ = h.takeSent()
        }
        #expect(accepted > 25, "seed \(seed): only \(accepted) segments got past the checks; the fuzz is too blind")
    }

    /// A segment near the connection's numbers most of the time, anywhere sometimes.
    func randomSegment(_ rng: inout SplitMix64, _ h: Harness) -> Seg {
        var flags = TCPFlags(rawValue: UInt8(truncatingIfNeeded: rng.next()))
        if rng.next() % 20 != 0 { flags.remove([.syn, .rst]) }   // mostly plain segments
        if rng.next() % 10 != 0 { flags.insert(.ack) }
        if rng.next() % 15 != 0 { flags.remove(.fin) }
        func near(_ base: SequenceNumber) -> SequenceNumber {
            switch rng.next() % 10 {
            case 0: return SequenceNumber(UInt32(truncatingIfNeeded: rng.next()))
            case 1, 2: return base + Int(Int64(rng.next() % 140_000) - 70_000)
            case 3: return base + Int(Int64(rng.next() % 3000) - 1500)
            default: return base
            }
        }
        let rcv = h.conn.flatMap { h.stack.info(of: $0) }
        let seq = near(rcv?.rcvNxt ?? h.irs + 1)
        let ack = rng.next() % 3 == 0 ? near(rcv?.sndNxt ?? h.iss + 1)
            : (rcv.map { $0.sndUna + Int(rng.next() % UInt64(max(1, Int($0.sndNxt - $0.sndUna) + 1))) } ?? h.iss + 1)
        let length = rng.next() % 4 == 0 ? 0 : Int(rng.next() % 1500)
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        let window = UInt16(truncatingIfNeeded: rng.next() % 3 == 0 ? 0 : rng.next())
        return Seg(flags, seq: seq, ack: ack, window: window, mss: rng.next() % 5 == 0 ? UInt16(truncatingIfNeeded: rng.next()) : nil, payload: payload)
    }
}
