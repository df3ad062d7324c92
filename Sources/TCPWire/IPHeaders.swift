/// IP protocol number of TCP (IANA).
public let ipProtocolTCP: UInt8 = 6

/// An IPv4 header (RFC 791 §3.1). Options are skipped when parsing and never emitted.
public struct IPv4Header: Hashable, Sendable {
    public var typeOfService: UInt8 = 0
    /// Header plus payload, as declared.
    public var totalLength: UInt16 = 0
    public var identification: UInt16 = 0
    public var dontFragment: Bool = true
    public var timeToLive: UInt8 = 64
    public var protocolNumber: UInt8 = ipProtocolTCP
    public var checksum: UInt16 = 0
    public var source: IPv4Address
    public var destination: IPv4Address
    /// Header length in bytes as read (20...60); `emit` always writes 20.
    public var headerLength: Int = 20

    public init(source: IPv4Address, destination: IPv4Address, timeToLive: UInt8 = 64,
                protocolNumber: UInt8 = ipProtocolTCP, identification: UInt16 = 0) {
        self.source = source
        self.destination = destination
        self.timeToLive = timeToLive
        self.protocolNumber = protocolNumber
        self.identification = identification
    }

    /// Parses the header at the front of `bytes` (the whole IP packet). Verifies version, IHL,
    /// the header checksum and that total length fits in the bytes given (bytes past it, such as
    /// Ethernet padding, are ignored by the caller). Fragments are rejected.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> IPv4Header {
        guard bytes.count >= 20 else { throw .truncated(layer: .ipv4, needed: 20, available: bytes.count) }
        let version = bytes[0] >> 4
        guard version == 4 else { throw .badIPVersion(version) }
        let ihl = Int(bytes[0] & 0x0f) * 4
        guard ihl >= 20, ihl <= bytes.count else { throw .badIPv4HeaderLength(ihl) }
        let total = Int(bytes.loadBE16(2))
        guard total >= ihl, total <= bytes.count else { throw .badTotalLength(declared: total, available: bytes.count) }
        guard InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: bytes[0..<ihl])) == 0 else { throw .badIPv4Checksum }
        let flagsFragment = bytes.loadBE16(6)
        // RFC 791: MF is bit 13 (0x2000); the offset the low 13 bits.
        guard flagsFragment & 0x2000 == 0, flagsFragment & 0x1fff == 0 else { throw .fragmented }
        var h = IPv4Header(source: IPv4Address(rawValue: bytes.loadBE32(12)),
                           destination: IPv4Address(rawValue: bytes.loadBE32(16)),
                           timeToLive: bytes[8], protocolNumber: bytes[9], identification: bytes.loadBE16(4))
        h.typeOfService = bytes[1]
        h.totalLength = UInt16(total)
        h.dontFragment = flagsFragment & 0x4000 != 0
        h.checksum = bytes.loadBE16(10)
        h.headerLength = ihl
        return h
    }

    /// Writes a 20-byte header with `totalLength` and a computed checksum. Returns 20.
    public func emit(into b: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        guard b.count >= 20 else { throw .bufferTooSmall(needed: 20, available: b.count) }
        b[0] = 0x45
        b[1] = typeOfService
        b.storeBE16(totalLength, at: 2)
        b.storeBE16(identification, at: 4)
        b.storeBE16(dontFragment ? 0x4000 : 0, at: 6)
        b[8] = timeToLive
        b[9] = protocolNumber
        b.storeBE16(0, at: 10)
        b.storeBE32(source.rawValue, at: 12)
        b.storeBE32(destination.rawValue, at: 16)
        let sum = InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: b[0..<20]))
        b.storeBE16(sum, at: 10)
        return 20
    }
}

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

extension UnsafeRawBufferPointer {
    func loadBE64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
extension UnsafeMutableRawBufferPointer {
    func storeBE64(_ v: UInt64, at offset: Int) { storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self) }
}
