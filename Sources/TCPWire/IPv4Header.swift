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
