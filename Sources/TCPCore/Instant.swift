/// A point in time handed to the engine by its driver. The engine never reads a clock itself.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64
    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static let zero = Instant(nanoseconds: 0)
    @inlinable public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: Instant, d: Duration) -> Instant {
        Instant(nanoseconds: a.nanoseconds &+ d.nanoseconds)
    }
    @inlinable public static func - (a: Instant, b: Instant) -> Duration { .nanoseconds(a.nanoseconds - b.nanoseconds) }
    public static func seconds(_ s: Double) -> Instant { Instant(nanoseconds: Int64((s * 1e9).rounded())) }
    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var description: String { "\(seconds)s" }
}

extension Duration {
    /// Whole nanoseconds (saturating).
    @inlinable public var nanoseconds: Int64 {
        let (s, atto) = components
        let (m, o) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if o { return s < 0 ? .min : .max }
        return m &+ atto / 1_000_000_000
    }
    @inlinable static func nanos(_ n: Int64) -> Duration { .nanoseconds(n) }
}

extension Instant {
    /// "Never happened", for TCB fields where an optional would cost 8 bytes of padding.
    static let never = Instant(nanoseconds: .min)
}

extension Instant {
    /// `self` plus `n` nanoseconds: the same as `self + .nanoseconds(n)` without the 128-bit
    /// arithmetic of going through a `Duration` (the timers armed for every segment).
    func advanced(byNanoseconds n: Int64) -> Instant { Instant(nanoseconds: nanoseconds &+ n) }
    /// `(self - earlier).nanoseconds`, likewise without a `Duration`.
    func nanoseconds(since earlier: Instant) -> Int64 { nanoseconds - earlier.nanoseconds }
}
