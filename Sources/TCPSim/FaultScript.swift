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

/// The scripted mode of the simulator: faults for particular packets, each rule written as the
/// sentence it stands for, tried in order on every packet (the first rule that matches and still
/// has uses left decides; a packet no rule takes goes to the link model as usual):
///
///     FaultScript()
///         .drop(.segment(2, from: "client", to: "server"))       // drop the 2nd segment from client to server
///         .delay(.synACK(), by: .seconds(3))                      // delay the SYN-ACK by 3 s
///         .duplicate(.syn(), deliverCopy: .afterClose)            // duplicate the SYN and deliver the copy
///                                                                 // after the connection closed
///
/// `rule` is what `SimulatedNetwork.faultRule` (or `SimulationOptions.faultRule`) takes. Each
/// rule applies `times` times (default once: "the" SYN-ACK is the first one; its retransmission
/// is another packet); `nil` means every matching packet.
public final class FaultScript: @unchecked Sendable {
    /// When the copy of a duplicated packet is delivered.
    public enum CopyDelivery: Sendable, Equatable {
        /// This long after the original arrives.
        case after(Duration)
        /// Once no connection is left in any host's stack (TIME-WAIT included): an old duplicate
        /// reaching a network where its connection is gone.
        case afterClose
    }

    struct Rule {
        var match: PacketMatch
        var fault: Fault
        var left: Int?
    }

    private var rules: [Rule] = []

    public init() {}

    @discardableResult
    public func add(_ match: PacketMatch, _ fault: Fault, times: Int? = 1) -> FaultScript {
        rules.append(Rule(match: match, fault: fault, left: times))
        return self
    }

    /// Loses the matching packet; the pictures show `reason` (default: the match's description).
    @discardableResult
    public func drop(_ match: PacketMatch, reason: String? = nil, times: Int? = 1) -> FaultScript {
        add(match, .drop(reason ?? "scripted drop: \(match.description)"), times: times)
    }

    /// Delivers the matching packet this much later than the link would.
    @discardableResult
    public func delay(_ match: PacketMatch, by d: Duration, times: Int? = 1) -> FaultScript {
        add(match, .delay(d), times: times)
    }

    /// Delivers the matching packet, and a copy of it later.
    @discardableResult
    public func duplicate(_ match: PacketMatch, deliverCopy when: CopyDelivery, times: Int? = 1) -> FaultScript {
        switch when {
        case .after(let d): add(match, .duplicate(after: d), times: times)
        case .afterClose: add(match, .duplicateAfterClose, times: times)
        }
    }

    /// Flips one bit of the matching packet (the receiver's checksum must catch it).
    @discardableResult
    public func corrupt(_ match: PacketMatch, times: Int? = 1) -> FaultScript {
        add(match, .corrupt, times: times)
    }

    /// The fault for one packet.
    public func fault(for p: WirePacket) -> Fault {
        for k in rules.indices where rules[k].left != 0 && rules[k].match.test(p) {
            if let n = rules[k].left { rules[k].left = n - 1 }
            return rules[k].fault
        }
        return .deliver
    }

    /// The script as a fault rule.
    public var rule: @Sendable (WirePacket) -> Fault {
        { [self] p in fault(for: p) }
    }
}
