/// An IPv4 address, stored in host order (`0xC6120001` is 198.18.0.1).
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }
    /// Parses dotted-quad text; nil when it is not exactly four decimal numbers 0...255.
    /// A number with a leading zero ("010") is rejected, as inet_pton does: inet_aton would read it
    /// as octal, so the text is ambiguous (RFC 6943 §3.1.1).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part.count == 1 || part.first != "0",
                  let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        rawValue = value
    }
    public var description: String {
        "\(rawValue >> 24).\(rawValue >> 16 & 0xff).\(rawValue >> 8 & 0xff).\(rawValue & 0xff)"
    }
}
