// The reassembly bookkeeping against a plain model: a set of received offsets.

import TCPWire
import Testing
@testable import TCPCore

@Suite("Assembler")
struct AssemblerTests {
    /// The assembler's ranges as a set of offsets.
    static func offsets(_ a: Assembler) -> Set<UInt32> {
        var s = Set<UInt32>()
        for i in 0..<a.count { let r = a.range(i); for o in r.start..<r.end { s.insert(o) } }
        return s
    }

    @Test("random ranges: same bytes as the model, sorted disjoint non-touching ranges, front taken exactly", arguments: 1...40)
    func matchesModel(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var a = Assembler()
        var model = Set<UInt32>()
        var delivered: UInt32 = 0     // how far the front has been taken, in absolute offsets
        for _ in 0..<200 {
            let start = UInt32(rng.next() % 200), length = UInt32(1 + rng.next() % 20)
            // Offsets are relative to what has been taken so far.
            let absStart = delivered + start
            var candidate = model
            for o in absStart..<(absStart + length) { candidate.insert(o) }
            if a.add(start: start, end: start + length) {
                model = candidate
            } else {
                #expect(a.count == Assembler.capacity, "refused only when every slot is taken")
            }
            // Invariants: sorted, disjoint, not touching, and equal to the model.
            for i in 1..<max(a.count, 1) where i < a.count { #expect(a.range(i - 1).end < a.range(i).start) }
            #expect(Set(Self.offsets(a).map { $0 + delivered }) == model)
            let n = a.takeFront()
            var expectedFront: UInt32 = 0
            while model.contains(delivered + expectedFront) { expectedFront += 1 }
            #expect(UInt32(n) == expectedFront)
            for o in delivered..<(delivered + expectedFront) { model.remove(o) }
            delivered += expectedFront
        }
    }

    @Test func mergesNeighboursAndKeepsOrder() {
        var a = Assembler()
        let added = [a.add(start: 10, end: 20), a.add(start: 30, end: 40), a.add(start: 20, end: 30)]  // the last touches both
        #expect(added == [true, true, true])
        #expect(a.count == 1 && a.range(0) == (10, 40))
        let nothing = a.takeFront()               // nothing at offset 0 yet
        #expect(nothing == 0)
        let front = a.add(start: 0, end: 5)
        #expect(front)
        let taken = a.takeFront()
        #expect(taken == 5)
        #expect(a.count == 1 && a.range(0) == (5, 35))
    }

    @Test func byteRingKeepsBytesWrittenPastTheEndAcrossWrapAndReads() {
        let ring = ByteRing(capacity: 16)
        let head: [UInt8] = Array(0..<10)
        head.withUnsafeBytes { _ = ring.append($0) }
        var out = [UInt8](repeating: 0, count: 8)
        _ = out.withUnsafeMutableBytes { ring.read(into: $0) }   // head moves to 8, count 2
        let later: [UInt8] = [100, 101, 102, 103, 104, 105]
        later.withUnsafeBytes { ring.write(at: 3, $0) }          // past a 3-byte gap, wrapping
        _ = out.withUnsafeMutableBytes { ring.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<2])) }  // empties the ring
        let gap: [UInt8] = [50, 51, 52]
        gap.withUnsafeBytes { ring.write(at: 0, $0) }
        ring.commit(9)
        var all = [UInt8](repeating: 0, count: 9)
        let n = all.withUnsafeMutableBytes { ring.read(into: $0) }
        #expect(n == 9)
        #expect(all == [50, 51, 52, 100, 101, 102, 103, 104, 105])
    }

    /// `append(filling:)` offers the free space after the stored bytes, then the part that wraps
    /// to the start, and stops at a short fill: the bytes come out in order, none lost or doubled.
    @Test func byteRingAppendFillingWrapsAndStopsWhenTheProducerEnds() {
        let ring = ByteRing(capacity: 16)
        Array(0..<UInt8(10)).withUnsafeBytes { _ = ring.append($0) }
        var out = [UInt8](repeating: 0, count: 16)
        _ = out.withUnsafeMutableBytes { ring.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<7])) }  // head 7, count 3
        var next: UInt8 = 10
        var regions: [Int] = []
        let filled = ring.append { region in
            regions.append(region.count)
            for i in region.indices { region[i] = next; next += 1 }
            return region.count
        }
        #expect(filled == 13)
        #expect(regions == [6, 7])          // 10..<16, then 0..<7
        #expect(ring.free == 0)
        #expect(ring.append { _ in Issue.record("a full ring offered space"); return 0 } == 0)
        let n = out.withUnsafeMutableBytes { ring.read(into: $0) }
        #expect(n == 16)
        #expect(out == Array(7..<UInt8(23)))
        // A producer with 3 bytes left writes them into the first region and is not asked again.
        regions = []
        let short = ring.append { region in
            regions.append(region.count)
            for i in 0..<3 { region[i] = 200 + UInt8(i) }
            return 3
        }
        #expect(short == 3 && regions == [16 - 7] && ring.count == 3)
        var three = [UInt8](repeating: 0, count: 3)
        _ = three.withUnsafeMutableBytes { ring.read(into: $0) }
        #expect(three == [200, 201, 202])
    }
}
