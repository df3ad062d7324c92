/// A TCP sequence or acknowledgment number: a 32-bit value compared and added modulo 2^32.
///
/// RFC 9293 §3.4: "all arithmetic dealing with sequence numbers must be performed modulo 2**32".
/// `a < b` means "a comes before b" in the sense that the signed 32-bit distance from a to b is
/// positive; this is only meaningful for numbers less than 2^31 apart, which TCP's windows ensure.
/// The type is deliberately *not* `Comparable`: modular order is not a total order.
public struct SequenceNumber: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    public var description: String { String(rawValue) }

    /// The signed distance from `b` to `a` (a - b), as TCP reads it.
    @inlinable public static func - (a: SequenceNumber, b: SequenceNumber) -> Int32 {
        Int32(bitPattern: a.rawValue &- b.rawValue)
    }
    @inlinable public static func + (a: SequenceNumber, n: UInt32) -> SequenceNumber {
        SequenceNumber(a.rawValue &+ n)
    }
    @inlinable public static func + (a: SequenceNumber, n: Int) -> SequenceNumber {
        SequenceNumber(a.rawValue &+ UInt32(truncatingIfNeeded: n))
    }
    @inlinable public static func - (a: SequenceNumber, n: UInt32) -> SequenceNumber {
        SequenceNumber(a.rawValue &- n)
    }
    @inlinable public static func += (a: inout SequenceNumber, n: UInt32) { a = a + n }
    @inlinable public static func += (a: inout SequenceNumber, n: Int) { a = a + n }

    @inlinable public static func < (a: SequenceNumber, b: SequenceNumber) -> Bool { (a - b) < 0 }
    @inlinable public static func <= (a: SequenceNumber, b: SequenceNumber) -> Bool { (a - b) <= 0 }
    @inlinable public static func > (a: SequenceNumber, b: SequenceNumber) -> Bool { (a - b) > 0 }
    @inlinable public static func >= (a: SequenceNumber, b: SequenceNumber) -> Bool { (a - b) >= 0 }

    /// The later of two numbers in modular order.
    @inlinable public static func max(_ a: SequenceNumber, _ b: SequenceNumber) -> SequenceNumber { a > b ? a : b }
    @inlinable public static func min(_ a: SequenceNumber, _ b: SequenceNumber) -> SequenceNumber { a < b ? a : b }

    /// `low <= self < high`, modulo 2^32 (RFC 9293 §3.4 window tests).
    @inlinable public func isInHalfOpenRange(_ low: SequenceNumber, _ high: SequenceNumber) -> Bool {
        rawValue &- low.rawValue < high.rawValue &- low.rawValue
    }
    /// `low <= self <= high`, modulo 2^32.
    @inlinable public func isInClosedRange(_ low: SequenceNumber, _ high: SequenceNumber) -> Bool {
        rawValue &- low.rawValue <= high.rawValue &- low.rawValue
    }
}
