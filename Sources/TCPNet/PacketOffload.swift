import TCPCore
import TCPWire

/// What a device did, or is asked to do, beyond moving a plain IP packet: segmentation of a TCP
/// super-segment (TSO/GSO, and its receive-side counterpart, GRO) and the transport checksum.
///
/// A received packet comes with one (`PollablePacketDevice.receive(into:offload:)`): a TUN device
/// with offloads hands over segments of up to 64 KiB, with a checksum the kernel never computed
/// because the bytes never crossed a wire. A packet to send goes with one
/// (`PacketDevice.send(_:offload:)`) only when the device said it can finish it
/// (`PacketDevice.transmitOffload`). `PacketOffload.none` is a plain packet, whole and checksummed.
public struct PacketOffload: Sendable, Hashable {
    /// The state of the transport (TCP, UDP, ICMP...) checksum.
    public enum Checksum: Sendable, Hashable {
        /// The packet carries its whole checksum; a receiver verifies it.
        case complete
        /// The 16-bit checksum field at `start + offset` holds only the pseudo-header sum; whoever
        /// passes the packet on sums the bytes from `start` to the end into it (a Linux
        /// CHECKSUM_PARTIAL buffer, virtio's NEEDS_CSUM).
        case partial(start: Int, offset: Int)
        /// Whoever delivered the packet has verified its checksum (virtio's DATA_VALID).
        case verified
    }

    public var checksum: Checksum
    /// 0: the packet is one segment. Otherwise it is a TCP super-segment whose payload is (or was)
    /// cut into segments of this many bytes, each with a copy of the headers.
    public var segmentSize: Int
    /// With `segmentSize`: the bytes of IP and TCP headers in front of the payload.
    public var headerLength: Int
    /// With `segmentSize`: an IPv6 packet (else IPv4).
    public var isIPv6: Bool

    public init(checksum: Checksum = .complete, segmentSize: Int = 0, headerLength: Int = 0, isIPv6: Bool = false) {
        self.checksum = checksum
        self.segmentSize = segmentSize
        self.headerLength = headerLength
        self.isIPv6 = isIPv6
    }

    /// A plain packet: one segment, whole checksum.
    public static let none = PacketOffload()

    /// What the engine left for the device to finish on a packet it wrote.
    public init(_ packet: TransmittedPacket) {
        self.init(checksum: packet.checksumPartial ? .partial(start: packet.ipHeaderLength, offset: TransmittedPacket.checksumOffset) : .complete,
                  segmentSize: packet.segmentSize, headerLength: packet.transportHeaderLength, isIPv6: packet.isIPv6)
    }

    /// What the transmit side of a device finishes for the driver (`PacketDevice.transmitOffload`).
    public struct Capabilities: Sendable, Hashable {
        /// The device completes partial transport checksums.
        public var checksum: Bool
        /// The device cuts TCP super-segments (of up to `maximumPacketBytes`) into segments.
        public var segmentation: Bool
        /// The largest packet `send` takes.
        public var maximumPacketBytes: Int

        public init(checksum: Bool, segmentation: Bool, maximumPacketBytes: Int) {
            self.checksum = checksum
            self.segmentation = segmentation
            self.maximumPacketBytes = maximumPacketBytes
        }

        /// Plain packets only.
        public static let none = Capabilities(checksum: false, segmentation: false, maximumPacketBytes: 0)

        /// What the engine may leave to such a device: TCP payload up to the largest packet less
        /// the largest IP (40) and TCP (60) headers, and the checksum.
        public var engineOffload: TransmitOffload {
            guard checksum || segmentation else { return .none }
            return TransmitOffload(maximumSegmentBytes: segmentation ? max(0, maximumPacketBytes - 40 - 60) : 0, checksum: checksum)
        }
    }

    /// What the driver does with a received packet before the engine or the ICMP responder sees it.
    enum ReceiveVerdict: Equatable {
        /// Verify the checksum as usual.
        case verify
        /// Its checksum is not to be verified (partial in the TCP header, or vouched for).
        case trusted
        /// The offload description does not fit the packet: drop it (counted).
        case malformed
    }

    /// Prepares a received `packet` according to `self`: a partial checksum that sits in the TCP
    /// header (start = the IP header's length, offset 16: RFC 9293 §3.1's checksum field) is left
    /// as it is and trusted (the sender is this host's kernel, the bytes crossed no wire); any
    /// other partial checksum (ICMP, or a TCP one elsewhere) is completed here, in place
    /// (`TCPPacket.completeChecksum`), and then verified as usual, as the kernel would complete it
    /// before handing the packet to a socket.
    func prepareReceived(_ packet: UnsafeMutableRawBufferPointer) -> ReceiveVerdict {
        switch checksum {
        case .complete: return .verify
        case .verified: return .trusted
        case .partial(let start, let offset):
            guard start >= 0, offset >= 0, start + offset + 2 <= packet.count else { return .malformed }
            if let ipHeader = Self.tcpHeaderStart(UnsafeRawBufferPointer(packet)), start == ipHeader, offset == 16 {
                return .trusted
            }
            TCPPacket.completeChecksum(packet, start: start, offset: offset)
            return .verify
        }
    }

    /// Where the TCP header starts in an IPv4 or IPv6 packet carrying TCP (no extension headers),
    /// or nil for anything else.
    static func tcpHeaderStart(_ packet: UnsafeRawBufferPointer) -> Int? {
        guard packet.count >= 20 else { return nil }
        switch packet[0] >> 4 {
        case 4:
            let ihl = Int(packet[0] & 0x0F) * 4
            return packet[9] == ipProtocolTCP && ihl >= 20 ? ihl : nil
        case 6:
            return packet.count >= 40 && packet[6] == ipProtocolTCP ? 40 : nil
        default:
            return nil
        }
    }
}
