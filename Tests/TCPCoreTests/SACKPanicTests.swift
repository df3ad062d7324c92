// CVE-2019-11477 (SACK Panic), CVE-2019-11478 (SACK slowness) and CVE-2019-11479 (low-MSS
// resource use): a peer's MSS option cannot make the send MSS tiny, and its SACK blocks cannot
// fragment the scoreboard past `sackScoreboardLimit` nor make an ACK cost more than a bounded
// number of record visits (counted, not timed). The test plays the peer.

import Testing
import TCPWire
@testable import TCPCore

@Suite("SACK Panic and low MSS (CVE-2019-11477/8/9)")
struct SACKPanicTests {
    /// ESTABLISHED after a passive open whose SYN announced `peerMSS` and SACK-permitted.
    static func established(peerMSS: UInt16, _ configuration: TCPConfiguration = Harness.configuration(),
                            ipv6: Bool = false) -> Harness {
        Harness.establishedSACK(configuration, peerMSS: peerMSS, ipv6: ipv6)
    }

    static func connection(_ h: Harness) -> Connection { h.stack.slots[Int(h.conn.index)].connection! }

    @Test("a tiny MSS option is raised to 536 (IPv4) and 1220 (IPv6), counted", arguments: [1, 48, 100, 535] as [UInt16])
    func lowMSSRaised(_ mss: UInt16) {
        let h4 = Self.established(peerMSS: mss)
        #expect(Self.connection(h4).sendMSS == 536)
        #expect(h4.stack.statistics.peerMSSRaised == 1)
        let h6 = Self.established(peerMSS: mss, ipv6: true)
        #expect(Self.connection(h6).sendMSS == 1220)
        #expect(h6.stack.statistics.peerMSSRaised == 1)
    }

    @Test("an MSS option at or above the floor is taken as before, uncounted")
    func ordinaryMSS() {
        let h4 = Self.established(peerMSS: 536)
        #expect(Self.connection(h4).sendMSS == 536 && h4.stack.statistics.peerMSSRaised == 0)
        let h6 = Self.established(peerMSS: 1300, ipv6: true)
        #expect(Self.connection(h6).sendMSS == 1300 && h6.stack.statistics.peerMSSRaised == 0)
    }

    @Test("the floor is configurable; our own MTU still caps the send MSS; the Linux profile keeps tcp_min_snd_mss 48")
    func floorConfigurable() {
        let raised = Self.established(peerMSS: 600, Harness.configuration { $0.minimumPeerMSS = 1000 })
        #expect(Self.connection(raised).sendMSS == 1000)
        let capped = Self.established(peerMSS: 100, Harness.configuration { $0.minimumPeerMSS = 9000 })
        #expect(Self.connection(capped).sendMSS == 1460, "the floor raises the peer's option, not past our MTU")
        var linux = TCPConfiguration.linux
        linux.trace = true
        let l = Self.established(peerMSS: 100, linux)
        #expect(Self.connection(l).sendMSS == 100 && l.stack.statistics.peerMSSRaised == 0)
        let l48 = Self.established(peerMSS: 20, linux)
        #expect(Self.connection(l48).sendMSS == 64, "48, then the engine's own floor of 64 bytes")
        #expect(l48.stack.statistics.peerMSSRaised == 1)
    }

    // MARK: The scoreboard under 100,000 crafted SACK blocks

    static let mss = 1460
    static let segments = 44   // 64,240 bytes: the fixtures' 64 KiB send buffer, all in flight at once
    /// Segments the peer never got the first time (resent in recovery).
    static func lostFirstTime(_ i: Int) -> Bool { i % 5 == 0 }

    /// The attack's `k`-th ACK: four blocks over segments the peer holds, in one of three patterns.
    static func blocks(_ k: Int, base: SequenceNumber) -> [SACKBlock] {
        func start(_ i: Int) -> SequenceNumber { base + i * mss }
        var out: [SACKBlock] = []
        for j in 0..<4 {
            switch k % 3 {
            case 0:   // every other segment, whole
                var i = (k + 2 * j) % segments
                if lostFirstTime(i) { i += 1 }
                out.append(SACKBlock(left: start(i), right: start(i + 1)))
            case 1:   // fragmenting: a few bytes inside one segment, at an offset that keeps moving
                var i = (k * 7 + j * 11) % segments
                if lostFirstTime(i) { i += 1 }
                let offset = (k * 37 + j * 13) % (mss - 60) + 1
                let length = 1 + (k &* (j + 3)) % 50
                out.append(SACKBlock(left: start(i) + offset, right: start(i) + offset + length))
            default:   // moving edges: across two held segments, the left edge walking through the first
                var i = (k / 3 + j * 9) % (segments - 1)
                while lostFirstTime(i) || lostFirstTime(i + 1) { i = (i + 1) % (segments - 1) }
                let edge = (k * 97) % mss
                out.append(SACKBlock(left: start(i) + edge, right: start(i + 1) + (mss - k % 200)))
            }
        }
        return out
    }

    @Test("100,000 crafted SACK blocks: the scoreboard stays within its cap, each ACK visits a bounded number of records, every byte arrives intact",
          arguments: [nil, 64] as [Int?])
    func sackPanic(_ limit: Int?) {
        var h = Self.established(peerMSS: UInt16(Self.mss), Harness.configuration {
            $0.initialWindowSegments = 50
            if let limit { $0.sackScoreboardLimit = limit }
        })
        let data = (0..<(Self.segments * Self.mss)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let base = h.iss + 1
        #expect(h.write(data, at: 0.2) == data.count)
        // The peer: what it holds, checked byte for byte against what was written.
        var received = [UInt8](repeating: 0, count: data.count)
        var held = [Bool](repeating: false, count: data.count)
        var corrupt = 0
        func take(_ sent: [Seg], dropLost: Bool) {
            for s in sent where !s.payload.isEmpty {
                let offset = Int(s.seq - base)
                if dropLost && Self.lostFirstTime(offset / Self.mss) { continue }
                for (n, b) in s.payload.enumerated() {
                    if b != data[offset + n] { corrupt += 1 }
                    received[offset + n] = b
                    held[offset + n] = true
                }
            }
        }
        let flight = h.takeSent()
        #expect(flight.count == Self.segments, "one flight of \(Self.segments) segments")
        take(flight, dropLost: true)

        let sb = Self.connection(h).scoreboard!
        let cap = sb.capacity
        #expect(cap <= (limit ?? 8192))
        if let limit { #expect(cap == limit) }
        var largest = 0, mostVisits = 0
        var t = 0.3
        for k in 0..<25_000 {
            let before = sb.visits
            h.send(Seg(.ack, seq: h.irs + 1, ack: base, sack: Self.blocks(k, base: base)), at: t)
            t += 0.000_001   // 25 ms in all: no retransmission timeout during the attack
            mostVisits = max(mostVisits, sb.visits &- before)
            largest = max(largest, sb.count)
            take(h.takeSent(), dropLost: false)
        }
        let s = h.stack.statistics
        #expect(s.sackBlocksReceived >= 100_000)
        #expect(largest <= cap, "at most \(cap) records, saw \(largest)")
        #expect(largest == cap, "the fragmenting patterns fill the scoreboard")
        #expect(s.sackScoreboardLimitHits > 0, "edges refused at the cap are counted")
        // Per ACK: each of four blocks walks at most the records plus its two splits; IsLost,
        // SetPipe and RACK each scan the records once.
        #expect(mostVisits <= 4 * (cap + 2) + 3 * cap, "\(mostVisits) record visits on one ACK")
        #expect(h.state == .established)

        // An honest peer from here: cumulative ACK of what it holds, SACK blocks for the rest,
        // timers run, until everything is acknowledged.
        var rounds = 0
        while rounds < 500 {
            rounds += 1
            let cumulative = held.firstIndex(of: false) ?? data.count
            var ranges: [SACKBlock] = []
            var i = cumulative
            while i < data.count && ranges.count < 4 {
                while i < data.count && !held[i] { i += 1 }
                let l = i
                while i < data.count && held[i] { i += 1 }
                if i > l { ranges.append(SACKBlock(left: base + l, right: base + i)) }
            }
            t += 0.05
            h.send(Seg(.ack, seq: h.irs + 1, ack: base + cumulative, sack: ranges), at: t)
            if cumulative == data.count { break }
            var sent = h.takeSent()
            if sent.isEmpty, let next = h.nextSent(until: t + 130) {
                t = max(t, Double(next.time.nanoseconds) / 1e9)
                sent = [next.seg] + h.takeSent()
            }
            take(sent, dropLost: false)
        }
        let c = Self.connection(h)
        #expect(corrupt == 0, "every byte sent equals the byte written")
        #expect(received == data, "the peer holds every byte")
        #expect(c.sndUna == base + data.count && c.sndUna == c.sndMax, "all acknowledged after \(rounds) rounds")
        #expect(h.state == .established)
        #expect(c.scoreboard!.count == 0 && c.scoreboard!.sackedBytes == 0)
    }
}
