/// A probability in 0...1, as the command line writes it: `0.01` or `1%`.
public struct Probability: Sendable, Hashable, CustomStringConvertible {
    public let value: Double

    /// `value` in 0...1 (outside it, or NaN: nil).
    public init?(_ value: Double) {
        guard value >= 0, value <= 1 else { return nil }
        self.value = value
    }

    /// `0.05`, `5%`, `100%`; anything outside 0...1 (0%...100%) is refused, naming `option`.
    public init(parsing s: String, option: String = "probability") throws(ValueParseError) {
        let p: Double?
        if s.hasSuffix("%") { p = nonNegativeNumber(s.dropLast()).map { $0 / 100 } } else { p = Double(s) }
        guard let p, let probability = Probability(p) else { throw .probability(option: option, text: s) }
        self = probability
    }

    public var description: String { String(value) }
}
