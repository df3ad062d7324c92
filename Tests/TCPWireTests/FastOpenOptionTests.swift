// The TCP Fast Open option on the wire (RFC 7413 §4.1.1): kind 34, or kind 254 with the
// RFC 6994 magic 0xF989; NOP-padded after it as Linux writes it; odd or out-of-range cookie
// lengths skipped like unknown options.

import Testing
@testable import TCPWire

@Suite("TCP Fast Open option")
struct FastOpenOptionTests {
    static func roundTrip(_ o: TCPOptions) throws -> ([UInt8], TCPOptions) {
        var bytes = [UInt8](repeating: 0xEE, count: o.encodedLength)
        bytes.withUnsafeMutableBytes { o.write(into: $0) }
        let parsed = try bytes.withUnsafeBytes { b throws(WireError) in try TCPOptions.parse(b) }
        return (bytes, parsed)
    }

    @Test("request, cookie, experimental form: bytes and round trip")
    func encoding() throws {
        var o = TCPOptions()
        o.fastOpen = FastOpenOption()
        var (b, back) = try Self.roundTrip(o)
        #expect(b == [34, 2, 1, 1])
        #expect(back.fastOpen == o.fastOpen)
        o.fastOpen = FastOpenOption(cookie: FastOpenCookie([1, 2, 3, 4, 5, 6, 7, 8])!)
        (b, back) = try Self.roundTrip(o)
        #expect(b == [34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1])
        #expect(back.fastOpen == o.fastOpen)
        o.fastOpen = FastOpenOption(cookie: FastOpenCookie([1, 2, 3, 4, 5, 6, 7, 8])!, experimental: true)
        (b, back) = try Self.roundTrip(o)
        #expect(b == [254, 12, 0xF9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(back.fastOpen == o.fastOpen)
        // After MSS, SACK-permitted+TS and window scale (Linux's order).
        o = TCPOptions(mss: 1460, windowScale: 8, sackPermitted: true)
        o.fastOpen = FastOpenOption(experimental: true)
        (b, _) = try Self.roundTrip(o)
        #expect(Array(b.suffix(4)) == [254, 4, 0xF9, 0x89])
    }

    @Test("bad lengths and other magic numbers are skipped as unknown options")
    func malformed() throws {
        for raw: [UInt8] in [[34, 3, 1, 1], [34, 5, 1, 2, 3], [34, 20] + [UInt8](repeating: 0, count: 18), [254, 4, 0x12, 0x34], [254, 5, 0xF9, 0x89, 1, 1]] {
            let o = try raw.withUnsafeBytes { b throws(WireError) in try TCPOptions.parse(b) }
            #expect(o.fastOpen == nil && o.unknownCount == 1, "\(raw)")
        }
        let cookie = FastOpenCookie([UInt8](0..<16))!
        #expect(cookie.count == 16 && cookie[15] == 15 && cookie.bytes == [UInt8](0..<16))
        #expect(FastOpenCookie([UInt8](0..<17)) == nil)
    }
}
