import Testing
import TCPWire
@testable import TCPCore

/// The per-ACK scans' closed forms (`Scoreboard.markedRecords` == 0) against the RFC's
/// definitions, computed here record by record.
@Suite("Scoreboard: SetPipe, IsLost and RACK without marks match the full scans")
struct ScoreboardTests {
    /// RFC 6675 §4 SetPipe, from the records.
    static func referencePipe(_ sb: Scoreboard) -> Int {
        (0..<sb.count).reduce(0) { p, i in
            let r = sb[i]
            guard !r.sacked else { return p }
            return p + (r.flags.contains(.lost) ? 0 : r.length) + (r.flags.contains(.retransmitted) ? r.length : 0)
        }
    }

    /// Ten 1000-byte records sent 1 ms apart from 0.1 s.
    static func board() -> Scoreboard {
        let sb = Scoreboard(capacity: 32)
        for k in 0..<10 {
            sb.append(start: SequenceNumber(UInt32(1000 + 1000 * k)), end: SequenceNumber(UInt32(2000 + 1000 * k)),
                      fin: false, now: seconds(0.1 + 0.001 * Double(k)))
        }
        return sb
    }

    @Test("pipe follows acknowledgments, splits, SACKs, losses and retransmissions")
    func pipe() {
        let sb = Self.board()
        #expect(sb.markedRecords == 0)
        #expect(sb.computePipe() == 10_000)
        sb.acknowledge(upTo: SequenceNumber(2500)) { _ in }   // one record gone, one trimmed
        #expect(sb.computePipe() == 8_500 && sb.computePipe() == Self.referencePipe(sb))
        #expect(sb.split(3, at: SequenceNumber(5200)))
        #expect(sb.markedRecords == 0 && sb.computePipe() == 8_500)
        _ = sb.sack(SequenceNumber(6000), SequenceNumber(9000)) { _ in }
        #expect(sb.markedRecords == 3)
        #expect(sb.computePipe() == 5_500 && sb.computePipe() == Self.referencePipe(sb))
        // 3000 SACKed bytes above the five records of [2500, 6000): lost (RFC 6675 IsLost), out of pipe.
        #expect(sb.markLostBySACK(mss: 1000) == 5)
        #expect(sb.computePipe() == 2_000 && sb.computePipe() == Self.referencePipe(sb))
        var r = sb[0]
        r.flags.insert([.retransmitted, .everRetransmitted])
        sb[0] = r
        #expect(sb.computePipe() == Self.referencePipe(sb))
        // Everything marked is acknowledged: no marks are left, and the closed form is back.
        sb.acknowledge(upTo: SequenceNumber(9000)) { _ in }
        #expect(sb.markedRecords == 0)
        #expect(sb.computePipe() == 2_000 && sb.computePipe() == Self.referencePipe(sb))
    }

    @Test("without SACKs IsLost marks nothing; RACK marks exactly the records sent before the delivered one by more than RACK.rtt")
    func lossDetection() {
        let sb = Self.board()
        #expect(sb.markLostBySACK(mss: 1000) == 0)
        // The 6th record (sent at 0.105 s) delivered out of order, with RACK.rtt 1 ms: at 0.110 s
        // the five records before it are overdue (sent ≤ 0.104 s; 0.104 + 0.001 < 0.110), the
        // four after it are not (they were sent after it).
        let sixth = sb[5]
        sb.rackXmit = sixth.sentAt
        sb.rackEndSeq = sixth.end
        sb.rackRTT = 1_000_000
        sb.rackHasDelivery = true
        let (marked, timeout) = sb.rackDetectLoss(now: seconds(0.110), reoWnd: 0)
        #expect(marked == 5 && timeout == nil)
        #expect((0..<5).allSatisfy { sb[$0].flags.contains(.lost) })
        #expect((5..<10).allSatisfy { !sb[$0].flags.contains(.lost) })
        #expect(sb.markedRecords == 5)
        // With marks the scan visits everything and finds the same (nothing more is overdue).
        #expect(sb.rackDetectLoss(now: seconds(0.110), reoWnd: 0).marked == 0)
    }
}
