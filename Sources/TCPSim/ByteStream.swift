import TCPCore
import TCPTrace
import TCPWire

/// A deterministic pseudo-random byte stream: the same seed gives the same bytes, however the
/// reads are cut.
struct ByteStream {
    private var random: SeededRandom
    private var word: UInt64 = 0
    private var left = 0

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func fill(_ out: UnsafeMutableRawBufferPointer) {
        var i = 0
        let n = out.count
        while i < n && left > 0 {
            out[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            left -= 1
            i += 1
        }
        while n - i >= 8 {
            out.storeBytes(of: random.next().littleEndian, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        if i < n {
            word = random.next()
            left = 8
            while i < n {
                out[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                left -= 1
                i += 1
            }
        }
    }
}
