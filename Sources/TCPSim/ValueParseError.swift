/// Why a value given as text (a command-line option: a time, rate, size, probability, queue,
/// fault window or direction) could not be read. `description` is the message `tcpkit` prints,
/// naming the option.
public enum ValueParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a time: `example` shows what is (e.g. "25ms, 0.1s").
    case time(option: String, text: String, example: String)
    /// Not a bit rate.
    case rate(option: String, text: String)
    /// Not a byte count.
    case size(option: String, text: String)
    /// Read, but zero where it must be positive.
    case notPositive(option: String)
    /// Read, but smaller than `minimum` (`unit` names what is counted, e.g. "bytes").
    case tooSmall(option: String, minimum: Int, unit: String)
    /// Not a probability in 0...1 or 0%...100%.
    case probability(option: String, text: String)
    /// `direction` (before the `@` of `text`) is not c2s, s2c or both.
    case direction(option: String, direction: String, text: String)
    /// Not START..END.
    case window(option: String, text: String)
    /// A window whose end is not after its start.
    case windowEndsBeforeStart(option: String, text: String)
    /// Not a seed range A..B.
    case seedRange(option: String, text: String)
    /// A rule of `--script` that `FaultScript` cannot read (`reason`: its error).
    case script(option: String, reason: String)

    public var description: String {
        switch self {
        case .time(let o, let s, let example): "\(o): cannot read '\(s)' as a time (e.g. \(example))"
        case .rate(let o, let s): "\(o): cannot read '\(s)' (e.g. 100M for 100 Mbit/s)"
        case .size(let o, let s): "\(o): cannot read '\(s)' as a size (e.g. 64MiB)"
        case .notPositive(let o): "\(o) must be positive"
        case .tooSmall(let o, let minimum, let unit): "\(o) must be at least \(minimum) \(unit)"
        case .probability(let o, let s): "\(o) wants a probability in 0...1 (or 0%...100%), not '\(s)'"
        case .direction(let o, let d, let s): "\(o): '\(d)' is not a direction (c2s, s2c or both) in '\(s)'"
        case .window(let o, let s): "\(o) wants START..END (e.g. 1s..3s, or 10s.. for ever), not '\(s)'"
        case .windowEndsBeforeStart(let o, let s): "\(o): the window '\(s)' ends before it starts"
        case .seedRange(let o, _): "\(o) wants A..B, e.g. 1..1000"
        case .script(let o, let reason): "\(o): \(reason)"
        }
    }
}

/// A finite, non-negative number from `s` (nil for "inf", "nan", negatives and non-numbers).
func nonNegativeNumber<S: StringProtocol>(_ s: S) -> Double? {
    guard let x = Double(String(s)), x.isFinite, x >= 0 else { return nil }
    return x
}

/// `x * scale` as an `Int64` if it fits (a huge value is refused, not a crash).
func scaled(_ x: Double, _ scale: Double) -> Int64? {
    let v = x * scale
    guard v.isFinite, v < 9.2e18 else { return nil }
    return Int64(v)
}
