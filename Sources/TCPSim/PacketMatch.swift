import TCPCore
import TCPTrace
import TCPWire

/// Which packets a scripted fault is for: a description (shown in the pictures as the reason of a
/// drop) and a test on the packet as it leaves its sender.
public struct PacketMatch: Sendable {
    public var description: String
    public var test: @Sendable (WirePacket) -> Bool

    public init(_ description: String, _ test: @escaping @Sendable (WirePacket) -> Bool) {
        self.description = description
        self.test = test
    }

    /// The `n`th packet `from` sends to `to` (1 is the first), whatever it carries: "the 2nd
    /// segment from client to server".
    public static func segment(_ n: Int, from: String, to: String) -> PacketMatch {
        PacketMatch("segment \(n) from \(from) to \(to)") { $0.from == from && $0.to == to && $0.ordinal == n }
    }

    /// A segment with exactly these flags (from `host`, or from anyone).
    public static func flags(_ flags: TCPFlags, from host: String? = nil) -> PacketMatch {
        let name = flags.names.joined(separator: ",")
        return PacketMatch(host.map { "\(name) from \($0)" } ?? name) { p in
            p.segment.flags == flags && (host == nil || p.from == host)
        }
    }

    /// A SYN (without ACK): the active opener's first segment.
    public static func syn(from host: String? = nil) -> PacketMatch { flags([.syn], from: host) }
    /// A SYN,ACK: the passive opener's answer.
    public static func synACK(from host: String? = nil) -> PacketMatch { flags([.syn, .ack], from: host) }
    /// A pure ACK (no data, no other flag).
    public static func pureACK(from host: String? = nil) -> PacketMatch {
        PacketMatch(host.map { "pure ACK from \($0)" } ?? "pure ACK") { p in
            p.segment.flags == [.ack] && p.segment.payloadLength == 0 && (host == nil || p.from == host)
        }
    }
    /// Every packet to `host`.
    public static func to(_ host: String) -> PacketMatch {
        PacketMatch("to \(host)") { $0.to == host }
    }
}
