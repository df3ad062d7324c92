import TCPCore

extension Duration {
    /// The units a time may take; a bare number is seconds in every option that takes a time.
    static let parsingUnits: [(suffix: String, nanoseconds: Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]

    /// A time as the command line writes it: `25ms`, `0.1s`, `500us`, `250ns`, or a bare number,
    /// which is seconds (`2` is 2 s). Negative, infinite and unreadable times are refused;
    /// `option` and `example` go into the error's message.
    public init<S: StringProtocol>(parsing s: S, option: String = "time", example: String = "25ms, 0.1s") throws(ValueParseError) {
        for (suffix, scale) in Self.parsingUnits where s.hasSuffix(suffix) {
            if let x = nonNegativeNumber(s.dropLast(suffix.count)), let n = scaled(x, scale) {
                self = .nanoseconds(n)
                return
            }
        }
        guard let x = nonNegativeNumber(s), let n = scaled(x, 1e9) else {
            throw .time(option: option, text: String(s), example: example)
        }
        self = .nanoseconds(n)
    }

    /// `text` with its unit: a bare number (seconds) gets an `s`, anything else is kept as written.
    /// For replay commands, which print every time with its unit.
    public static func withUnit(_ text: String) -> String {
        nonNegativeNumber(text) != nil ? text + "s" : text
    }
}

extension Instant {
    /// A time since the start of a run, as in a fault window: `1.5s`, `250ms`, or `2` for 2 s.
    public init<S: StringProtocol>(parsing s: S, option: String = "time") throws(ValueParseError) {
        self = .zero + (try Duration(parsing: s, option: option, example: "1.5s, 250ms, or 2 for 2 s"))
    }
}
