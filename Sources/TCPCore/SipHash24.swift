/// SipHash-2-4 (Aumasson & Bernstein), the keyed hash F of RFC 6528 §3.
struct SipHash24 {
    private var v0, v1, v2, v3: UInt64
    private var tail: UInt64 = 0
    private var tailBytes = 0
    private var length = 0

    init(k0: UInt64, k1: UInt64) {
        v0 = 0x736f_6d65_7073_6575 ^ k0
        v1 = 0x646f_7261_6e64_6f6d ^ k1
        v2 = 0x6c79_6765_6e65_7261 ^ k0
        v3 = 0x7465_6462_7974_6573 ^ k1
    }

    private mutating func round() {
        v0 &+= v1; v1 = (v1 << 13) | (v1 >> 51); v1 ^= v0; v0 = (v0 << 32) | (v0 >> 32)
        v2 &+= v3; v3 = (v3 << 16) | (v3 >> 48); v3 ^= v2
        v0 &+= v3; v3 = (v3 << 21) | (v3 >> 43); v3 ^= v0
        v2 &+= v1; v1 = (v1 << 17) | (v1 >> 47); v1 ^= v2; v2 = (v2 << 32) | (v2 >> 32)
    }

    private mutating func compress(_ m: UInt64) {
        v3 ^= m
        round(); round()
        v0 ^= m
    }

    mutating func add(byte: UInt8) {
        tail |= UInt64(byte) << (8 * UInt64(tailBytes))
        tailBytes += 1
        length += 1
        if tailBytes == 8 {
            compress(tail)
            tail = 0
            tailBytes = 0
        }
    }

    mutating func add(_ value: UInt64) { for i in 0..<8 { add(byte: UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) } }
    mutating func add(_ value: UInt32) { for i in 0..<4 { add(byte: UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) } }
    mutating func add(_ value: UInt16) { add(byte: UInt8(truncatingIfNeeded: value)); add(byte: UInt8(value >> 8)) }

    mutating func finalize() -> UInt64 {
        let b = (UInt64(truncatingIfNeeded: length) << 56) | tail
        compress(b)
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}
