// Packetization-layer path MTU discovery (RFC 4821, TCPStack+PathMTUProbing.swift): a path whose
// MTU is smaller than the hosts' drops the bigger packets and sends no ICMP (a black hole). Two
// stacks over `Link`; A sends, B reads and checks every byte. Without probing the transfer
// stalls; with it the send MSS drops after three timeouts (R1) and a binary search finds the path's
// size, lost probes cost no congestion response, and the search starts again later.

import Testing
import TCPWire
import TCPCore

@Suite("Path MTU probing (RFC 4821)")
struct PathMTUProbingTests {
    /// A 1280-byte path from A to B: IPv4 and TCP headers (40) and timestamps (12) leave 1228.
    static let pathMSS = 1280 - 40 - 12

    /// A stream A writes without end (a counter pattern) and B checks as it reads it.
    struct Stream: CustomStringConvertible {
        let a: ConnectionID
        let b: ConnectionID
        var written = 0
        var read = 0
        var corrupt = false
        var description: String { "written \(written), read \(read)\(corrupt ? ", corrupt" : "")" }
        var scratch = [UInt8](repeating: 0, count: 16384)

        /// The bytes sent: a pattern with a prime period, so a byte out of place shows.
        static let period = 65521
        static let pattern: [UInt8] = (0..<(2 * period)).map { i in UInt8(truncatingIfNeeded: (i % period) &* 7 &+ (i % period) >> 8) }

        mutating func pump(_ link: inout Link) {
            while true {
                let start = written % Self.period
                let n = Self.pattern[start..<(start + 16384)].withUnsafeBytes { (try? link.a.send(a, $0, now: link.now)) ?? 0 }
                written += n
                if n < 16384 { break }
            }
            while true {
                let r = scratch.withUnsafeMutableBytes { try? link.b.receive(b, into: $0, now: link.now) }
                guard case .data(let n)? = r else { break }
                let start = read % Self.period
                if scratch[0..<n].elementsEqual(Self.pattern[start..<(start + n)]) == false { corrupt = true }
                read += n
            }
            link.flush()
        }

        /// Runs the link until `limit` seconds, the applications acting after every step.
        mutating func run(_ link: inout Link, until limit: Double) {
            let end = Instant.seconds(limit)
            pump(&link)
            while link.step(until: end) { pump(&link) }
        }
    }

    /// Connects A to B over a link that drops A's packets larger than `mtu` bytes (no ICMP).
    static func connect(_ change: (inout TCPConfiguration) -> Void, mtu: Int, sack: Bool = true) -> (Link, Stream) {
        var link = Link(configuration: Harness.configuration {
            $0.trace = false; $0.sack = sack
            $0.sendBufferBytes = 256 * 1024   // a probe needs data queued behind it (the fixtures' 64 KiB is all in flight)
            change(&$0)
        }, delay: .milliseconds(20))
        link.keepBytes = true
        link.spacing = .microseconds(100)   // about 100 Mbit/s: each segment its own duplicate ACK
        link.dropIf = { p in p.fromA && p.bytes.count > mtu }
        let l = try! link.onB { s, _ in try s.listen(port: 80) }
        let a = try! link.onA { s, now in try s.connect(to: SocketAddress(peerIP, 80), now: now) }
        var b: ConnectionID?
        while b == nil, link.step(until: .seconds(10)) { b = try! link.b.accept(l) }
        return (link, Stream(a: a, b: b!))
    }

    @Test("black hole: full-sized segments vanish with no ICMP; after three timeouts the MSS drops and the search finds the path's size",
          arguments: [true, false])
    func blackHoleDetectedAndRecovered(sack: Bool) {
        var (link, t) = Self.connect({ _ in }, mtu: 1280, sack: sack)
        #expect(link.a.tcpInfo(of: t.a)!.sendMSS == 1448)
        t.run(&link, until: 12)
        #expect(!t.corrupt)
        #expect(t.read > 1_000_000)   // the transfer goes on (without probing it stalls: `offMeansNoChange`)
        #expect(link.a.statistics.pathMTUBlackHoles == 1)
        #expect(link.a.statistics.icmpReceived == 0)
        // The binary search between 1024 and 1448 ended within 8 bytes below the path's 1228.
        let mss = link.a.tcpInfo(of: t.a)!.sendMSS
        #expect(mss <= Self.pathMSS && mss > Self.pathMSS - 8)
        #expect(link.a.statistics.pathMTUProbesAcknowledged >= 1)
        #expect(link.a.statistics.pathMTUProbesLost >= 1)
        // Nothing larger than the path got through, and nothing larger goes once the search ended.
        let late = link.fromA.filter { $0.time > .seconds(10) }
        #expect(!late.isEmpty && late.allSatisfy { !$0.dropped })
    }

    @Test("off: the same path stays a black hole (the data never gets past the first full-sized segment)")
    func offMeansNoChange() {
        var (link, t) = Self.connect({ $0.pathMTUProbing = .off }, mtu: 1280)
        t.run(&link, until: 12)
        #expect(link.a.tcpInfo(of: t.a)!.sendMSS == 1448)
        #expect(link.a.statistics.pathMTUBlackHoles == 0)
        #expect(link.a.statistics.pathMTUProbesSent == 0)
        #expect(t.read == 0)
        #expect(link.a.tcpInfo(of: t.a)!.backoff >= 3)
    }

    @Test("a path that grows back is found again: the search restarts after the probe interval")
    func upwardSearchAfterInterval() {
        var (link, t) = Self.connect({ $0.pathMTUProbeInterval = .seconds(5) }, mtu: 1280)
        t.run(&link, until: 9)
        let low = link.a.tcpInfo(of: t.a)!.sendMSS
        #expect(low <= Self.pathMSS && low > 1024)
        // The path's MTU goes back to 1500.
        link.dropIf = { _ in false }
        t.run(&link, until: 11)
        #expect(link.a.tcpInfo(of: t.a)!.sendMSS == low)   // not before the interval
        t.run(&link, until: 16)
        #expect(link.a.tcpInfo(of: t.a)!.sendMSS > 1440)
        #expect(!t.corrupt)
    }

    @Test("a lost probe is not congestion: no recovery, no timeout, slow start goes on (.always from the start)",
          arguments: [true, false])
    func lostProbeNotCongestion(sack: Bool) {
        var (link, t) = Self.connect({ $0.pathMTUProbing = .always }, mtu: 1280, sack: sack)
        // `.always`: the connection starts at the base MSS and searches upward.
        #expect(link.a.tcpInfo(of: t.a)!.sendMSS == 1024)
        t.run(&link, until: 3)
        #expect(!t.corrupt)
        let s = link.a.statistics
        #expect(s.pathMTUProbesLost >= 1)
        #expect(s.pathMTUProbesAcknowledged >= 1)
        #expect(s.fastRetransmissions == 0 && s.sackRecoveries == 0 && s.retransmissionTimeouts == 0)
        #expect(s.retransmissions > 0)   // the lost probes' data went again, smaller
        let info = link.a.tcpInfo(of: t.a)!
        #expect(info.ssthresh == nil)      // never reduced: still in slow start
        #expect(info.sendMSS <= Self.pathMSS && info.sendMSS > Self.pathMSS - 8)
        #expect(s.pathMTUBlackHoles == 0)
    }

    @Test("classic PMTUD still wins: with ICMP the MSS drops at once, no black hole, and probing stays below it")
    func icmpStillUsed() {
        var link = Link(configuration: Harness.configuration { $0.trace = false }, delay: .milliseconds(20))
        link.keepBytes = true
        link.dropIf = { p in p.fromA && p.bytes.count > 1280 }
        let l = try! link.onB { s, _ in try s.listen(port: 80) }
        let a = try! link.onA { s, now in try s.connect(to: SocketAddress(peerIP, 80), now: now) }
        var b: ConnectionID?
        while b == nil, link.step(until: .seconds(10)) { b = try! link.b.accept(l) }
        var t = Stream(a: a, b: b!)
        // The router answers the first dropped packet with Fragmentation Needed, MTU 1280.
        var answered = false
        link.react = { l in
            guard !answered, let p = l.wire.last(where: { $0.dropped }) else { return }
            answered = true
            l.a.handle(icmpPacket: ICMPMessage.build(type: 3, code: 4, rest: 1280, from: routerIP, quoting: p.bytes), now: l.now)
        }
        t.run(&link, until: 5)
        #expect(answered)
        #expect(link.a.statistics.pathMTUReductions == 1)
        #expect(link.a.statistics.pathMTUBlackHoles == 0)
        #expect(link.a.tcpInfo(of: t.a)!.sendMSS == Self.pathMSS)
        #expect(t.read > 100_000 && !t.corrupt)
    }
}
