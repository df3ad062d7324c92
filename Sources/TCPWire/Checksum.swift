/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit
/// words. Accumulates in a UInt64 over 32-bit loads and folds at the end; byte order independent
/// (RFC 1071 §2(B)), so words are summed in memory order and the result stored as-is.
public struct InternetChecksum: Sendable {
    @usableFromInline var sum: UInt64 = 0
    /// True when the bytes added so far have odd length: the next byte is a low-order byte.
    @usableFromInline var odd = false

    @inlinable public init() {}

    /// Adds bytes as they lie in memory (network order).
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var n = bytes.count
        var p = base
        var s: UInt64 = 0
        if odd {
            // The first byte completes a 16-bit word begun by the previous chunk: it is that
            // word's second (low-order) byte.
            s &+= UInt64(UInt16(p.load(as: UInt8.self)).bigEndian)
            p += 1; n -= 1
        }
        Self.sumAligned(p, n, into: &s)
        sum &+= UInt64(Self.fold(s))
        odd = n & 1 == 1
    }

    /// Adds a 16-bit value given in host order, as if it were two bytes in network order.
    /// Only valid at an even offset of the data summed so far.
    @inlinable public mutating func add(_ value: UInt16) {
        sum &+= UInt64(value.bigEndian)
    }
    /// Adds a 32-bit value given in host order, as four bytes in network order.
    @inlinable public mutating func add(_ value: UInt32) {
        sum &+= UInt64(value.bigEndian)
    }

    /// The checksum to put in a header (already complemented), in host order.
    public var value: UInt16 {
        UInt16(bigEndian: ~Self.fold(sum))
    }

    /// Copies `count` bytes from `source` to `destination` and adds them to the sum in the same
    /// pass (a copy-and-checksum, so that a payload is read once on its way into a packet).
    /// Gives the same sum as copying and then `add`ing the destination bytes.
    public mutating func addCopying(from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, count: Int) {
        guard count > 0 else { return }
        var n = count
        var src = source, dst = destination
        var s: UInt64 = 0
        if odd {
            let b = src.load(as: UInt8.self)
            dst.storeBytes(of: b, as: UInt8.self)
            s &+= UInt64(UInt16(b).bigEndian)
            src += 1; dst += 1; n -= 1
        }
        Self.copyAndSumAligned(src, dst, n, into: &s)
        sum &+= UInt64(Self.fold(s))
        odd = n & 1 == 1
    }

    /// Sums n bytes at p as 16-bit memory-order words; a trailing odd byte is padded with zero.
    /// 32-bit words zero-extended into four 2-lane 64-bit vector accumulators (no carries to
    /// track: a lane overflows only past 2^32 words), reduced once at the end (RFC 1071 §2(C):
    /// the sum may be taken over wider words and folded at the end).
    static func sumAligned(_ p: UnsafeRawPointer, _ n: Int, into s: inout UInt64) {
        var a = SIMD2<UInt64>(), b = SIMD2<UInt64>(), c = SIMD2<UInt64>(), d = SIMD2<UInt64>()
        var i = 0
        // n - i never overflows (0 <= i <= n), unlike i + 32.
        while n &- i >= 32 {
            let v0 = p.loadUnaligned(fromByteOffset: i, as: SIMD4<UInt32>.self)
            let v1 = p.loadUnaligned(fromByteOffset: i &+ 16, as: SIMD4<UInt32>.self)
            a &+= SIMD2<UInt64>(truncatingIfNeeded: v0.lowHalf)
            b &+= SIMD2<UInt64>(truncatingIfNeeded: v0.highHalf)
            c &+= SIMD2<UInt64>(truncatingIfNeeded: v1.lowHalf)
            d &+= SIMD2<UInt64>(truncatingIfNeeded: v1.highHalf)
            i &+= 32
        }
        let v = (a &+ b) &+ (c &+ d)
        var t = v[0] &+ v[1]
        while n &- i >= 4 {
            t &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            i &+= 4
        }
        s &+= t &+ tailSum(p + i, n &- i)
    }

    /// Sums the last 0...3 bytes (a trailing odd byte padded with zero), as memory-order words.
    @inline(__always) static func tailSum(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        var t: UInt64 = 0
        var i = 0
        if i + 2 <= n {
            t &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i += 2
        }
        if i < n {
            // The last byte is the first (network high-order) byte of a zero-padded word; in
            // memory order on a little-endian host that is the low byte of the loaded UInt16.
            let b = UInt16(p.load(fromByteOffset: i, as: UInt8.self))
            t &+= UInt64(UInt16(bigEndian: b << 8))
        }
        return t
    }

    /// `sumAligned` that also copies the n bytes from p to q, in one pass.
    static func copyAndSumAligned(_ p: UnsafeRawPointer, _ q: UnsafeMutableRawPointer, _ n: Int, into s: inout UInt64) {
        var a = SIMD2<UInt64>(), b = SIMD2<UInt64>(), c = SIMD2<UInt64>(), d = SIMD2<UInt64>()
        var i = 0
        while n &- i >= 32 {
            let v0 = p.loadUnaligned(fromByteOffset: i, as: SIMD4<UInt32>.self)
            let v1 = p.loadUnaligned(fromByteOffset: i &+ 16, as: SIMD4<UInt32>.self)
            q.storeBytes(of: v0, toByteOffset: i, as: SIMD4<UInt32>.self)
            q.storeBytes(of: v1, toByteOffset: i &+ 16, as: SIMD4<UInt32>.self)
            a &+= SIMD2<UInt64>(truncatingIfNeeded: v0.lowHalf)
            b &+= SIMD2<UInt64>(truncatingIfNeeded: v0.highHalf)
            c &+= SIMD2<UInt64>(truncatingIfNeeded: v1.lowHalf)
            d &+= SIMD2<UInt64>(truncatingIfNeeded: v1.highHalf)
            i &+= 32
        }
        let v = (a &+ b) &+ (c &+ d)
        var t = v[0] &+ v[1]
        while n &- i >= 4 {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt32.self)
            q.storeBytes(of: w, toByteOffset: i, as: UInt32.self)
            t &+= UInt64(w)
            i &+= 4
        }
        if i < n { (q + i).copyMemory(from: p + i, byteCount: n &- i) }
        s &+= t &+ tailSum(p + i, n &- i)
    }

    /// Folds a 64-bit sum of memory-order words into 16 bits, end-around carry included.
    @inlinable static func fold(_ x: UInt64) -> UInt16 {
        var s = (x & 0xffff_ffff) &+ (x >> 32)
        s = (s & 0xffff_ffff) &+ (s >> 32)
        s = (s & 0xffff) &+ (s >> 16)
        s = (s & 0xffff) &+ (s >> 16)
        s = (s & 0xffff) &+ (s >> 16)
        return UInt16(truncatingIfNeeded: s)
    }

    /// The checksum of one buffer.
    public static func compute(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var c = InternetChecksum()
        c.add(bytes)
        return c.value
    }
}
