import TCPCore
import TCPWire

// The link's path MTU (`LinkModel.pathMTU`): a packet too big for it is dropped where the MTU
// shrinks, and the router there may say so with ICMP (RFC 1191 §4, RFC 8201 §4; RFC 792 /
// RFC 4443 formats) or stay silent (a black hole, RFC 2923 §2.1).
extension SimulatedNetwork {
    /// The router that drops packets too big for the path: an address of 198.18.0.0/15 (IPv4)
    /// or 2001:db8::/32 (IPv6), the ranges the simulated hosts use.
    static let routerIPv4 = IPAddress("198.18.0.254")!
    static let routerIPv6 = IPAddress("2001:db8::fe")!

    /// True for an IPv6 packet (routers never fragment one) and an IPv4 one with DF set.
    static func mayNotFragment(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first else { return false }
        if first >> 4 == 6 { return true }
        return bytes.count > 6 && bytes[6] & 0x40 != 0
    }

    /// Sends Fragmentation Needed (type 3 code 4) or Packet Too Big (ICMPv6 type 2) with `mtu`
    /// back to host `i`, quoting the dropped packet; it arrives `after` (the way back from
    /// where the path narrows, taken as the link's delay).
    func sendPacketTooBig(to i: Int, quoting bytes: [UInt8], mtu: Int, after delay: Duration) {
        let ipv6 = bytes.first.map { $0 >> 4 == 6 } ?? false
        let message = ICMPMessage.build(type: ipv6 ? 2 : 3, code: ipv6 ? 0 : 4, rest: UInt32(mtu),
                                        from: ipv6 ? Self.routerIPv6 : Self.routerIPv4, quoting: bytes)
        let name = hosts[i].name
        let what = ipv6 ? "ICMPv6 Packet Too Big" : "ICMP Fragmentation Needed"
        schedule(after: delay) { net in
            net.note(name, "\(what) from the router: MTU \(mtu)")
            net.withStack(name) { s, now in s.handle(icmpPacket: message, now: now) }
        }
    }
}
