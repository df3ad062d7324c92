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

    /// Sums n bytes at p as 16-bit memory-order words; a trailing odd byte is padded with zero.
    static func sumAligned(_ p: UnsafeRawPointer, _ n: Int, into s: inout UInt64) {
        var i = 0
        while i + 32 <= n {
            s &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            s &+= UInt64(p.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
            s &+= UInt64(p.loadUnaligned(fromByteOffset: i + 8, as: UInt32.self))
            s &+= UInt64(p.loadUnaligned(fromByteOffset: i + 12, as: UInt32.self))
            s &+= UInt64(p.loadUnaligned(fromByteOffset: i + 16, as: UInt32.self))
            s &+= UInt64(p.loadUnaligned(fromByteOffset: i + 20, as: UInt32.self))
            s &+= UInt64(p.loadUnaligned(fromByteOffset: i + 24, as: UInt32.self))
            s &+= UInt64(p.loadUnaligned(fromByteOffset: i + 28, as: UInt32.self))
            i += 32
        }
        while i + 4 <= n {
            s &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            i += 4
        }
        if i + 2 <= n {
            s &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i += 2
        }
        if i < n {
            // The last byte is the first (network high-order) byte of a zero-padded word; in
            // memory order on a little-endian host that is the low byte of the loaded UInt16.
            let b = UInt16(p.load(fromByteOffset: i, as: UInt8.self))
            s &+= UInt64(UInt16(bigEndian: b << 8))
        }
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
