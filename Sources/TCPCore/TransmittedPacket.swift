/// What `TCPStack.pollTransmit(now:into:offload:)` wrote, and what the device still has to do
/// with it (the fields of a `virtio_net_hdr` for a TUN device with `IFF_VNET_HDR`).
public struct TransmittedPacket: Sendable, Equatable {
    /// Bytes written into the buffer: IP header + TCP header + payload.
    public var length: Int
    /// 0: the packet goes on the wire as it stands. Otherwise the payload bytes per wire segment
    /// the device cuts the packet's payload into (virtio `gso_size`, `VIRTIO_NET_HDR_GSO_TCPV4` or
    /// `_TCPV6`): the connection's effective send MSS, i.e. payload bytes after the TCP options.
    /// Each piece gets a copy of the IP and TCP header (options and timestamps included), its own
    /// sequence number, IP length and checksum; FIN and PSH stay on the last piece only (as
    /// Linux's `tcp_gso_segment` does). Only the last piece may be shorter than `segmentSize`.
    public var segmentSize: Int
    /// True: the TCP checksum field holds the pseudo-header sum only (folded, not complemented,
    /// as Linux `CHECKSUM_PARTIAL` expects) and the device finishes it: sum from `csum_start` =
    /// the IP header length to the end, store the complement at `csum_offset` = 16 from there.
    public var checksumPartial: Bool
    /// IPv6 (else IPv4): `VIRTIO_NET_HDR_GSO_TCPV6` rather than `_TCPV4` when `segmentSize` > 0.
    public var isIPv6: Bool
    /// IP header + TCP header bytes (virtio `hdr_len`); the IP header alone is 20 (IPv4, no
    /// options) or 40 (IPv6).
    public var transportHeaderLength: Int

    public init(length: Int, segmentSize: Int = 0, checksumPartial: Bool = false, isIPv6: Bool, transportHeaderLength: Int) {
        self.length = length
        self.segmentSize = segmentSize
        self.checksumPartial = checksumPartial
        self.isIPv6 = isIPv6
        self.transportHeaderLength = transportHeaderLength
    }

    /// The IP header's length: where the TCP header, and the partial checksum's sum, start
    /// (virtio `csum_start`).
    public var ipHeaderLength: Int { isIPv6 ? 40 : 20 }
    /// Where the TCP checksum field lies relative to `ipHeaderLength` (virtio `csum_offset`).
    public static let checksumOffset = 16
}
