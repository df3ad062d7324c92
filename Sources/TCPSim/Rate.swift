/// A bit rate, as the command line writes it: `100M`, `1.5G`, `64k`, `100Mbit`, `100Mbit/s`,
/// `1000000` (decimal multiples: k and K are 1000).
public struct Rate: Sendable, Hashable, CustomStringConvertible {
    public let bitsPerSecond: Double

    public init(bitsPerSecond: Double) { self.bitsPerSecond = bitsPerSecond }

    /// Zero, negative, infinite and unreadable rates are refused, naming `option`.
    public init(parsing s: String, option: String = "--bandwidth") throws(ValueParseError) {
        var t = Substring(s)
        for suffix in ["bit/s", "bps", "bit"] where t.hasSuffix(suffix) { t = t.dropLast(suffix.count) }
        var scale = 1.0
        if let last = t.last, let k = ["k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9][String(last)] {
            scale = k
            t = t.dropLast()
        }
        guard let x = nonNegativeNumber(t), x > 0 else { throw .rate(option: option, text: s) }
        bitsPerSecond = x * scale
    }

    public var description: String { "\(bitsPerSecond) bit/s" }
}
