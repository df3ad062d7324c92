// Transmit offloads (TSO, checksum offload) and large received segments (GRO), with two engines
// over `Link`: a TSO packet is cut into wire segments by `OffloadDevice`, a small stand-in for
// what Linux's `tcp_gso_segment` does to a packet a TUN device with IFF_VNET_HDR is given.

import Testing
import TCPWire
import TCPCore

/// The device under a stack polled with offloads: completes partial checksums and cuts TSO
/// packets into `segmentSize` pieces, each with a copy of the IP and TCP headers (options
/// included), its own sequence number, IP length, IPv4 identification and checksums, and FIN and
/// PSH on the last piece only.
enum OffloadDevice {
    static func finish(_ packet: [UInt8], _ t: TransmittedPacket, cut: Bool = true) -> [[UInt8]] {
        #expect(packet.count == t.length)
        let ip = t.ipHeaderLength
        #expect(t.isIPv6 == (packet[0] >> 4 == 6))
        #expect(t.transportHeaderLength == ip + Int(packet[ip + 12] >> 4) * 4)
        var p = packet
        if t.checksumPartial {
            p.withUnsafeMutableBytes { TCPPacket.completeChecksum($0, start: ip, offset: TransmittedPacket.checksumOffset) }
        }
        // The packet as a whole is a valid segment (the pseudo-header holds its full length).
        #expect(p.withUnsafeBytes { (try? TCPPacket.parse($0)) != nil })
        guard t.segmentSize > 0, cut else { return [p] }
        return segment(p, t)
    }

    static func segment(_ packet: [UInt8], _ t: TransmittedPacket) -> [[UInt8]] {
        let ip = t.ipHeaderLength, headers = t.transportHeaderLength
        let payloadCount = packet.count - headers
        let seq0 = UInt32(packet[ip + 4]) << 24 | UInt32(packet[ip + 5]) << 16 | UInt32(packet[ip + 6]) << 8 | UInt32(packet[ip + 7])
        let id0 = UInt16(packet[4]) << 8 | UInt16(packet[5])
        var out: [[UInt8]] = []
        var offset = 0
        while offset < payloadCount {
            let n = min(t.segmentSize, payloadCount - offset)
            let last = offset + n == payloadCount
            var q = Array(packet[0..<headers]) + packet[(headers + offset)..<(headers + offset + n)]
            put32(&q, ip + 4, seq0 &+ UInt32(offset))
            if !last { q[ip + 13] &= ~UInt8(0x01 | 0x08) }   // FIN, PSH
            if t.isIPv6 {
                put16(&q, 4, UInt16(q.count - 40))
            } else {
                put16(&q, 2, UInt16(q.count))
                put16(&q, 4, id0 &+ UInt16(out.count))
                put16(&q, 10, 0)
                put16(&q, 10, q.withUnsafeBytes { InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: $0[0..<ip])) })
            }
            put16(&q, ip + 16, 0)
            var c = InternetChecksum()
            q.withUnsafeBytes { b in
                if t.isIPv6 {
                    c.add(UnsafeRawBufferPointer(rebasing: b[8..<40]))
                    c.add(UInt32(q.count - ip)); c.add(UInt32(6))
                } else {
                    c.add(UnsafeRawBufferPointer(rebasing: b[12..<20]))
                    c.add(UInt16(6)); c.add(UInt16(q.count - ip))
                }
                c.add(UnsafeRawBufferPointer(rebasing: b[ip...]))
            }
            put16(&q, ip + 16, c.value)
            out.append(q)
            offset += n
        }
        return out
    }

    static func put16(_ b: inout [UInt8], _ at: Int, _ v: UInt16) { b[at] = UInt8(v >> 8); b[at + 1] = UInt8(truncatingIfNeeded: v) }
    static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        put16(&b, at, UInt16(v >> 16)); put16(&b, at + 2, UInt16(truncatingIfNeeded: v))
    }
}

/// A drop rule with memory: drops the first packet `matches` accepts, once.
final class DropOnce {
    var dropped: Link.Packet?
    let matches: (Link.Packet) -> Bool
    init(_ matches: @escaping (Link.Packet) -> Bool) { self.matches = matches }
    func callAsFunction(_ p: Link.Packet) -> Bool {
        guard dropped == nil, matches(p) else { return false }
        dropped = p
        return true
    }
}

@Suite("Segmentation offload: TSO, checksum offload, GRO")
struct SegmentationOffloadTests {
    /// What a TUN device with TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 takes.
    static let tso = TransmitOffload(maximumSegmentBytes: 65535 - 40 - 60, checksum: true)

    static func data(_ n: Int, seed: UInt64 = 7) -> [UInt8] {
        var r = SplitMix64(seed: seed)
        return (0..<n).map { _ in UInt8(truncatingIfNeeded: r.next()) }
    }

    static func configuration(sack: Bool = true) -> TCPConfiguration {
        var c = TCPConfiguration()
        c.sack = sack
        return c
    }

    /// Moves `bytes` from A to B over a link with 5 ms one-way delay, A polled with `offload`
    /// (nil: the plain `pollTransmit`).
    static func transfer(_ bytes: [UInt8], offload: TransmitOffload?, cut: Bool = true, sack: Bool = true, ipv6: Bool = false,
                         lossRate: Double = 0, dropIf: ((Link.Packet) -> Bool)? = nil) -> (Link, Transfer) {
        var link = Link(configuration: configuration(sack: sack), delay: .milliseconds(5))
        link.offloadA = offload
        link.cutLargeSegments = cut
        link.keepBytes = true
        let l = try! link.onB { s, _ in try s.listen(port: 80) }
        let server = SocketAddress(ipv6 ? peerIP6 : peerIP, 80)
        let a = try! link.onA { s, now in try s.connect(to: server, localPort: 40000, now: now) }
        link.run(until: 0.1)
        let b = try! link.onB { s, _ in try s.accept(l) }!
        link.lossRate = lossRate
        if let dropIf { link.dropIf = dropIf }
        var t = Transfer(a: a, b: b, aToB: bytes, bToA: [])
        t.run(&link, until: 120)
        return (link, t)
    }

    // MARK: Checksum offload

    @Test("a partial checksum finished over the TCP header and payload equals the full one", arguments: [false, true])
    func partialChecksum(ipv6: Bool) throws {
        let src = ipv6 ? ourIP6 : ourIP, dst = ipv6 ? peerIP6 : peerIP
        var h = TCPHeader(sourcePort: 40000, destinationPort: 80, sequenceNumber: SequenceNumber(3_000_000_000),
                          acknowledgmentNumber: SequenceNumber(123_456_789), flags: [.ack, .psh], window: 4321)
        h.options.timestamp = TCPTimestamp(value: 0xdead_beef, echoReply: 0x0102_0304)
        for count in [0, 1, 1001, 1448] {
            let payload = Self.data(count, seed: UInt64(count))
            let full = try TCPPacket.build(source: src, destination: dst, header: h, payload: payload)
            var partial = [UInt8](repeating: 0, count: full.count)
            let n = try partial.withUnsafeMutableBytes { out in
                try payload.withUnsafeBytes { p in
                    try TCPPacket.emit(source: src, destination: dst, header: h, payloadLength: count, checksum: .partial, into: out) {
                        if count > 0 { $0.copyMemory(from: p) }
                    }
                }
            }
            #expect(n == full.count)
            let ip = ipv6 ? 40 : 20
            // Only the checksum differs, and it holds the pseudo-header sum, not complemented.
            #expect(Array(partial[..<(ip + 16)]) == Array(full[..<(ip + 16)]))
            #expect(Array(partial[(ip + 18)...]) == Array(full[(ip + 18)...]))
            var pseudo = InternetChecksum()
            TCPPacket.addPseudoHeader(&pseudo, source: src, destination: dst, tcpLength: full.count - ip)
            #expect(UInt16(partial[ip + 16]) << 8 | UInt16(partial[ip + 17]) == ~pseudo.value)
            partial.withUnsafeMutableBytes { TCPPacket.completeChecksum($0, start: ip, offset: 16) }
            #expect(partial == full)
        }
    }

    // MARK: TSO

    @Test("offload .none writes what pollTransmit(now:into:) writes, byte for byte (with loss, both ways)")
    func noneIsUnchanged() {
        func run(_ offload: TransmitOffload?) -> [[UInt8]] {
            var link = Link(configuration: Self.configuration(), delay: .milliseconds(5))
            link.offloadA = offload
            link.offloadB = offload
            link.keepBytes = true
            let (a, l) = NotesTests.start(&link)
            link.run(until: 0.1)
            let b = try! link.onB { s, _ in try s.accept(l) }!
            link.lossRate = 0.02
            var t = Transfer(a: a, b: b, aToB: Self.data(300_000), bToA: Self.data(100_000, seed: 8))
            t.run(&link, until: 60)
            #expect(t.receivedByB == Self.data(300_000) && t.receivedByA == Self.data(100_000, seed: 8))
            return link.wire.map(\.bytes)
        }
        let plain = run(nil)
        #expect(plain.count > 300)
        #expect(run(TransmitOffload.none) == plain)
        #expect(run(TransmitOffload(maximumSegmentBytes: 1000)) == plain)   // not above the MSS: no TSO
    }

    @Test("with TSO and checksum offload the device's cuts give exactly the segments sent one by one",
          arguments: [(false, true, 0.0), (true, true, 0.0), (false, true, 0.01), (true, false, 0.01), (false, false, 0.03), (false, true, 0.03)])
    func tsoCutsEqualOneByOne(ipv6: Bool, sack: Bool, loss: Double) {
        let bytes = Self.data(1 << 20)
        let (plain, p) = Self.transfer(bytes, offload: nil, sack: sack, ipv6: ipv6, lossRate: loss)
        let (offloaded, o) = Self.transfer(bytes, offload: Self.tso, sack: sack, ipv6: ipv6, lossRate: loss)
        #expect(p.receivedByB == bytes && o.receivedByB == bytes)
        #expect(offloaded.wire.count == plain.wire.count)
        if let i = offloaded.wire.indices.first(where: { $0 < plain.wire.count && offloaded.wire[$0].bytes != plain.wire[$0].bytes }) {
            Issue.record("wire differs from packet \(i): \(offloaded.wire[i]) with TSO, \(plain.wire[i]) one by one")
        }
        if loss > 0 { #expect(plain.wire.contains { $0.dropped } && plain.a.statistics.retransmissions > 0) }
        // Far fewer packets handed over, and some of them large.
        #expect(offloaded.a.statistics.largeSegmentsSent > 0)
        #expect(offloaded.packetsFromA * 2 < offloaded.fromA.count)
        #expect((offloaded.fromA.map(\.piece).max() ?? 0) >= 10)
        // Counters count wire segments.
        #expect(offloaded.a.statistics.segmentsSent == offloaded.fromA.count)
        #expect(offloaded.a.statistics.segmentsSent == plain.a.statistics.segmentsSent)
        #expect(offloaded.a.statistics.retransmissions == plain.a.statistics.retransmissions)
        #expect(plain.a.statistics.largeSegmentsSent == 0)
    }

    @Test("a blackout loses a whole flight: resent after the timeout, in TSO segments, the wire as one by one", arguments: [true, false])
    func blackout(sack: Bool) {
        let bytes = Self.data(1 << 20)
        let lose: (Link.Packet) -> Bool = { $0.fromA && $0.time >= seconds(0.14) && $0.time < seconds(0.3) }
        let (plain, p) = Self.transfer(bytes, offload: nil, sack: sack, dropIf: lose)
        let (offloaded, o) = Self.transfer(bytes, offload: Self.tso, sack: sack, dropIf: lose)
        #expect(p.receivedByB == bytes && o.receivedByB == bytes)
        #expect(plain.a.statistics.retransmissionTimeouts > 0)
        #expect(offloaded.wire.count == plain.wire.count)
        if let i = offloaded.wire.indices.first(where: { $0 < plain.wire.count && offloaded.wire[$0].bytes != plain.wire[$0].bytes }) {
            Issue.record("wire differs from packet \(i): \(offloaded.wire[i]) with TSO, \(plain.wire[i]) one by one")
        }
        #expect(Self.resentInLargeSegments(offloaded) > 0)
        #expect(offloaded.a.statistics.retransmissions == plain.a.statistics.retransmissions)
    }

    /// Wire segments from A that repeat data (seq below the highest end sent before) and were cut
    /// from a TSO packet (not its first piece).
    static func resentInLargeSegments(_ link: Link) -> Int {
        var highest: SequenceNumber?
        var n = 0
        for p in link.fromA where !p.seg.payload.isEmpty {
            if let h = highest, p.seg.seq < h, p.piece > 0 { n += 1 }
            let end = p.seg.seq + p.seg.payload.count
            if highest.map({ end > $0 }) ?? true { highest = end }
        }
        return n
    }

    @Test("an application writing in pieces without a FIN: Nagle holds the same short tails with TSO", arguments: [false, true])
    func nagleTails(noDelay: Bool) throws {
        func run(_ offload: TransmitOffload?) -> Link {
            var link = Link(configuration: Self.configuration(), delay: .milliseconds(5))
            link.offloadA = offload
            link.keepBytes = true
            let (a, _) = NotesTests.connected(&link)
            if noDelay {
                var o = ConnectionOptions(); o.noDelay = true
                try! link.a.setOptions(a, o, now: link.now)
            }
            var t = 0.5
            // A short segment goes, then more data while it is unacknowledged: one by one, Nagle
            // (Minshall) sends the full segments and holds the short rest; so must TSO.
            for (i, n) in [700, 5_000, 20, 3_000, 10_000, 10_000, 700, 30_001, 5, 100_000, 2_900, 1_000].enumerated() {
                link.run(until: t)
                _ = link.onA { s, now in Self.data(n, seed: UInt64(i)).withUnsafeBytes { try! s.send(a, $0, now: now) } }
                t += i % 3 == 2 ? 0.02 : 0.001
            }
            link.run(until: 5)
            return link
        }
        let plain = run(nil), offloaded = run(Self.tso)
        #expect(offloaded.wire.count == plain.wire.count)
        if let i = offloaded.wire.indices.first(where: { $0 < plain.wire.count && offloaded.wire[$0].bytes != plain.wire[$0].bytes }) {
            Issue.record("wire differs from packet \(i): \(offloaded.wire[i]) with TSO, \(plain.wire[i]) one by one")
        }
        #expect(offloaded.a.statistics.largeSegmentsSent > 0)
    }

    @Test("4 MiB intact with TSO on and off, about the same number of wire segments", arguments: [true, false])
    func bulkTransfer(sack: Bool) {
        let bytes = Self.data(4 << 20)
        let (plain, p) = Self.transfer(bytes, offload: nil, sack: sack)
        let (offloaded, o) = Self.transfer(bytes, offload: Self.tso, sack: sack)
        #expect(p.receivedByB == bytes)
        #expect(o.receivedByB == bytes && o.endOfStreamAtB)
        let mss = plain.fromA.map(\.seg.payload.count).max()!
        #expect(offloaded.fromA.allSatisfy { $0.seg.payload.count <= mss })
        let (n, m) = (Double(plain.fromA.count), Double(offloaded.fromA.count))
        #expect(abs(n - m) <= 0.05 * n, "wire segments: \(n) one by one, \(m) with TSO")
        #expect(offloaded.packetsFromA * 10 < offloaded.fromA.count)
        #expect(offloaded.a.statistics.segmentsSent == offloaded.fromA.count)
    }

    @Test("one lost piece in the middle of a TSO segment is resent alone", arguments: [true, false])
    func lostPiece(sack: Bool) throws {
        let bytes = Self.data(1 << 20)
        let drop = DropOnce { $0.fromA && $0.piece == 7 && $0.seg.payload.count > 0 && $0.index > 200 }
        let (link, t) = Self.transfer(bytes, offload: Self.tso, sack: sack, dropIf: { drop($0) })
        #expect(t.receivedByB == bytes && t.endOfStreamAtB)
        let lost = try #require(drop.dropped)
        // The pieces before and after it went in the same TSO packet.
        let sameBurst = link.fromA.filter { $0.time == lost.time && $0.index > lost.index - lost.piece }
        #expect(sameBurst.count > lost.piece + 1)
        // Retransmitted: exactly its bytes, once, as one segment.
        let again = link.fromA.filter { $0.index > lost.index && $0.seg.seq == lost.seg.seq }
        #expect(again.count == 1)
        #expect(again.first?.seg.payload == lost.seg.payload)
        let info = try #require(link.a.tcpInfo(of: t.a))
        #expect(info.segmentsRetransmitted == 1 && info.bytesRetransmitted == UInt64(lost.seg.payload.count),
                "\(info.segmentsRetransmitted) segments, \(info.bytesRetransmitted) bytes retransmitted")
        #expect(link.a.statistics.retransmissions == 1)
    }

    @Test("random loss with TSO: intact, counters per wire segment", arguments: [true, false])
    func randomLoss(sack: Bool) throws {
        let bytes = Self.data(1 << 20)
        let (link, t) = Self.transfer(bytes, offload: Self.tso, sack: sack, lossRate: 0.02)
        #expect(t.receivedByB == bytes && t.endOfStreamAtB)
        #expect(link.wire.contains { $0.dropped })
        #expect(link.a.statistics.segmentsSent == link.fromA.count)
        let info = try #require(link.a.tcpInfo(of: t.a))
        let resent = link.fromA.filter(\.dropped).count
        #expect(Int(info.segmentsRetransmitted) >= resent)
        #expect(link.a.statistics.largeSegmentsSent > 0)
    }

    // MARK: GRO

    @Test("TSO packets delivered whole (GRO at the receiver): intact, ACKed at once, rcvMSS stays the MSS")
    func largeSegmentsDeliveredWhole() throws {
        let bytes = Self.data(4 << 20)
        let (link, t) = Self.transfer(bytes, offload: Self.tso, cut: false)
        #expect(t.receivedByB == bytes && t.endOfStreamAtB)
        #expect(link.b.statistics.largeSegmentsReceived > 0)
        #expect(link.fromA.contains { $0.seg.payload.count > 60_000 })
        let info = try #require(link.b.tcpInfo(of: t.b))
        #expect(info.receiveMSS <= info.advertisedMSS)
        // Counted as the segments they hold.
        #expect(Int(info.segmentsReceived) >= bytes.count / info.advertisedMSS)
        // The receive buffer grew as it does with the same data in MSS-sized segments.
        let (cutLink, _) = Self.transfer(bytes, offload: Self.tso, cut: true)
        #expect(cutLink.b.statistics.receiveBufferGrowths > 0)
        #expect(link.b.statistics.receiveBufferGrowths > 0)
    }

    @Test("a 60 KiB segment in order is taken whole and ACKed at once; a small one still waits")
    func largeSegmentInOrder() throws {
        var h = Harness.established(Harness.configuration { $0.receiveBufferBytes = 256 * 1024; $0.quickACKSegments = 0 })
        let big = Self.data(61_440)
        let before = h.stack.statistics.segmentsReceived
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: fullWindow, payload: big), at: 0.1)
        let acks = h.takeSent()
        #expect(acks.count == 1 && acks.first?.ack == h.irs + 1 + big.count, "\(acks)")
        #expect(h.stack.statistics.segmentsReceived - before == (61_440 + 1459) / 1460)
        #expect(h.stack.statistics.largeSegmentsReceived == 1)
        #expect(h.stack.tcpInfo(of: h.conn)?.receiveMSS == 1460)
        // A short segment after it is delayed (RFC 9293 §3.8.6.3): one MSS is not yet due.
        h.send(Seg(.ack, seq: h.irs + 1 + big.count, ack: h.iss + 1, payload: Self.data(500)), at: 0.2)
        #expect(h.takeSent().isEmpty)
        #expect(h.read(at: 0.2) == big + Self.data(500))
    }

    @Test("a 60 KiB segment past a gap is held, SACKed, and taken when the gap fills")
    func largeSegmentOutOfOrder() throws {
        var h = Harness.establishedSACK(Harness.configuration { $0.receiveBufferBytes = 256 * 1024 })
        let head = Self.data(1000, seed: 1), big = Self.data(61_440, seed: 2)
        h.send(Seg(.ack, seq: h.irs + 1 + head.count, ack: h.iss + 1, payload: big), at: 0.1)
        let dup = h.takeSent()
        #expect(dup.count == 1 && dup.first?.ack == h.irs + 1)
        #expect(dup.first?.sack == [SACKBlock(left: h.irs + 1 + head.count, right: h.irs + 1 + head.count + big.count)])
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: head), at: 0.2)
        let ack = h.takeSent()
        #expect(ack.count == 1 && ack.first?.ack == h.irs + 1 + head.count + big.count && ack.first?.sack == [])
        #expect(h.read(at: 0.2) == head + big)
    }
}
