/// What the device under the stack can finish for an outgoing packet (a Linux TUN device opened
/// with `IFF_VNET_HDR` and given `TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6` by `TUNSETOFFLOAD`, say).
///
/// Passed to `TCPStack.pollTransmit(now:into:offload:)`; the engine then may hand over a packet
/// that is not yet what goes on the wire, and `TransmittedPacket` says what the device must do.
public struct TransmitOffload: Sendable, Equatable {
    /// Largest TCP payload one emitted packet may carry (TCP segmentation offload). 0, or anything
    /// not above the connection's MSS, means one MSS per packet (no TSO). Linux caps a GSO packet
    /// at 64 KiB including headers (`GSO_MAX_SIZE`), and an IPv4 total length cannot exceed 65535,
    /// so 65535 − 40 − 60 is a sensible value for a TUN device; the engine also stays within the
    /// caller's buffer.
    public var maximumSegmentBytes: Int
    /// True: leave the TCP checksum partial (the pseudo-header sum only, not complemented) for the
    /// device to finish (Linux `CHECKSUM_PARTIAL`; `VIRTIO_NET_HDR_F_NEEDS_CSUM`).
    public var checksum: Bool

    public init(maximumSegmentBytes: Int = 0, checksum: Bool = false) {
        self.maximumSegmentBytes = maximumSegmentBytes
        self.checksum = checksum
    }

    /// Nothing offloaded: every packet is a finished wire segment, as `pollTransmit(now:into:)` writes.
    public static let none = TransmitOffload()
}
