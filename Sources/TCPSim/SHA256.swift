/// SHA-256 as FIPS 180-4 §6.2 defines it, streaming: the simulator hashes what each side sent and
/// what the other side read, so a transfer is byte-exact when the two digests match. Written here
/// rather than pulled from a crypto package to keep the build small; it is checked against the
/// FIPS 180-2 Appendix B examples and NIST's long messages in the tests.
public struct SHA256: Sendable {
    /// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
    /// 64 primes.
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// FIPS 180-4 §5.3.3: the initial hash value.
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    /// A partial block waiting for more input.
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockCount = 0
    /// Message length in bytes so far.
    public private(set) var count: UInt64 = 0

    public init() {}

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, let base = bytes.baseAddress else { return }
        count &+= UInt64(bytes.count)
        var i = 0
        if blockCount > 0 {
            let n = min(64 - blockCount, bytes.count)
            block.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: blockCount).copyMemory(from: base, byteCount: n) }
            blockCount += n
            i = n
            if blockCount == 64 {
                let full = block
                full.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
                blockCount = 0
            }
        }
        let whole = (bytes.count - i) / 64
        if whole > 0 {
            compress(base + i, blocks: whole)
            i += whole * 64
        }
        if i < bytes.count {
            let rest = bytes.count - i
            block.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: blockCount).copyMemory(from: base + i, byteCount: rest) }
            blockCount += rest
        }
    }

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { update($0) }
    }

    /// The digest of everything added (the hasher itself is left as it was).
    public func finalize() -> [UInt8] {
        var copy = self
        // §5.1.1: a 1 bit, zeros to 56 mod 64 bytes, then the length in bits, big-endian.
        let bits = count &* 8
        var pad: [UInt8] = [0x80]
        let used = Int(count % 64) + 1
        pad += [UInt8](repeating: 0, count: (used <= 56 ? 56 - used : 120 - used))
        for s in stride(from: 56, through: 0, by: -8) { pad.append(UInt8(truncatingIfNeeded: bits >> UInt64(s))) }
        let saved = copy.count
        pad.withUnsafeBytes { copy.update($0) }
        copy.count = saved
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for v in [copy.h.0, copy.h.1, copy.h.2, copy.h.3, copy.h.4, copy.h.5, copy.h.6, copy.h.7] {
            out += [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
        }
        return out
    }

    /// The digest as 64 lowercase hex digits.
    public func hexDigest() -> String { SHA256.hex(finalize()) }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var s: [UInt8] = []
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return String(decoding: s, as: UTF8.self)
    }

    /// One-shot digest.
    public static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var s = SHA256()
        s.update(bytes)
        return s.finalize()
    }

    /// Compresses `blocks` consecutive 64-byte blocks at `p`.
    ///
    /// Written with raw pointers and while loops, the rotations spelled out: the simulator hashes
    /// every byte of a transfer twice, and in a debug build (which `swift test` uses) iterators,
    /// bounds-checked buffers and uninlined helpers made this most of a bulk run's time.
    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        var state = h
        Self.k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                Self.compress(&state, w.baseAddress!, k.baseAddress!, p, blocks: blocks)
            }
        }
        h = state
    }

    /// §6.2.2, once per 512-bit block.
    private static func compress(_ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
                                 _ w: UnsafeMutablePointer<UInt32>, _ k: UnsafePointer<UInt32>, _ p: UnsafeRawPointer, blocks: Int) {
        var (h0, h1, h2, h3, h4, h5, h6, h7) = h
        var block = 0
        while block < blocks {
            let q = p + 64 * block
            var t = 0
            while t < 16 {
                w[t] = UInt32(bigEndian: q.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
                t += 1
            }
            while t < 64 {
                let x = w[t - 15], y = w[t - 2]
                let s0 = (x &>> 7 | x &<< 25) ^ (x &>> 18 | x &<< 14) ^ (x &>> 3)
                let s1 = (y &>> 17 | y &<< 15) ^ (y &>> 19 | y &<< 13) ^ (y &>> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                t += 1
            }
            var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7
            t = 0
            while t < 64 {
                let s1 = (e &>> 6 | e &<< 26) ^ (e &>> 11 | e &<< 21) ^ (e &>> 25 | e &<< 7)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[t] &+ w[t]
                let s0 = (a &>> 2 | a &<< 30) ^ (a &>> 13 | a &<< 19) ^ (a &>> 22 | a &<< 10)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                hh = g; g = f; f = e; e = d &+ t1
                d = c; c = b; b = a; a = t1 &+ t2
                t += 1
            }
            h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= hh
            block += 1
        }
        h = (h0, h1, h2, h3, h4, h5, h6, h7)
    }
}
