import TCPCore
import TCPWire

/// Builds the IP packets the script injects, with the options exactly in the script's order.
enum PacketBuilder {
    enum BuildError: Error, CustomStringConvertible {
        case optionsTooLong(Int)
        case tooLarge(Int)
        case addressFamilyMismatch
        var description: String {
            switch self {
            case .optionsTooLong(let n): "TCP options take \(n) bytes (at most 40)"
            case .tooLarge(let n): "packet of \(n) bytes is too large"
            case .addressFamilyMismatch: "source and destination addresses of different IP versions"
            }
        }
    }

    static func build(source: SocketAddress, destination: SocketAddress, flags: TCPFlags, seq: UInt32, ack: UInt32,
                      window: UInt16, urgentPointer: UInt16, options: [TCPOptionSpec], payloadLength: Int,
                      ipInfo: IPInfo) throws(BuildError) -> [UInt8] {
        var optionBytes = options.flatMap(\.bytes)
        while optionBytes.count % 4 != 0 { optionBytes.append(0) }
        guard optionBytes.count <= 40 else { throw .optionsTooLong(optionBytes.count) }
        let tcpLength = 20 + optionBytes.count + payloadLength
        let ipv6: Bool
        switch (source.address, destination.address) {
        case (.v4, .v4): ipv6 = false
        case (.v6, .v6): ipv6 = true
        default: throw .addressFamilyMismatch
        }
        let ipLength = ipv6 ? 40 : 20
        let total = ipLength + tcpLength
        guard (ipv6 ? tcpLength : total) <= 65535 else { throw .tooLarge(total) }
        var packet = [UInt8](repeating: 0, count: total)
        var tos = ipInfo.tos ?? 0
        if let ecn = ipInfo.ecn { tos = (tos & 0xfc) | ecn.rawValue }
        let ok: Bool = packet.withUnsafeMutableBytes { b in
            switch (source.address, destination.address) {
            case let (.v4(s), .v4(d)):
                var ip = IPv4Header(source: s, destination: d, timeToLive: ipInfo.ttl ?? 64)
                ip.typeOfService = tos
                ip.totalLength = UInt16(total)
                return (try? ip.emit(into: b)) != nil
            case let (.v6(s), .v6(d)):
                var ip = IPv6Header(source: s, destination: d, hopLimit: ipInfo.ttl ?? 64)
                ip.trafficClass = tos
                ip.flowLabel = ipInfo.flowLabel ?? 0
                ip.payloadLength = UInt16(tcpLength)
                return (try? ip.emit(into: b)) != nil
            default:
                return false
            }
        }
        guard ok else { throw .addressFamilyMismatch }
        var t = ipLength
        func put16(_ v: UInt16) { packet[t] = UInt8(v >> 8); packet[t + 1] = UInt8(v & 0xff); t += 2 }
        func put32(_ v: UInt32) { put16(UInt16(v >> 16)); put16(UInt16(v & 0xffff)) }
        put16(source.port)
        put16(destination.port)
        put32(seq)
        put32(ack)
        packet[t] = UInt8((20 + optionBytes.count) / 4) << 4
        packet[t + 1] = flags.rawValue
        t += 2
        put16(window)
        put16(0)              // checksum, below
        put16(urgentPointer)
        for (k, byte) in optionBytes.enumerated() { packet[t + k] = byte }
        // Payload: zeros, as packetdrill sends.
        var c = InternetChecksum()
        TCPPacket.addPseudoHeader(&c, source: source.address, destination: destination.address, tcpLength: tcpLength)
        packet.withUnsafeBytes { c.add(UnsafeRawBufferPointer(rebasing: $0[ipLength...])) }
        let sum = c.value
        packet[ipLength + 16] = UInt8(sum >> 8)
        packet[ipLength + 17] = UInt8(sum & 0xff)
        return packet
    }
}
