import TCPCore
import TCPWire

/// A TCP segment as the runner sees it on the wire: header fields, the options in wire order
/// (NOPs and EOL included, which `TCPOptions` does not keep), and IP details the script may check.
struct WireSegment: Sendable, Hashable {
    var source: SocketAddress
    var destination: SocketAddress
    var flags: TCPFlags
    var seq: UInt32
    var ack: UInt32
    var window: UInt16
    var urgentPointer: UInt16
    var options: [TCPOptionSpec]
    var payloadLength: Int
    /// IPv4 TOS or IPv6 traffic class.
    var tos: UInt8
    var hopLimit: UInt8
    var flowLabel: UInt32
    /// When the stack emitted it.
    var time: Instant
    var summary: SegmentSummary

    /// Reads a packet the stack emitted. nil if it is not a valid IPv4/IPv6 TCP packet.
    static func parse(_ bytes: [UInt8], time: Instant) -> WireSegment? {
        bytes.withUnsafeBytes { raw -> WireSegment? in
            guard let view = try? TCPPacket.parse(raw) else { return nil }
            let ipLength: Int
            var tos: UInt8 = 0
            var flow: UInt32 = 0
            if raw[0] >> 4 == 4 {
                ipLength = Int(raw[0] & 0x0f) * 4
                tos = raw[1]
            } else {
                ipLength = 40
                let first = UInt32(raw[0]) << 24 | UInt32(raw[1]) << 16 | UInt32(raw[2]) << 8 | UInt32(raw[3])
                tos = UInt8(truncatingIfNeeded: first >> 20)
                flow = first & 0xfffff
            }
            let h = view.header
            let optionsEnd = ipLength + Int(h.dataOffset) * 4
            guard optionsEnd <= raw.count, ipLength + 20 <= optionsEnd else { return nil }
            let options = parseOptions(Array(raw[(ipLength + 20)..<optionsEnd]))
            return WireSegment(
                source: view.sourceSocket, destination: view.destinationSocket, flags: h.flags,
                seq: h.sequenceNumber.rawValue, ack: h.acknowledgmentNumber.rawValue, window: h.window,
                urgentPointer: h.urgentPointer, options: options, payloadLength: view.payload.count,
                tos: tos, hopLimit: view.hopLimit, flowLabel: flow, time: time,
                summary: SegmentSummary(source: view.sourceSocket, destination: view.destinationSocket,
                                        header: h, payloadLength: view.payload.count))
        }
    }

    /// Options in wire order. EOL ends the list; a malformed option ends it too (TCPPacket.parse
    /// has already rejected packets whose options overrun the header).
    static func parseOptions(_ b: [UInt8]) -> [TCPOptionSpec] {
        var out: [TCPOptionSpec] = []
        var i = 0
        while i < b.count {
            let kind = b[i]
            if kind == 0 { out.append(.eol); break }
            if kind == 1 { out.append(.nop); i += 1; continue }
            guard i + 1 < b.count else { break }
            let length = Int(b[i + 1])
            guard length >= 2, i + length <= b.count else { break }
            let data = Array(b[(i + 2)..<(i + length)])
            func u32(_ k: Int) -> UInt32 { UInt32(data[k]) << 24 | UInt32(data[k + 1]) << 16 | UInt32(data[k + 2]) << 8 | UInt32(data[k + 3]) }
            switch (kind, length) {
            case (2, 4): out.append(.mss(UInt16(data[0]) << 8 | UInt16(data[1])))
            case (3, 3): out.append(.windowScale(data[0]))
            case (4, 2): out.append(.sackPermitted)
            case (8, 10): out.append(.timestamp(value: u32(0), echoReply: u32(4)))
            case (5, _) where (length - 2) % 8 == 0 && length > 2:
                var blocks: [TCPOptionSpec.SACKRange] = []
                var k = 0
                while k + 8 <= data.count {
                    blocks.append(.init(left: u32(k), right: u32(k + 4)))
                    k += 8
                }
                out.append(.sack(blocks))
            default:
                let name = kind == 19 ? "md5" : kind == 34 ? "FO" : ""
                out.append(.other(kind: kind, data: data, name: name))
            }
            i += length
        }
        return out
    }
}

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

/// Segments written the way scripts write them: `S. 0:0(0) ack 1 win 65535 <mss 1460>`.
enum SegmentText {
    static func flags(_ f: TCPFlags) -> String {
        var s = ""
        if f.contains(.syn) { s += "S" }
        if f.contains(.fin) { s += "F" }
        if f.contains(.rst) { s += "R" }
        if f.contains(.psh) { s += "P" }
        if f.contains(.urg) { s += "U" }
        if f.contains(.ece) { s += "E" }
        if f.contains(.cwr) { s += "W" }
        if f.contains(.ack) { s += "." }
        return s.isEmpty ? "-" : s
    }

    static func options(_ o: [TCPOptionSpec]?) -> String {
        guard let o else { return " <...>" }
        return o.isEmpty ? "" : " <" + o.map(\.description).joined(separator: ",") + ">"
    }

    static func render(flags f: TCPFlags, seq: UInt32, length: Int, ack: UInt32?, window: UInt16?, urgent: UInt16,
                       options: [TCPOptionSpec]?) -> String {
        var s = "\(flags(f)) \(seq):\(seq &+ UInt32(truncatingIfNeeded: length))(\(length))"
        if let ack { s += " ack \(ack)" }
        if let window { s += " win \(window)" }
        if urgent != 0 { s += " urg \(urgent)" }
        return s + SegmentText.options(options)
    }

    static func render(_ p: PacketSpec) -> String {
        render(flags: p.flags, seq: p.startSequence, length: p.payloadLength, ack: p.ackGiven || p.flags.contains(.ack) ? p.ack : nil,
               window: p.window, urgent: p.urgentPointer, options: p.options)
    }
}
