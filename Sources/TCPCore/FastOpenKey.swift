import TCPWire

/// The server's secret for TCP Fast Open cookies (RFC 7413 §4.1.2): 128 bits, from which a
/// cookie is computed as Linux's tcp_fastopen_cookie_gen does — SipHash-2-4 keyed with the two
/// little-endian 64-bit halves of the key, over the SYN's source then destination address in
/// network byte order (8 bytes for IPv4, 32 for IPv6), the 64-bit result stored little-endian
/// as an 8-byte cookie. A key given as Linux writes it (`net.ipv4.tcp_fastopen_key`,
/// "a0bf63f7-ed803d81-cd641d30-cebc4a90") or as the 16 bytes of TCP_FASTOPEN_KEY thus gives
/// Linux's cookies byte for byte.
public struct FastOpenKey: Hashable, Sendable, CustomStringConvertible {
    public var k0: UInt64
    public var k1: UInt64

    public init(k0: UInt64, k1: UInt64) { self.k0 = k0; self.k1 = k1 }

    /// The 16 bytes of the TCP_FASTOPEN_KEY socket option (nil unless exactly 16).
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var k0: UInt64 = 0, k1: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { k0 |= UInt64(b) << (8 * UInt64(i)) } else { k1 |= UInt64(b) << (8 * UInt64(i - 8)) }
        }
        self.k0 = k0
        self.k1 = k1
    }

    /// Linux's text form: four 32-bit hex words joined by '-', each stored little-endian
    /// (proc_tcp_fastopen_key). A second key after ',' (the backup) is ignored here.
    public init?(linuxText text: String) {
        let primary = String(text.split(separator: Character(",")).first ?? "")
        let words = primary.split(separator: Character("-"), omittingEmptySubsequences: false)
        guard words.count == 4 else { return nil }
        var w: [UInt64] = []
        for word in words {
            guard !word.isEmpty, word.count <= 8, let v = UInt32(word, radix: 16) else { return nil }
            w.append(UInt64(v))
        }
        k0 = w[0] | w[1] << 32
        k1 = w[2] | w[3] << 32
    }

    /// Linux's text form of the key.
    public var description: String {
        func hex(_ v: UInt64) -> String {
            let s = String(v & 0xffff_ffff, radix: 16)
            return String(repeating: "0", count: 8 - s.count) + s
        }
        return [hex(k0), hex(k0 >> 32), hex(k1), hex(k1 >> 32)].joined(separator: "-")
    }

    /// The cookie for a SYN from `source` to `destination` (both of one family).
    public func cookie(source: IPAddress, destination: IPAddress) -> FastOpenCookie {
        var h = SipHash24(k0: k0, k1: k1)
        Self.add(source, to: &h)
        Self.add(destination, to: &h)
        return FastOpenCookie(littleEndian: h.finalize())
    }

    private static func add(_ a: IPAddress, to h: inout SipHash24) {
        func be(_ v: UInt64, _ n: Int) { for i in stride(from: n - 1, through: 0, by: -1) { h.add(byte: UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
        switch a {
        case .v4(let v): be(UInt64(v.rawValue), 4)
        case .v6(let v): be(v.high, 8); be(v.low, 8)
        }
    }
}
