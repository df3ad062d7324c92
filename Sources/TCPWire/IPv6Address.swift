/// An IPv6 address as two 64-bit halves in host order (`high` holds the first 8 bytes).
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    @inlinable public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    /// Parses RFC 4291 §2.2 text forms (with `::`, without an embedded IPv4 part).
    public init?(_ text: some StringProtocol) {
        let s = String(text)
        var halves: [String] = []
        let chars = Array(s.utf8)
        var split: Int? = nil
        var k = 0
        while k + 1 < chars.count {
            if chars[k] == UInt8(ascii: ":") && chars[k + 1] == UInt8(ascii: ":") {
                guard split == nil else { return nil }
                split = k
                k += 2
                continue
            }
            k += 1
        }
        if let at = split {
            halves = [String(decoding: chars[..<at], as: UTF8.self), String(decoding: chars[(at + 2)...], as: UTF8.self)]
        } else {
            halves = [s]
        }
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                // Only hex digits: UInt16(_:radix:) alone would also take a sign ("+1", "-0").
                guard !g.isEmpty, g.count <= 4, g.allSatisfy({ $0.isHexDigit && $0.isASCII }),
                      let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            all = head
        }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(all[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(all[i]) }
        high = h; low = l
    }

    /// The 16 bytes in network order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    /// RFC 5952 text: lower case, leading zeros dropped, the longest run (>= 2) of zero groups as `::`.
    public var description: String {
        let g: [UInt16] = (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64($0))) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64($0))) }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8 && g[j] == 0 { j += 1 }
                if j - i > bestLen { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        if bestLen < 2 { bestStart = -1 }
        var out = ""
        i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"
                i += bestLen
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(g[i], radix: 16)
            i += 1
        }
        return out
    }
}
