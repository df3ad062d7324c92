/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014): a
/// 64-bit state, one add and two multiply-xorshift rounds per value. It is the project's one seeded
/// generator: it seeds the engine's own generator, draws the simulator's and the devices' faults and
/// makes the tests' data, so one seed gives the same sequence on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The whole state: saving and restoring it resumes the sequence.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1) from the top 53 bits of the next value.
    @inlinable
    public mutating func unitInterval() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
}
