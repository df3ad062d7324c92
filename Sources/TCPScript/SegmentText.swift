import TCPCore
import TCPWire

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
