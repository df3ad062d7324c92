/// The eight TCP control bits (RFC 9293 §3.1; CWR and ECE from RFC 3168).
public struct TCPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)

    /// Names in the order tcpdump prints them: SYN, FIN, RST, PSH, ACK, URG, ECE, CWR.
    public var names: [String] {
        var out: [String] = []
        if contains(.syn) { out.append("SYN") }
        if contains(.fin) { out.append("FIN") }
        if contains(.rst) { out.append("RST") }
        if contains(.psh) { out.append("PSH") }
        if contains(.ack) { out.append("ACK") }
        if contains(.urg) { out.append("URG") }
        if contains(.ece) { out.append("ECE") }
        if contains(.cwr) { out.append("CWR") }
        return out
    }
    public var description: String { names.isEmpty ? "none" : names.joined(separator: ",") }
}
