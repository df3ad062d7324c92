/// An IPv4 source route (RFC 791 §3.1): Loose Source and Record Route (option type 131) or Strict
/// Source and Record Route (type 137). `hops` are the addresses a datagram visits, in order,
/// before its final destination.
///
/// On the wire the datagram's destination field holds the next hop and the option holds the rest,
/// then the final destination, with a pointer (1-based, from the option's type octet) to the next
/// address to use. Each hop replaces the address it used with its own, so at the final
/// destination the pointer is past the end and the option holds the route as travelled. RFC 1122
/// §3.3.5 / §4.2.3.8: TCP answers such a datagram along the reverse of that recorded route.
public struct IPv4SourceRoute: Hashable, Sendable {
    public var strict: Bool
    public var hops: [IPv4Address]

    /// At most nine addresses fit in the 40 bytes of IPv4 options (3 + 4·9 = 39): the hops after
    /// the first and the final destination.
    public static let maximumHops = 9

    public init(strict: Bool = false, hops: [IPv4Address]) {
        self.strict = strict
        self.hops = hops
    }

    /// The option type: 137 strict, 131 loose.
    public var optionType: UInt8 { strict ? 137 : 131 }

    /// The bytes this route adds to the IPv4 header: the option (3 + 4 per address after the
    /// first hop, the final destination included), padded to whole 32-bit words. 0 without hops.
    public var headerBytes: Int { hops.isEmpty ? 0 : (3 + 4 * hops.count + 3) / 4 * 4 }

    /// A source route found in a received datagram's options.
    public struct Received: Hashable, Sendable {
        public var strict: Bool
        /// The addresses in the option, in order (the route as travelled once it is complete).
        public var recorded: [IPv4Address]
        /// The pointer is past the last address: the datagram reached the end of its route.
        public var complete: Bool

        /// The route back to `originalSource` (the datagram's source address): the recorded
        /// addresses in reverse order (RFC 1122 §3.3.5).
        public var returnRoute: IPv4SourceRoute { IPv4SourceRoute(strict: strict, hops: recorded.reversed()) }
    }

    /// The source route option among an IPv4 header's options (the bytes after the fixed 20), or
    /// nil if there is none. Malformed options (a length that does not fit, a route whose length
    /// is not 3 + 4n, a pointer out of range) throw.
    public static func find(inOptions bytes: UnsafeRawBufferPointer) throws(WireError) -> Received? {
        var i = 0
        var found: Received? = nil
        while i < bytes.count {
            let type = bytes[i]
            if type == 0 { break }             // End of option list
            if type == 1 { i += 1; continue }  // No operation
            guard i + 1 < bytes.count else { throw .badIPv4Option(type: type) }
            let length = Int(bytes[i + 1])
            guard length >= 2, i + length <= bytes.count else { throw .badIPv4Option(type: type) }
            if type == 131 || type == 137 {
                // RFC 791: type, length, pointer (>= 4), then whole addresses; one source route per datagram.
                guard found == nil, length >= 3, (length - 3) % 4 == 0 else { throw .badIPv4Option(type: type) }
                let pointer = Int(bytes[i + 2])
                guard pointer >= 4, pointer <= length + 1, (pointer - 4) % 4 == 0 else { throw .badIPv4Option(type: type) }
                var recorded: [IPv4Address] = []
                var j = i + 3
                while j + 4 <= i + length {
                    recorded.append(IPv4Address(rawValue: bytes.loadBE32(j)))
                    j += 4
                }
                found = Received(strict: type == 137, recorded: recorded, complete: pointer > length)
            }
            i += length
        }
        return found
    }

    /// Puts this route into an IPv4 packet of `length` bytes at the front of `packet`, emitted
    /// with a 20-byte header for the final destination: the TCP (or other) payload moves up by
    /// `headerBytes`, the option goes after the fixed header (EOL-padded), the destination becomes
    /// the first hop and the final destination the option's last address; IHL, total length and
    /// the header checksum follow. The transport checksum is untouched: its pseudo-header holds
    /// the final destination (RFC 9293 §3.1). Returns the new length, or nil if `packet` has no
    /// room, the route is empty or longer than `maximumHops`, or the header is not a plain one.
    public func insert(into packet: UnsafeMutableRawBufferPointer, length: Int) -> Int? {
        let extra = headerBytes
        guard !hops.isEmpty, hops.count <= Self.maximumHops, length >= 20, packet[0] == 0x45,
              length + extra <= packet.count, length + extra <= 65535 else { return nil }
        let base = packet.baseAddress!
        (base + 20 + extra).copyMemory(from: base + 20, byteCount: length - 20)
        let finalDestination = UnsafeRawBufferPointer(packet).loadBE32(16)
        let optionLength = 3 + 4 * hops.count
        packet[20] = optionType
        packet[21] = UInt8(optionLength)
        packet[22] = 4
        var k = 23
        for hop in hops.dropFirst() { packet.storeBE32(hop.rawValue, at: k); k += 4 }
        packet.storeBE32(finalDestination, at: k); k += 4
        while k < 20 + extra { packet[k] = 0; k += 1 }
        packet[0] = 0x40 | UInt8((20 + extra) / 4)
        packet.storeBE16(UInt16(length + extra), at: 2)
        packet.storeBE32(hops[0].rawValue, at: 16)
        packet.storeBE16(0, at: 10)
        let sum = InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: packet[0..<(20 + extra)]))
        packet.storeBE16(sum, at: 10)
        return length + extra
    }
}
