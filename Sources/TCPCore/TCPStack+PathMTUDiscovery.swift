// Path MTU discovery per connection (ConnectionOptions.pathMTUDiscovery, IP_MTU_DISCOVER).

extension TCPStack {
    /// Clears DF in the IPv4 header at the start of `buffer` (path MTU discovery off,
    /// `ConnectionOptions.pathMTUDiscovery`), updating its checksum incrementally (RFC 1624 eqn. 3).
    static func clearDontFragment(_ buffer: UnsafeMutableRawBufferPointer, length: Int) {
        guard length >= 20, buffer.count >= 20, buffer[0] >> 4 == 4, buffer[6] & 0x40 != 0 else { return }
        let old = UInt16(buffer[6]) << 8 | UInt16(buffer[7])
        let new = old & ~0x4000
        buffer[6] = UInt8(new >> 8)
        let hc = UInt16(buffer[10]) << 8 | UInt16(buffer[11])
        var sum = UInt32(~hc) + UInt32(~old) + UInt32(new)
        sum = (sum & 0xffff) + (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16)
        let checksum = ~UInt16(truncatingIfNeeded: sum)
        buffer[10] = UInt8(checksum >> 8)
        buffer[11] = UInt8(checksum & 0xff)
    }
}
