import TCPCore
import TCPWire

extension SimulatedNetwork {
    /// Marks an ECN-capable IP packet Congestion Experienced (RFC 3168 §5: ECT(0) or ECT(1)
    /// becomes CE; a Not-ECT packet, or one already CE, is left alone) and, for IPv4, updates the
    /// header checksum (RFC 1624's incremental update: the ECN bits live in the header).
    /// Returns true when the packet was marked.
    static func markCE(_ bytes: inout [UInt8]) -> Bool {
        guard let first = bytes.first else { return false }
        switch first >> 4 {
        case 4:
            guard bytes.count >= 20 else { return false }
            let ecn = bytes[1] & 3
            guard ecn == 1 || ecn == 2 else { return false }
            let oldWord = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            bytes[1] |= 3
            let newWord = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            // HC' = ~(~HC + ~m + m') (RFC 1624 eqn. 3).
            var sum = UInt32(~(UInt16(bytes[10]) << 8 | UInt16(bytes[11]))) + UInt32(~oldWord) + UInt32(newWord)
            while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
            let checksum = ~UInt16(sum)
            bytes[10] = UInt8(checksum >> 8)
            bytes[11] = UInt8(checksum & 0xff)
            return true
        case 6:
            // Traffic class: the low nibble of byte 0 and the high nibble of byte 1; its ECN bits
            // are bits 4 and 5 of byte 1. IPv6 has no header checksum.
            guard bytes.count >= 40 else { return false }
            let ecn = (bytes[1] >> 4) & 3
            guard ecn == 1 || ecn == 2 else { return false }
            bytes[1] |= 0x30
            return true
        default:
            return false
        }
    }
}

extension LinkModel {
    /// The marking threshold `tcpkit simulate --ecn` uses: a third of the queue (at least one
    /// packet or one full-sized packet's bytes), or 20 packets on a link without a queue limit.
    /// A third leaves room for slow start's last round, which grows the queue for one round trip
    /// before the first ECE can slow the sender (with 10 Mbit/s, 25 ms and 50 packets, half the
    /// queue still overflowed in slow start; a third did not).
    public static func defaultECNThreshold(queue: QueueLimit?) -> QueueLimit {
        switch queue {
        case nil: .packets(20)
        case .packets(let n): .packets(max(1, n / 3))
        case .bytes(let n): .bytes(max(1500, n / 3))
        }
    }
}
