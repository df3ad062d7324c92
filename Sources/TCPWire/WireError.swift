/// Why a byte string is not a packet we can use. Every malformed input ends in one of these,
/// never in a trap.
public enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the named layer needs.
    case truncated(layer: Layer, needed: Int, available: Int)
    /// The IP version nibble is neither 4 nor 6 (or not the one the caller asked for).
    case badIPVersion(UInt8)
    /// IPv4 IHL below 5 or beyond the bytes given.
    case badIPv4HeaderLength(Int)
    /// IPv4 total length / IPv6 payload length disagrees with the bytes given.
    case badTotalLength(declared: Int, available: Int)
    /// IPv4 header checksum does not verify.
    case badIPv4Checksum
    /// A fragment (MF set or offset non-zero): TCPKit does not reassemble IP fragments.
    case fragmented
    /// IPv6 next header is an extension header (hop-by-hop, routing, fragment...), not yet supported.
    case unsupportedIPv6ExtensionHeader(UInt8)
    /// The IP payload is not TCP (protocol / next header value).
    case notTCP(UInt8)
    /// TCP data offset below 5 words, or pointing past the segment.
    case badDataOffset(Int)
    /// An option whose length byte is 0 or 1, or that runs past the header (RFC 9293 §3.1).
    case badOptionLength(kind: UInt8, length: Int)
    /// The TCP checksum over pseudo-header, header and payload does not verify (RFC 9293 §3.1).
    case badTCPChecksum
    /// The options do not fit in 40 bytes.
    case optionsTooLong(Int)
    /// The output buffer is too small for what is to be written.
    case bufferTooSmall(needed: Int, available: Int)
    /// Source and destination addresses are of different families.
    case addressFamilyMismatch
    /// An IPv4 option whose length does not fit, or a source route option (RFC 791 §3.1) with a
    /// bad length or pointer, or a second one.
    case badIPv4Option(type: UInt8)
    /// The IP payload is not ICMP / ICMPv6 (protocol / next header value).
    case notICMP(UInt8)
    /// The ICMP checksum (ICMPv6: with the pseudo-header, RFC 4443 §2.3) does not verify.
    case badICMPChecksum
    /// An ICMP message that is not an error quoting a segment (echo, router advertisement...).
    case notICMPError(type: UInt8)

    /// `icmpQuote`: the IP packet an ICMP error quotes, with the first 8 bytes of its TCP header.
    public enum Layer: String, Sendable, Hashable { case ipv4, ipv6, tcp, tcpOptions, icmp, icmpQuote = "icmp-quote" }

    public var description: String {
        switch self {
        case let .truncated(layer, needed, available): "truncated \(layer.rawValue): need \(needed) bytes, have \(available)"
        case let .badIPVersion(v): "bad IP version \(v)"
        case let .badIPv4HeaderLength(l): "bad IPv4 header length \(l)"
        case let .badTotalLength(d, a): "IP length says \(d) bytes, packet has \(a)"
        case .badIPv4Checksum: "bad IPv4 header checksum"
        case .fragmented: "IP fragment (not reassembled)"
        case let .unsupportedIPv6ExtensionHeader(n): "unsupported IPv6 extension header \(n)"
        case let .notTCP(p): "not TCP (protocol \(p))"
        case let .badDataOffset(o): "bad TCP data offset \(o)"
        case let .badOptionLength(k, l): "bad length \(l) for TCP option \(k)"
        case .badTCPChecksum: "bad TCP checksum"
        case let .optionsTooLong(n): "TCP options need \(n) bytes (max 40)"
        case let .bufferTooSmall(n, a): "buffer too small: need \(n), have \(a)"
        case .addressFamilyMismatch: "source and destination of different IP versions"
        case let .badIPv4Option(t): "bad IPv4 option \(t)"
        case let .notICMP(p): "not ICMP (protocol \(p))"
        case .badICMPChecksum: "bad ICMP checksum"
        case let .notICMPError(t): "ICMP type \(t) is not an error message"
        }
    }
}
