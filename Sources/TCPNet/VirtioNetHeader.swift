/// `struct virtio_net_hdr` (linux/virtio_net.h; the virtio 1.1 specification, §5.1.6): the 10
/// bytes in front of every packet read from or written to a TUN descriptor opened with
/// IFF_VNET_HDR. It says how the packet's checksum and segmentation are to be finished.
///
/// Layout: flags (u8), gso_type (u8), hdr_len, gso_size, csum_start, csum_offset (u16 each). A
/// TUN device uses the host's byte order unless told otherwise (TUNSETVNETLE/BE, which TCPKit
/// does not use: "legacy" virtio is native-endian), so the 16-bit fields are native.
public struct VirtioNetHeader: Sendable, Hashable {
    /// The header's size (TUNSETVNETHDRSZ's default).
    public static let size = 10

    /// VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum at csum_start + csum_offset is partial.
    public static let flagNeedsChecksum: UInt8 = 1
    /// VIRTIO_NET_HDR_F_DATA_VALID: the checksum was verified.
    public static let flagDataValid: UInt8 = 2
    /// VIRTIO_NET_HDR_GSO_*: none, TCP over IPv4, UDP (fragmentation offload), TCP over IPv6, and
    /// the ECN bit (the super-segment carries CWR).
    public static let gsoNone: UInt8 = 0, gsoTCPv4: UInt8 = 1, gsoUDP: UInt8 = 3, gsoTCPv6: UInt8 = 4, gsoECN: UInt8 = 0x80

    public var flags: UInt8 = 0
    public var gsoType: UInt8 = 0
    /// Bytes of headers (IP + TCP) in front of the payload, for segmentation.
    public var headerLength: UInt16 = 0
    /// Payload bytes per segment (the MSS) of a super-segment.
    public var gsoSize: UInt16 = 0
    /// Where the checksummed bytes start, and where the checksum field sits past that.
    public var checksumStart: UInt16 = 0
    public var checksumOffset: UInt16 = 0

    public init(flags: UInt8 = 0, gsoType: UInt8 = 0, headerLength: UInt16 = 0, gsoSize: UInt16 = 0,
                checksumStart: UInt16 = 0, checksumOffset: UInt16 = 0) {
        self.flags = flags
        self.gsoType = gsoType
        self.headerLength = headerLength
        self.gsoSize = gsoSize
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
    }

    /// Reads the first 10 bytes of `bytes` (nil when shorter).
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.size else { return nil }
        flags = bytes[0]
        gsoType = bytes[1]
        headerLength = bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
        gsoSize = bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        checksumStart = bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self)
        checksumOffset = bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
    }

    /// Writes the 10 bytes at the start of `bytes` (which must hold them).
    public func encode(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.size)
        bytes[0] = flags
        bytes[1] = gsoType
        bytes.storeBytes(of: headerLength, toByteOffset: 2, as: UInt16.self)
        bytes.storeBytes(of: gsoSize, toByteOffset: 4, as: UInt16.self)
        bytes.storeBytes(of: checksumStart, toByteOffset: 6, as: UInt16.self)
        bytes.storeBytes(of: checksumOffset, toByteOffset: 8, as: UInt16.self)
    }

    /// The header that asks the kernel to finish `offload` (all zero for `.none`). A `verified`
    /// checksum is written as DATA_VALID.
    public init(_ offload: PacketOffload) {
        switch offload.checksum {
        case .complete: break
        case .verified: flags = Self.flagDataValid
        case .partial(let start, let offset):
            flags = Self.flagNeedsChecksum
            checksumStart = UInt16(clamping: start)
            checksumOffset = UInt16(clamping: offset)
        }
        if offload.segmentSize > 0 {
            gsoType = offload.isIPv6 ? Self.gsoTCPv6 : Self.gsoTCPv4
            gsoSize = UInt16(clamping: offload.segmentSize)
            headerLength = UInt16(clamping: offload.headerLength)
        }
    }

    /// Why a received header cannot be honoured.
    public enum DecodeError: Error, Equatable, Sendable {
        /// A segmentation type TCPKit never enables (UDP fragmentation or segmentation...).
        case unsupportedGSOType(UInt8)
        /// A super-segment with a segment size of 0.
        case zeroSegmentSize
    }

    /// What this received header says about the packet behind it.
    public func offload() throws(DecodeError) -> PacketOffload {
        var o = PacketOffload()
        if flags & Self.flagNeedsChecksum != 0 {
            o.checksum = .partial(start: Int(checksumStart), offset: Int(checksumOffset))
        } else if flags & Self.flagDataValid != 0 {
            o.checksum = .verified
        }
        switch gsoType & ~Self.gsoECN {
        case Self.gsoNone:
            break
        case Self.gsoTCPv4, Self.gsoTCPv6:
            guard gsoSize > 0 else { throw .zeroSegmentSize }
            o.segmentSize = Int(gsoSize)
            o.headerLength = Int(headerLength)
            o.isIPv6 = gsoType & ~Self.gsoECN == Self.gsoTCPv6
        default:
            throw .unsupportedGSOType(gsoType)
        }
        return o
    }
}
