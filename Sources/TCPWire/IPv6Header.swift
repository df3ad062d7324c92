/// The IPv6 fixed header (RFC 8200 §3). Extension headers are not supported yet: a next-header
/// value other than TCP or "no next header" that names an extension is a typed error.
public struct IPv6Header: Hashable, Sendable {
    public var trafficClass: UInt8 = 0
    public var flowLabel: UInt32 = 0
    public var payloadLength: UInt16 = 0
    public var nextHeader: UInt8 = ipProtocolTCP
    public var hopLimit: UInt8 = 64
    public var source: IPv6Address
    public var destination: IPv6Address

    public init(source: IPv6Address, destination: IPv6Address, hopLimit: UInt8 = 64, nextHeader: UInt8 = ipProtocolTCP) {
        self.source = source
        self.destination = destination
        self.hopLimit = hopLimit
        self.nextHeader = nextHeader
    }

    /// Extension header numbers (RFC 8200 §4, RFC 7045): hop-by-hop, routing, fragment, ESP, AH,
    /// destination options, mobility, HIP, shim6, and the two experimental values.
    public static let extensionHeaders: Set<UInt8> = [0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254]

    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> IPv6Header {
        guard bytes.count >= 40 else { throw .truncated(layer: .ipv6, needed: 40, available: bytes.count) }
        let version = bytes[0] >> 4
        guard version == 6 else { throw .badIPVersion(version) }
        let payload = Int(bytes.loadBE16(4))
        guard 40 + payload <= bytes.count else { throw .badTotalLength(declared: 40 + payload, available: bytes.count) }
        let first = bytes.loadBE32(0)
        var h = IPv6Header(
            source: IPv6Address(high: bytes.loadBE64(8), low: bytes.loadBE64(16)),
            destination: IPv6Address(high: bytes.loadBE64(24), low: bytes.loadBE64(32)),
            hopLimit: bytes[7], nextHeader: bytes[6])
        h.trafficClass = UInt8(truncatingIfNeeded: first >> 20)
        h.flowLabel = first & 0xfffff
        h.payloadLength = UInt16(payload)
        if extensionHeaders.contains(h.nextHeader) { throw .unsupportedIPv6ExtensionHeader(h.nextHeader) }
        return h
    }

    public func emit(into b: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        guard b.count >= 40 else { throw .bufferTooSmall(needed: 40, available: b.count) }
        b.storeBE32(6 << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xfffff), at: 0)
        b.storeBE16(payloadLength, at: 4)
        b[6] = nextHeader
        b[7] = hopLimit
        b.storeBE64(source.high, at: 8)
        b.storeBE64(source.low, at: 16)
        b.storeBE64(destination.high, at: 24)
        b.storeBE64(destination.low, at: 32)
        return 40
    }
}
