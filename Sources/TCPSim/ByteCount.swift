/// A number of bytes, as the command line writes it: `64MiB`, `1.5KiB` (KiB, MiB, GiB: powers
/// of 1024), `20K`, `1M`, `1G` (k, K, M, G: powers of 1000), `150000B` or a bare `1000`.
public struct ByteCount: Sendable, Hashable, CustomStringConvertible {
    public let bytes: Int

    public init(_ bytes: Int) { self.bytes = bytes }

    static let units: [(suffix: String, bytes: Double)] = [
        ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("K", 1e3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("B", 1),
    ]

    /// Negative, huge and unreadable sizes are refused, naming `option`.
    public init(parsing s: String, option: String = "size") throws(ValueParseError) {
        for (suffix, scale) in Self.units where s.hasSuffix(suffix) {
            if let x = nonNegativeNumber(s.dropLast(suffix.count)), let n = scaled(x, scale) {
                bytes = Int(n)
                return
            }
        }
        guard let n = Int(s), n >= 0 else { throw .size(option: option, text: s) }
        bytes = n
    }

    public var description: String { "\(bytes) bytes" }
}
