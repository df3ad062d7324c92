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
