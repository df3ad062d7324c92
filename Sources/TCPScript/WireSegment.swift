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
                let name = kind == 19 ? "md5" : kind == 34 ? "FO" : kind == 254 && data.starts(with: [0xF9, 0x89]) ? "FOEXP" : ""
                out.append(.other(kind: kind, data: data, name: name))
            }
            i += length
        }
        return out
    }
}
