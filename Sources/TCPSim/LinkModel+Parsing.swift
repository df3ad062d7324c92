import TCPCore

extension LinkModel.QueueLimit {
    /// A drop-tail queue's size: packets (`100`, `100p`) or bytes (`64KiB`, `150000B`, any
    /// `ByteCount`); zero is refused.
    public init(parsing s: String, option: String = "--queue") throws(ValueParseError) {
        if let n = Int(s), n > 0 {
            self = .packets(n)
            return
        }
        if s.hasSuffix("p"), let n = Int(s.dropLast()), n > 0 {
            self = .packets(n)
            return
        }
        let n = try ByteCount(parsing: s, option: option).bytes
        guard n > 0 else { throw .notPositive(option: option) }
        self = .bytes(n)
    }
}

extension LinkModel.Outage {
    /// A window of a run: `1s..3s`, `2..5` (bare numbers are seconds), `10s..` (until the end,
    /// `Instant.forever`), or the older `2-5`. It must end after it starts.
    public init(parsing s: String, option: String = "window") throws(ValueParseError) {
        let (a, b): (Substring, Substring)
        if let r = s.firstRange(of: "..") {
            (a, b) = (s[..<r.lowerBound], s[r.upperBound...])
        } else if let dash = s.firstIndex(of: "-") {
            (a, b) = (s[..<dash], s[s.index(after: dash)...])
        } else {
            throw .window(option: option, text: s)
        }
        let start = try Instant(parsing: a, option: option)
        let end = b.isEmpty ? Instant.forever : try Instant(parsing: b, option: option)
        guard end > start else { throw .windowEndsBeforeStart(option: option, text: s) }
        self.init(start: start, end: end)
    }
}

extension LinkModel {
    /// The links a fault applies to.
    public enum Direction: String, Sendable, Hashable, CaseIterable {
        /// client → server
        case c2s
        /// server → client
        case s2c
        case both

        /// `s2c@5%` → (.s2c, "5%"); `5%` → (`default`, "5%"). What follows the `@` is left to
        /// the caller to read.
        public static func split(_ s: String, default d: Direction, option: String) throws(ValueParseError) -> (Direction, String) {
            guard let at = s.firstIndex(of: "@") else { return (d, s) }
            guard let direction = Direction(rawValue: String(s[..<at])) else {
                throw .direction(option: option, direction: String(s[..<at]), text: s)
            }
            return (direction, String(s[s.index(after: at)...]))
        }
    }
}
