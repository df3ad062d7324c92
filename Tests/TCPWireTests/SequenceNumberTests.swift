// RFC 9293 §3.4: "all arithmetic dealing with sequence numbers must be performed modulo 2**32".
// Order is the sign of the 32-bit difference (RFC 1982 §3.2 serial number arithmetic), meaningful
// for numbers less than 2^31 apart.

import Testing
import TCPWire

@Suite("SequenceNumber")
struct SequenceNumberTests {
    private func s(_ v: UInt32) -> SequenceNumber { SequenceNumber(v) }

    /// (earlier, later): in each pair the first comes before the second, most of them across the
    /// wrap from 0xFFFFFFFF to 0.
    static let ordered: [(UInt32, UInt32)] = [
        (0xFFFF_FFF0, 0x10),
        (0xFFFF_FFFF, 0),
        (0xFFFF_FFFF, 0x7FFF_FFFE),
        (0x8000_0001, 0),                // 2^31 - 1 apart: the farthest that is still ordered
        (0, 1),
        (0, 0x7FFF_FFFF),
        (0x7FFF_FFFF, 0x8000_0000),
        (0x1234_5678, 0x1234_5679),
    ]

    @Test("order across the wrap point", arguments: ordered)
    func order(earlier: UInt32, later: UInt32) {
        let a = s(earlier), b = s(later)
        #expect(a < b)
        #expect(a <= b)
        #expect(b > a)
        #expect(b >= a)
        #expect(!(b < a))
        #expect(!(a > b))
        #expect(!(b <= a))
        #expect(!(a >= b))
        #expect(SequenceNumber.max(a, b) == b)
        #expect(SequenceNumber.max(b, a) == b)
        #expect(SequenceNumber.min(a, b) == a)
        #expect(SequenceNumber.min(b, a) == a)
    }

    @Test("equal numbers are <= and >= but not < or >")
    func equal() {
        for v: UInt32 in [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF] {
            #expect(s(v) <= s(v))
            #expect(s(v) >= s(v))
            #expect(!(s(v) < s(v)))
            #expect(!(s(v) > s(v)))
            #expect(s(v) - s(v) == 0)
        }
    }

    @Test("0xFFFFFFF0 comes before 0x10 although it is numerically larger")
    func wrapExample() {
        #expect(s(0xFFFF_FFF0) < s(0x10))
        #expect(s(0x10) - s(0xFFFF_FFF0) == 0x20)
        #expect(s(0xFFFF_FFF0) - s(0x10) == -0x20)
    }

    @Test("addition and subtraction wrap modulo 2^32")
    func arithmetic() {
        #expect(s(0xFFFF_FFF0) + UInt32(0x20) == s(0x10))
        #expect(s(0xFFFF_FFFF) + UInt32(1) == s(0))
        #expect(s(0xFFFF_FFF0) + 0x20 == s(0x10))            // Int overload
        #expect(s(5) + (-10) == s(0xFFFF_FFFB))               // a negative Int steps back
        #expect(s(0x10) + (-0x20) == s(0xFFFF_FFF0))
        #expect(s(5) - UInt32(10) == s(0xFFFF_FFFB))
        #expect(s(0) - UInt32(1) == s(0xFFFF_FFFF))
        var x = s(0xFFFF_FFFE)
        x += UInt32(3)
        #expect(x == s(1))
        x += -2
        #expect(x == s(0xFFFF_FFFF))
        x += 1
        #expect(x == s(0))
    }

    @Test("distance is the signed 32-bit difference", arguments: [
        (UInt32(0x10), UInt32(0xFFFF_FFF0), Int32(0x20)),
        (0xFFFF_FFF0, 0x10, -0x20),
        (0, 0xFFFF_FFFF, 1),
        (0xFFFF_FFFF, 0, -1),
        (0x7FFF_FFFF, 0, Int32.max),
        (0, 0x7FFF_FFFF, -Int32.max),
        (1000, 1000, 0),
    ])
    func distance(a: UInt32, b: UInt32, expected: Int32) {
        #expect(s(a) - s(b) == expected)
    }

    @Test("half-open range [low, high) across the wrap")
    func halfOpenAcrossWrap() {
        let low = s(0xFFFF_FFF0), high = s(0x10)
        for inside: UInt32 in [0xFFFF_FFF0, 0xFFFF_FFF1, 0xFFFF_FFFF, 0, 1, 0xF] {
            #expect(s(inside).isInHalfOpenRange(low, high), "\(inside)")
        }
        for outside: UInt32 in [0x10, 0x11, 0xFFFF_FFEF, 0x8000_0000, 0x7FFF_FFFF] {
            #expect(!s(outside).isInHalfOpenRange(low, high), "\(outside)")
        }
    }

    @Test("closed range [low, high] across the wrap")
    func closedAcrossWrap() {
        let low = s(0xFFFF_FFF0), high = s(0x10)
        for inside: UInt32 in [0xFFFF_FFF0, 0xFFFF_FFFF, 0, 0xF, 0x10] {
            #expect(s(inside).isInClosedRange(low, high), "\(inside)")
        }
        for outside: UInt32 in [0x11, 0xFFFF_FFEF, 0x8000_0000] {
            #expect(!s(outside).isInClosedRange(low, high), "\(outside)")
        }
    }

    @Test("an empty half-open range holds nothing; a one-number closed range holds that number")
    func degenerateRanges() {
        for v: UInt32 in [0, 0xFFFF_FFFF, 0x8000_0000] {
            #expect(!s(v).isInHalfOpenRange(s(v), s(v)))
            #expect(!s(v &+ 1).isInHalfOpenRange(s(v), s(v)))
            #expect(s(v).isInClosedRange(s(v), s(v)))
            #expect(!s(v &+ 1).isInClosedRange(s(v), s(v)))
            #expect(!s(v &- 1).isInClosedRange(s(v), s(v)))
        }
    }

    @Test("random pairs less than 2^31 apart: order, distance and ranges agree")
    func randomProperties() {
        let seed = testSeed(0x5E0_5E0)
        var rng = SplitMix64(seed: seed)
        for i in 0..<20_000 {
            let a = s(UInt32.random(in: .min ... .max, using: &rng))
            let d = Int.random(in: -(1 << 31 - 1)...(1 << 31 - 1), using: &rng)
            let b = a + d
            let note: Comment = "seed \(seed) iteration \(i): a \(a) d \(d)"
            #expect(b - a == Int32(d), note)
            #expect(a - b == Int32(-d), note)
            #expect((a < b) == (d > 0), note)
            #expect((a > b) == (d < 0), note)
            #expect((a <= b) == (d >= 0), note)
            #expect(b + (-d) == a, note)
            if d > 0 {
                // a <= x < b for every x between them, and b itself only in the closed range.
                let x = a + Int.random(in: 0..<d, using: &rng)
                #expect(x.isInHalfOpenRange(a, b), note)
                #expect(x.isInClosedRange(a, b), note)
                #expect(!b.isInHalfOpenRange(a, b), note)
                #expect(b.isInClosedRange(a, b), note)
                #expect(!(a - UInt32(1)).isInClosedRange(a, b), note)
            }
        }
    }

    @Test("description prints the raw unsigned value")
    func description() {
        #expect(s(0xFFFF_FFFF).description == "4294967295")
        #expect(s(0).description == "0")
    }
}
