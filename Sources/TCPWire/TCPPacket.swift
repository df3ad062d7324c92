/// A TCP segment read from an IP packet. `payload` points into the caller's bytes (no copy) and is
/// valid only as long as they are.
public struct TCPSegmentView {
    public var source: IPAddress
    public var destination: IPAddress
    public var header: TCPHeader
    public var payload: UnsafeRawBufferPointer
    /// Hop limit / TTL the packet arrived with.
    public var hopLimit: UInt8
    /// The IPv4 TOS / IPv6 traffic class byte the packet arrived with: DSCP in the upper six
    /// bits, the ECN field (RFC 3168 §5) in the lower two.
    public var trafficClass: UInt8

    public init(source: IPAddress, destination: IPAddress, header: TCPHeader, payload: UnsafeRawBufferPointer, hopLimit: UInt8 = 64,
                trafficClass: UInt8 = 0) {
        self.source = source
        self.destination = destination
        self.header = header
        self.payload = payload
        self.hopLimit = hopLimit
        self.trafficClass = trafficClass
    }

    /// The ECN field (RFC 3168 §5): 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE.
    public var ecn: UInt8 { trafficClass & 3 }

    public var sourceSocket: SocketAddress { SocketAddress(source, header.sourcePort) }
    public var destinationSocket: SocketAddress { SocketAddress(destination, header.destinationPort) }
}

/// Whole packets: IPv4 or IPv6 header + TCP header + payload, with the checksums.
public enum TCPPacket {
    /// What `emit` writes into the TCP checksum field.
    public enum ChecksumMode: Sendable {
        /// The checksum (RFC 9293 §3.1): the complement of the sum over pseudo-header, header and payload.
        case full
        /// The pseudo-header sum only (with the TCP length), folded to 16 bits and *not*
        /// complemented, for a device to finish: Linux `CHECKSUM_PARTIAL` as a TUN device with
        /// `IFF_VNET_HDR` takes it (`VIRTIO_NET_HDR_F_NEEDS_CSUM`, csum_start = the IP header's
        /// length, csum_offset = 16). Summing the TCP header and payload from csum_start with this
        /// value in place and storing the complement gives the full checksum (`completeChecksum`).
        /// Header and payload are not summed here.
        case partial
    }

    /// Parses an IPv4 or IPv6 packet carrying TCP. Verifies the IP header, the lengths and (unless
    /// `verifyChecksum` is false) the TCP checksum over the pseudo-header (RFC 9293 §3.1).
    public static func parse(_ packet: UnsafeRawBufferPointer, verifyChecksum: Bool = true) throws(WireError) -> TCPSegmentView {
        guard packet.count >= 1 else { throw .truncated(layer: .ipv4, needed: 20, available: 0) }
        let version = packet[0] >> 4
        let src: IPAddress, dst: IPAddress, tcpBytes: UnsafeRawBufferPointer, hop: UInt8, tclass: UInt8
        switch version {
        case 4:
            let ip = try IPv4Header.parse(packet)
            guard ip.protocolNumber == ipProtocolTCP else { throw .notTCP(ip.protocolNumber) }
            src = .v4(ip.source); dst = .v4(ip.destination); hop = ip.timeToLive; tclass = ip.typeOfService
            tcpBytes = UnsafeRawBufferPointer(rebasing: packet[ip.headerLength..<Int(ip.totalLength)])
        case 6:
            let ip = try IPv6Header.parse(packet)
            guard ip.nextHeader == ipProtocolTCP else { throw .notTCP(ip.nextHeader) }
            src = .v6(ip.source); dst = .v6(ip.destination); hop = ip.hopLimit; tclass = ip.trafficClass
            tcpBytes = UnsafeRawBufferPointer(rebasing: packet[40..<(40 + Int(ip.payloadLength))])
        default:
            throw .badIPVersion(version)
        }
        // RFC 9293 §3.1: the checksum covers the header, so it is verified before any header field
        // is believed: a corrupted data offset or option length is a checksum failure, not a
        // malformed header. (Only a segment too short to hold a header at all is reported as such.)
        if verifyChecksum && tcpBytes.count >= 20 {
            var c = InternetChecksum()
            addPseudoHeader(&c, source: src, destination: dst, tcpLength: tcpBytes.count)
            c.add(tcpBytes)
            guard c.value == 0 else { throw .badTCPChecksum }
        }
        let (header, headerLength) = try TCPHeader.parse(tcpBytes)
        return TCPSegmentView(source: src, destination: dst, header: header,
                              payload: UnsafeRawBufferPointer(rebasing: tcpBytes[headerLength...]), hopLimit: hop, trafficClass: tclass)
    }

    /// Bytes a packet with this header and payload length takes.
    public static func length(source: IPAddress, header: TCPHeader, payloadLength: Int) -> Int {
        (source.isIPv6 ? 40 : 20) + header.encodedLength + payloadLength
    }

    /// Writes IP header, TCP header (checksum computed) and payload into `buffer`. The payload is
    /// written by `fillPayload`, which gets exactly `payloadLength` bytes to fill (so a caller can
    /// copy from a ring buffer without an intermediate copy). Returns the packet length.
    /// `checksum: .partial` leaves the TCP checksum for the device (see `ChecksumMode`).
    public static func emit(source: IPAddress, destination: IPAddress, header: TCPHeader,
                            payloadLength: Int, hopLimit: UInt8 = 64, identification: UInt16 = 0,
                            trafficClass: UInt8 = 0,
                            checksum: ChecksumMode = .full,
                            into buffer: UnsafeMutableRawBufferPointer,
                            fillPayload: (UnsafeMutableRawBufferPointer) -> Void) throws(WireError) -> Int {
        let (tcp, tcpHeaderLength) = try emitHeaders(source: source, destination: destination, header: header,
                                                     payloadLength: payloadLength, hopLimit: hopLimit,
                                                     identification: identification, trafficClass: trafficClass, into: buffer)
        fillPayload(UnsafeMutableRawBufferPointer(rebasing: tcp[tcpHeaderLength...]))
        var c = InternetChecksum()
        addPseudoHeader(&c, source: source, destination: destination, tcpLength: tcp.count)
        switch checksum {
        case .full:
            c.add(UnsafeRawBufferPointer(tcp))
            tcp.storeBE16(c.value, at: 16)
        case .partial:
            tcp.storeBE16(~c.value, at: 16)   // the folded sum, uncomplemented
        }
        return ipLength(source) + tcp.count
    }

    /// `emit` for a payload copied in while it is summed, so that it is read once (copy and
    /// checksum fused). `fillPayload` gets exactly `payloadLength` bytes to fill and, when the
    /// checksum is `.full`, a sum that it must add exactly the bytes it writes to, in order
    /// (`InternetChecksum.addCopying`); with `.partial` the sum is nil and a plain copy will do.
    /// The packet is byte-for-byte what `emit(…fillPayload:)` writes for the same bytes.
    public static func emit(source: IPAddress, destination: IPAddress, header: TCPHeader,
                            payloadLength: Int, hopLimit: UInt8 = 64, identification: UInt16 = 0,
                            trafficClass: UInt8 = 0,
                            checksum: ChecksumMode = .full,
                            into buffer: UnsafeMutableRawBufferPointer,
                            fillPayloadSumming: (UnsafeMutableRawBufferPointer, inout InternetChecksum?) -> Void) throws(WireError) -> Int {
        let (tcp, tcpHeaderLength) = try emitHeaders(source: source, destination: destination, header: header,
                                                     payloadLength: payloadLength, hopLimit: hopLimit,
                                                     identification: identification, trafficClass: trafficClass, into: buffer)
        let payload = UnsafeMutableRawBufferPointer(rebasing: tcp[tcpHeaderLength...])
        var c = InternetChecksum()
        addPseudoHeader(&c, source: source, destination: destination, tcpLength: tcp.count)
        switch checksum {
        case .full:
            // The header (checksum field zero) first: its length is a multiple of 4, so the
            // payload's words start at an even offset of the sum.
            c.add(UnsafeRawBufferPointer(rebasing: tcp[..<tcpHeaderLength]))
            var sum: InternetChecksum? = c
            fillPayloadSumming(payload, &sum)
            if let sum {
                tcp.storeBE16(sum.value, at: 16)
            } else {   // the filler dropped the sum: sum the payload it wrote
                c.add(UnsafeRawBufferPointer(payload))
                tcp.storeBE16(c.value, at: 16)
            }
        case .partial:
            var none: InternetChecksum? = nil
            fillPayloadSumming(payload, &none)
            tcp.storeBE16(~c.value, at: 16)   // the folded sum, uncomplemented
        }
        return ipLength(source) + tcp.count
    }

    @inline(__always) static func ipLength(_ source: IPAddress) -> Int { source.isIPv6 ? 40 : 20 }

    /// Checks the lengths, writes the IP header and the TCP header (checksum field zero); returns
    /// the TCP segment's bytes in `buffer` (header and room for the payload) and the header length.
    static func emitHeaders(source: IPAddress, destination: IPAddress, header: TCPHeader,
                            payloadLength: Int, hopLimit: UInt8, identification: UInt16, trafficClass: UInt8 = 0,
                            into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> (UnsafeMutableRawBufferPointer, Int) {
        let ipLength: Int
        switch (source, destination) {
        case (.v4, .v4): ipLength = 20
        case (.v6, .v6): ipLength = 40
        default: throw .addressFamilyMismatch
        }
        guard payloadLength >= 0 else { throw .badTotalLength(declared: payloadLength, available: buffer.count) }
        let tcpHeaderLength = header.encodedLength
        let total = ipLength + tcpHeaderLength + payloadLength
        guard total <= buffer.count else { throw .bufferTooSmall(needed: total, available: buffer.count) }
        let tcpLength = tcpHeaderLength + payloadLength
        switch (source, destination) {
        case let (.v4(s), .v4(d)):
            guard total <= 65535 else { throw .bufferTooSmall(needed: total, available: 65535) }
            var ip = IPv4Header(source: s, destination: d, timeToLive: hopLimit, identification: identification)
            ip.totalLength = UInt16(total)
            ip.typeOfService = trafficClass   // DSCP and ECN (RFC 2474, RFC 3168)
            _ = try ip.emit(into: buffer)
        case let (.v6(s), .v6(d)):
            guard tcpLength <= 65535 else { throw .bufferTooSmall(needed: tcpLength, available: 65535) }
            var ip = IPv6Header(source: s, destination: d, hopLimit: hopLimit)
            ip.payloadLength = UInt16(tcpLength)
            ip.trafficClass = trafficClass
            _ = try ip.emit(into: buffer)
        default: throw .addressFamilyMismatch
        }
        let tcp = UnsafeMutableRawBufferPointer(rebasing: buffer[ipLength..<total])
        _ = try header.emit(into: tcp)
        return (tcp, tcpHeaderLength)
    }

    /// Finishes a checksum left partial (`ChecksumMode.partial`), as the device does: the sum of
    /// `packet[start...]` (the TCP header with the partial value in place, and the payload),
    /// complemented, stored at `start + offset` (virtio csum_start, csum_offset).
    public static func completeChecksum(_ packet: UnsafeMutableRawBufferPointer, start: Int, offset: Int = 16) {
        guard start >= 0, start + offset + 2 <= packet.count else { return }
        let value = InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: packet[start...]))
        packet.storeBE16(value, at: start + offset)
    }

    /// Convenience: emit with the payload given as a buffer.
    public static func emit(source: IPAddress, destination: IPAddress, header: TCPHeader,
                            payload: UnsafeRawBufferPointer, hopLimit: UInt8 = 64,
                            into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        try emit(source: source, destination: destination, header: header, payloadLength: payload.count,
                 hopLimit: hopLimit, into: buffer) { out in
            if let src = payload.baseAddress, let dst = out.baseAddress, payload.count > 0 {
                dst.copyMemory(from: src, byteCount: payload.count)
            }
        }
    }

    /// Convenience for tests and tools: a whole packet as an array.
    public static func build(source: IPAddress, destination: IPAddress, header: TCPHeader,
                             payload: [UInt8] = [], hopLimit: UInt8 = 64) throws(WireError) -> [UInt8] {
        let n = length(source: source, header: header, payloadLength: payload.count)
        var out = [UInt8](repeating: 0, count: n)
        let result: Result<Int, WireError> = out.withUnsafeMutableBytes { buf in
            payload.withUnsafeBytes { p in
                Result { () throws(WireError) -> Int in
                    try emit(source: source, destination: destination, header: header, payload: p, hopLimit: hopLimit, into: buf)
                }
            }
        }
        let written = try result.get()
        out.removeSubrange(written...)
        return out
    }

    /// RFC 9293 §3.1 (IPv4) and RFC 8200 §8.1 (IPv6) pseudo-headers.
    public static func addPseudoHeader(_ c: inout InternetChecksum, source: IPAddress, destination: IPAddress, tcpLength: Int) {
        switch (source, destination) {
        case let (.v4(s), .v4(d)):
            c.add(s.rawValue)
            c.add(d.rawValue)
            c.add(UInt16(ipProtocolTCP))
            c.add(UInt16(truncatingIfNeeded: tcpLength))
        case let (.v6(s), .v6(d)):
            c.add(UInt32(truncatingIfNeeded: s.high >> 32)); c.add(UInt32(truncatingIfNeeded: s.high))
            c.add(UInt32(truncatingIfNeeded: s.low >> 32)); c.add(UInt32(truncatingIfNeeded: s.low))
            c.add(UInt32(truncatingIfNeeded: d.high >> 32)); c.add(UInt32(truncatingIfNeeded: d.high))
            c.add(UInt32(truncatingIfNeeded: d.low >> 32)); c.add(UInt32(truncatingIfNeeded: d.low))
            c.add(UInt32(truncatingIfNeeded: tcpLength))
            c.add(UInt32(ipProtocolTCP))
        default:
            break
        }
    }
}
