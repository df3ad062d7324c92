import TCPWire

/// The stack's own generator: xoshiro256** (Blackman & Vigna), seeded once from the generator the
/// caller hands in, so a seed reproduces every ISN, port and secret.
struct StackRandom: RandomNumberGenerator {
    private var s0, s1, s2, s3: UInt64

    init(seed: UInt64) {
        // SplitMix64 expands the seed into the four words of state.
        var x = SplitMix64(seed: seed)
        s0 = x.next(); s1 = x.next(); s2 = x.next(); s3 = x.next()
    }

    mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

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

/// Initial sequence numbers per RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
/// where M is a timer ticking every 4 microseconds and F is SipHash-2-4 under a 128-bit secret.
struct ISNGenerator {
    let k0: UInt64
    let k1: UInt64

    func isn(local: SocketAddress, remote: SocketAddress, now: Instant) -> SequenceNumber {
        var h = SipHash24(k0: k0, k1: k1)
        Self.add(local.address, to: &h)
        h.add(local.port)
        Self.add(remote.address, to: &h)
        h.add(remote.port)
        let f = UInt32(truncatingIfNeeded: h.finalize())
        let m = UInt32(truncatingIfNeeded: now.nanoseconds / 4_000)   // RFC 6528: 4 µs ticks
        return SequenceNumber(f &+ m)
    }

    private static func add(_ a: IPAddress, to h: inout SipHash24) {
        switch a {
        case .v4(let v): h.add(v.rawValue)
        case .v6(let v): h.add(v.high); h.add(v.low)
        }
    }
}
