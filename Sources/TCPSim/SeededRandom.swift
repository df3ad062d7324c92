import TCPWire

/// The simulator's own generator (SplitMix64). One 64-bit seed decides every random choice of a run.
public typealias SeededRandom = SplitMix64
