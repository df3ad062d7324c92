import TCPWire

extension TCPStack {
    /// Writes the next IP packet to send into `buffer`, letting the device finish what `offload`
    /// says it can (TCP segmentation, checksum), and describes it; nil when there is nothing to
    /// send. With `offload: .none` the bytes are exactly those `pollTransmit(now:into:)` writes.
    /// Call until nil after every input, timeout or application call.
    public mutating func pollTransmit(now: Instant, into buffer: UnsafeMutableRawBufferPointer,
                                      offload: TransmitOffload) -> TransmittedPacket? {
        guard let n = pollTransmit(now: now, into: buffer) else { return nil }
        let isIPv6 = buffer[0] >> 4 == 6
        let ipHeader = isIPv6 ? 40 : Int(buffer[0] & 0x0f) * 4
        let tcpHeader = Int(buffer[ipHeader + 12] >> 4) * 4
        return TransmittedPacket(length: n, segmentSize: 0, checksumPartial: false, isIPv6: isIPv6,
                                 transportHeaderLength: ipHeader + tcpHeader)
    }
}
