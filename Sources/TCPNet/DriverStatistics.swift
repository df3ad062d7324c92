/// What the driver counted about packets, beyond the engine's `TCPStatistics`.
public struct DriverStatistics: Sendable, Hashable {
    public var packetsReceived = 0
    public var bytesReceived = 0
    public var packetsSent = 0
    public var bytesSent = 0
    /// ICMP echo requests (IPv4 type 8, IPv6 type 128) for our addresses, answered.
    public var icmpEchoRequestsAnswered = 0
    /// Other ICMP/ICMPv6 messages (any other type, or an echo request for another address): dropped.
    public var icmpIgnored = 0
    /// ICMP/ICMPv6 messages that were truncated or failed their checksum: dropped.
    public var icmpMalformed = 0
    /// ICMP/ICMPv6 error messages passed to the engine (`TCPStatistics.icmpReceived` and the
    /// drops say what it made of them).
    public var icmpErrorsPassedUp = 0
    /// `TCPEvent.negativeAdvice` events (R1 reached, RFC 9293 §3.8.3): the driver has no route or
    /// neighbour cache of its own to refresh (the kernel behind the TUN device does), so it counts them.
    public var negativeAdvice = 0
    /// IP packets that are neither TCP nor ICMP (UDP, IPv6 extension headers...): dropped.
    public var otherProtocolDropped = 0
    /// Packets the device delivered faster than the loop took them, past the inbox bound: dropped.
    public var inboxDropped = 0
    /// Times the event loop read packets itself from a pollable device (one wake-up each, up to
    /// 64 packets); `packetsReceived` divided by it is the mean batch. 0 when the device delivers
    /// through `start(receive:)`.
    public var deviceReadBatches = 0
    /// Device offloads (a `TUNDevice` with offloads on): TCP super-segments (larger than the MTU,
    /// one `virtio_net_hdr` for many segments) received from the device and sent to it.
    public var offloadSuperSegmentsReceived = 0
    public var offloadSuperSegmentsSent = 0
    /// Packets received with a partial checksum (NEEDS_CSUM: the kernel never computed it, the
    /// bytes crossed no wire) and sent with one (for the device to complete).
    public var checksumPartialReceived = 0
    public var checksumPartialSent = 0
    /// Packets whose offload description did not fit them (a checksum position outside the
    /// packet): dropped.
    public var offloadMalformedDropped = 0
    /// Sharded stacks (`NetworkStack(devices:...)`): TCP segments this shard had no connection
    /// for and handed to the next shard (one count per hand-off), and segments other shards
    /// handed to this one. A shard's `packetsReceived` counts only what its own device delivered.
    public var segmentsHandedOff = 0
    public var segmentsTakenOver = 0
    /// Hand-offs dropped because the next shard's mailbox was full (or it had stopped).
    public var handOffDropped = 0
    /// Flushes cut short by the per-tick transmit budget (`StackCore.transmitBudget`): the rest
    /// went out in a later turn of the loop, after the device was read again.
    public var transmitBudgetCuts = 0
    public init() {}

    /// Adds `other`'s counters to these (the sum over the shards of a sharded stack).
    public mutating func add(_ other: DriverStatistics) {
        packetsReceived += other.packetsReceived
        bytesReceived += other.bytesReceived
        packetsSent += other.packetsSent
        bytesSent += other.bytesSent
        icmpEchoRequestsAnswered += other.icmpEchoRequestsAnswered
        icmpIgnored += other.icmpIgnored
        icmpMalformed += other.icmpMalformed
        icmpErrorsPassedUp += other.icmpErrorsPassedUp
        negativeAdvice += other.negativeAdvice
        otherProtocolDropped += other.otherProtocolDropped
        inboxDropped += other.inboxDropped
        deviceReadBatches += other.deviceReadBatches
        segmentsHandedOff += other.segmentsHandedOff
        segmentsTakenOver += other.segmentsTakenOver
        handOffDropped += other.handOffDropped
        transmitBudgetCuts += other.transmitBudgetCuts
        offloadSuperSegmentsReceived += other.offloadSuperSegmentsReceived
        offloadSuperSegmentsSent += other.offloadSuperSegmentsSent
        checksumPartialReceived += other.checksumPartialReceived
        checksumPartialSent += other.checksumPartialSent
        offloadMalformedDropped += other.offloadMalformedDropped
    }
}
