/// IP protocol numbers of ICMP (RFC 792) and ICMPv6 (RFC 4443).
public let ipProtocolICMPv4: UInt8 = 1
public let ipProtocolICMPv6: UInt8 = 58

/// An ICMP or ICMPv6 error message that quotes a TCP segment (RFC 792, RFC 4443 §3, RFC 1191 §4,
/// RFC 8201 §4): what it says, who sent it, and the quoted segment's addresses, ports and
/// sequence number. The quoted packet is one this host sent, so its source is the local side.
public struct ICMPMessage: Hashable, Sendable {
    /// What kind of error, with its code (the raw type and code are kept beside it).
    public enum Kind: Hashable, Sendable {
        /// ICMP type 3 / ICMPv6 type 1 with the message's code (not ICMPv4 code 4, see below).
        case destinationUnreachable(code: UInt8)
        /// ICMP type 3 code 4, "fragmentation needed and DF set" (RFC 1191 §4), and ICMPv6 type 2,
        /// Packet Too Big (RFC 4443 §3.2): the next-hop MTU. For an ICMPv4 message from a router
        /// that leaves the field zero (pre-RFC 1191), this is RFC 1191 §5's plateau estimate below
        /// the quoted datagram's total length.
        case packetTooBig(mtu: Int)
        /// ICMP type 4 (deprecated, RFC 6633).
        case sourceQuench
        /// ICMP type 11 / ICMPv6 type 3.
        case timeExceeded(code: UInt8)
        /// ICMP type 12 / ICMPv6 type 4.
        case parameterProblem(code: UInt8)
        /// ICMP type 5: a redirect names a better first hop; TCP has nothing to do with it.
        case redirect(code: UInt8)
    }

    public var kind: Kind
    public var type: UInt8
    public var code: UInt8
    /// The host or router that sent the message, and the address it was sent to (ours).
    public var source: IPAddress
    public var destination: IPAddress
    /// The quoted segment's source (our side) and destination (the peer), with ports.
    public var quotedSource: SocketAddress
    public var quotedDestination: SocketAddress
    /// The quoted segment's sequence number (RFC 5927 §4.1 checks it).
    public var quotedSequence: SequenceNumber
    /// The quoted IPv4 header's total length / IPv6 payload length + 40, as declared.
    public var quotedLength: Int

    public init(kind: Kind, type: UInt8, code: UInt8, source: IPAddress, destination: IPAddress,
                quotedSource: SocketAddress, quotedDestination: SocketAddress, quotedSequence: SequenceNumber,
                quotedLength: Int) {
        self.kind = kind
        self.type = type
        self.code = code
        self.source = source
        self.destination = destination
        self.quotedSource = quotedSource
        self.quotedDestination = quotedDestination
        self.quotedSequence = quotedSequence
        self.quotedLength = quotedLength
    }

    /// True for an IP packet carrying ICMP or ICMPv6 (by the protocol / next header field only).
    public static func isICMP(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard packet.count >= 1 else { return false }
        switch packet[0] >> 4 {
        case 4: return packet.count >= 20 && packet[9] == ipProtocolICMPv4
        case 6: return packet.count >= 40 && packet[6] == ipProtocolICMPv6
        default: return false
        }
    }

    /// RFC 1191 §7's table of plateaus (bytes), highest first.
    public static let plateaus = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68]

    /// Parses an IP packet carrying an ICMP or ICMPv6 error message that quotes TCP. Verifies the
    /// IP header, the ICMP checksum (ICMPv6: with the RFC 8200 §8.1 pseudo-header), that the
    /// message is an error message (not an echo or another informational one:
    /// `.notICMPError`), and that the quote holds an IP header of TCP and at least the first
    /// 8 bytes of its header (RFC 792: "Internet Header + 64 bits of Original Data Datagram").
    public static func parse(_ packet: UnsafeRawBufferPointer, verifyChecksum: Bool = true) throws(WireError) -> ICMPMessage {
        guard packet.count >= 1 else { throw .truncated(layer: .ipv4, needed: 20, available: 0) }
        switch packet[0] >> 4 {
        case 4:
            let ip = try IPv4Header.parse(packet)
            guard ip.protocolNumber == ipProtocolICMPv4 else { throw .notICMP(ip.protocolNumber) }
            let m = UnsafeRawBufferPointer(rebasing: packet[ip.headerLength..<Int(ip.totalLength)])
            guard m.count >= 8 else { throw .truncated(layer: .icmp, needed: 8, available: m.count) }
            if verifyChecksum { guard InternetChecksum.compute(m) == 0 else { throw .badICMPChecksum } }
            return try parseV4(m, source: .v4(ip.source), destination: .v4(ip.destination))
        case 6:
            let ip = try IPv6Header.parse(packet)
            guard ip.nextHeader == ipProtocolICMPv6 else { throw .notICMP(ip.nextHeader) }
            let m = UnsafeRawBufferPointer(rebasing: packet[40..<(40 + Int(ip.payloadLength))])
            guard m.count >= 8 else { throw .truncated(layer: .icmp, needed: 8, available: m.count) }
            if verifyChecksum {
                guard icmpv6Checksum(source: ip.source, destination: ip.destination, message: m) == 0 else { throw .badICMPChecksum }
            }
            return try parseV6(m, source: .v6(ip.source), destination: .v6(ip.destination))
        case let v:
            throw .badIPVersion(v)
        }
    }

    static func parseV4(_ m: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress) throws(WireError) -> ICMPMessage {
        let type = m[0], code = m[1]
        // The quoted datagram follows the 8-byte ICMP header (RFC 792).
        let q = UnsafeRawBufferPointer(rebasing: m[8...])
        guard q.count >= 20 else { throw .truncated(layer: .icmpQuote, needed: 20, available: q.count) }
        guard q[0] >> 4 == 4 else { throw .badIPVersion(q[0] >> 4) }
        let ihl = Int(q[0] & 0x0f) * 4
        guard ihl >= 20 else { throw .badIPv4HeaderLength(ihl) }
        guard q[9] == ipProtocolTCP else { throw .notTCP(q[9]) }
        guard q.count >= ihl + 8 else { throw .truncated(layer: .icmpQuote, needed: ihl + 8, available: q.count) }
        // A quoted fragment other than the first holds no TCP header (RFC 792: the data quoted
        // are the first 64 bits of that fragment's data).
        guard q.loadBE16(6) & 0x1fff == 0 else { throw .fragmented }
        let quotedLength = Int(q.loadBE16(2))
        let kind: Kind
        switch type {
        case 3 where code == 4:
            // RFC 1191 §4: the next-hop MTU in the low 16 bits of the "unused" field.
            var mtu = Int(m.loadBE16(6))
            if mtu == 0 {
                // RFC 1191 §5: an old router; the largest plateau below the datagram's length.
                mtu = plateaus.first { $0 < quotedLength } ?? 68
            }
            kind = .packetTooBig(mtu: mtu)
        case 3: kind = .destinationUnreachable(code: code)
        case 4: kind = .sourceQuench
        case 5: kind = .redirect(code: code)
        case 11: kind = .timeExceeded(code: code)
        case 12: kind = .parameterProblem(code: code)
        default: throw .notICMPError(type: type)
        }
        let tcp = UnsafeRawBufferPointer(rebasing: q[ihl...])
        return ICMPMessage(kind: kind, type: type, code: code, source: source, destination: destination,
                           quotedSource: SocketAddress(.v4(IPv4Address(rawValue: q.loadBE32(12))), tcp.loadBE16(0)),
                           quotedDestination: SocketAddress(.v4(IPv4Address(rawValue: q.loadBE32(16))), tcp.loadBE16(2)),
                           quotedSequence: SequenceNumber(tcp.loadBE32(4)), quotedLength: quotedLength)
    }

    static func parseV6(_ m: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress) throws(WireError) -> ICMPMessage {
        let type = m[0], code = m[1]
        let kind: Kind
        // RFC 4443 §2.1: types below 128 are errors; §3 defines 1 to 4.
        switch type {
        case 1: kind = .destinationUnreachable(code: code)
        case 2: kind = .packetTooBig(mtu: Int(m.loadBE32(4)))   // RFC 4443 §3.2: a 32-bit MTU
        case 3: kind = .timeExceeded(code: code)
        case 4: kind = .parameterProblem(code: code)
        default: throw .notICMPError(type: type)
        }
        let q = UnsafeRawBufferPointer(rebasing: m[8...])
        guard q.count >= 48 else { throw .truncated(layer: .icmpQuote, needed: 48, available: q.count) }
        guard q[0] >> 4 == 6 else { throw .badIPVersion(q[0] >> 4) }
        // We send no extension headers, so a quote of ours has TCP right after the fixed header.
        guard q[6] == ipProtocolTCP else { throw .notTCP(q[6]) }
        let tcp = UnsafeRawBufferPointer(rebasing: q[40...])
        return ICMPMessage(kind: kind, type: type, code: code, source: source, destination: destination,
                           quotedSource: SocketAddress(.v6(IPv6Address(high: q.loadBE64(8), low: q.loadBE64(16))), tcp.loadBE16(0)),
                           quotedDestination: SocketAddress(.v6(IPv6Address(high: q.loadBE64(24), low: q.loadBE64(32))), tcp.loadBE16(2)),
                           quotedSequence: SequenceNumber(tcp.loadBE32(4)), quotedLength: 40 + Int(q.loadBE16(4)))
    }

    /// RFC 4443 §2.3 with the RFC 8200 §8.1 pseudo-header: zero when a received checksum is right.
    public static func icmpv6Checksum(source: IPv6Address, destination: IPv6Address, message: UnsafeRawBufferPointer) -> UInt16 {
        var c = InternetChecksum()
        c.add(UInt32(truncatingIfNeeded: source.high >> 32)); c.add(UInt32(truncatingIfNeeded: source.high))
        c.add(UInt32(truncatingIfNeeded: source.low >> 32)); c.add(UInt32(truncatingIfNeeded: source.low))
        c.add(UInt32(truncatingIfNeeded: destination.high >> 32)); c.add(UInt32(truncatingIfNeeded: destination.high))
        c.add(UInt32(truncatingIfNeeded: destination.low >> 32)); c.add(UInt32(truncatingIfNeeded: destination.low))
        c.add(UInt32(message.count))
        c.add(UInt32(ipProtocolICMPv6))
        c.add(message)
        return c.value
    }

    /// Builds the IP packet of an ICMP error message from `sender` to the quoted packet's source,
    /// quoting `quoted` (an IP packet; cut to `quoteLength` bytes, the RFC 792 minimum of the IP
    /// header + 8 by default): for tests, the script runner and simulated routers. `rest` is the
    /// 32-bit field after the checksum (the next-hop MTU in its low 16 bits for ICMPv4
    /// fragmentation needed, the MTU for ICMPv6 Packet Too Big).
    public static func build(type: UInt8, code: UInt8, rest: UInt32 = 0, from sender: IPAddress,
                             quoting quoted: [UInt8], quoteLength: Int? = nil) -> [UInt8] {
        let isV6 = quoted.first.map { $0 >> 4 == 6 } ?? false
        let ipLength = isV6 ? 40 : (quoted.count > 0 ? Int(quoted[0] & 0x0f) * 4 : 20)
        let n = min(quoted.count, quoteLength ?? (isV6 ? 1232 : ipLength + 8))
        var message = [UInt8](repeating: 0, count: 8) + quoted[0..<n]
        message[0] = type
        message[1] = code
        message[4] = UInt8(truncatingIfNeeded: rest >> 24); message[5] = UInt8(truncatingIfNeeded: rest >> 16)
        message[6] = UInt8(truncatingIfNeeded: rest >> 8); message[7] = UInt8(truncatingIfNeeded: rest)
        var out = [UInt8](repeating: 0, count: (isV6 ? 40 : 20) + message.count)
        out.withUnsafeMutableBytes { b in
            switch sender {
            case .v4(let s):
                let d = quoted.count >= 16 ? quoted.withUnsafeBytes { IPv4Address(rawValue: $0.loadBE32(12)) } : IPv4Address(rawValue: 0)
                var ip = IPv4Header(source: s, destination: d, protocolNumber: ipProtocolICMPv4)
                ip.totalLength = UInt16(b.count)
                ip.dontFragment = false
                _ = try? ip.emit(into: b)
                let body = UnsafeMutableRawBufferPointer(rebasing: b[20...])
                message.withUnsafeBytes { body.copyMemory(from: $0) }
                body.storeBE16(InternetChecksum.compute(UnsafeRawBufferPointer(body)), at: 2)
            case .v6(let s):
                let d = quoted.count >= 40 ? quoted.withUnsafeBytes { IPv6Address(high: $0.loadBE64(8), low: $0.loadBE64(16)) } : IPv6Address(high: 0, low: 0)
                var ip = IPv6Header(source: s, destination: d, nextHeader: ipProtocolICMPv6)
                ip.payloadLength = UInt16(message.count)
                _ = try? ip.emit(into: b)
                let body = UnsafeMutableRawBufferPointer(rebasing: b[40...])
                message.withUnsafeBytes { body.copyMemory(from: $0) }
                body.storeBE16(icmpv6Checksum(source: s, destination: d, message: UnsafeRawBufferPointer(body)), at: 2)
            }
        }
        return out
    }
}
