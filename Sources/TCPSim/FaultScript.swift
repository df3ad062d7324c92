import TCPCore
import TCPTrace
import TCPWire

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

// MARK: - Rules as text (`tcpkit simulate --script`)

extension FaultScript {
    /// A rule that could not be read.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var rule: String
        public var problem: String
        public init(rule: String, problem: String) {
            self.rule = rule
            self.problem = problem
        }
        public var description: String { "cannot read the script rule '\(rule)': \(problem)" }
    }

    /// The grammar of one rule, for help texts.
    public static let grammar = """
        ACTION PACKET [ARGUMENT] [times N | always], where ACTION is drop, delay (ARGUMENT: a time, \
        e.g. 3s or 250ms), duplicate (ARGUMENT: after-close, or a time after the original) or corrupt; \
        PACKET is syn, syn-ack, ack (a pure ACK), fin (any segment with FIN), rst, any, or segment N \
        FROM>TO (the Nth packet FROM sends to TO), each but the last optionally followed by from HOST; \
        e.g. "drop segment 2 client>server", "delay syn-ack 3s", "duplicate syn after-close"
        """

    /// Reads rules such as `drop segment 2 client>server`, `delay syn-ack 3s` or
    /// `duplicate syn after-close` (see `grammar`) into a script, in order.
    public static func parse(_ rules: [String]) throws(ParseError) -> FaultScript {
        let script = FaultScript()
        for rule in rules { try script.parse(rule) }
        return script
    }

    private func parse(_ rule: String) throws(ParseError) {
        func fail(_ problem: String) -> ParseError { ParseError(rule: rule, problem: problem) }
        var words = rule.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        guard !words.isEmpty else { throw fail("it is empty") }
        // How often: at the end.
        var times: Int? = 1
        if words.last == "always" {
            times = nil
            words.removeLast()
        } else if words.count >= 2, words[words.count - 2] == "times" {
            guard let n = Int(words.last!), n > 0 else { throw fail("'times' wants a positive count") }
            times = n
            words.removeLast(2)
        }
        let action = words.removeFirst()
        guard let what = words.first else { throw fail("which packet? (syn, syn-ack, ack, fin, rst, any, segment N FROM>TO)") }
        words.removeFirst()
        let match: PacketMatch
        switch what {
        case "segment":
            guard words.count >= 2, let n = Int(words[0]), n > 0 else { throw fail("'segment' wants a number and FROM>TO, e.g. segment 2 client>server") }
            let ends = words[1].split(separator: ">").map(String.init)
            guard ends.count == 2, !ends[0].isEmpty, !ends[1].isEmpty else { throw fail("'segment \(n)' wants FROM>TO, e.g. client>server") }
            match = .segment(n, from: ends[0], to: ends[1])
            words.removeFirst(2)
        case "syn", "syn-ack", "ack", "fin", "rst", "any":
            var from: String?
            if words.count >= 2, words[0] == "from" {
                from = words[1]
                words.removeFirst(2)
            }
            let host = from
            switch what {
            case "syn": match = .syn(from: host)
            case "syn-ack": match = .synACK(from: host)
            case "ack": match = .pureACK(from: host)
            case "fin": match = PacketMatch(host.map { "FIN from \($0)" } ?? "FIN") { $0.segment.flags.contains(.fin) && (host == nil || $0.from == host) }
            case "rst": match = PacketMatch(host.map { "RST from \($0)" } ?? "RST") { $0.segment.flags.contains(.rst) && (host == nil || $0.from == host) }
            default: match = PacketMatch(host.map { "any packet from \($0)" } ?? "any packet") { host == nil || $0.from == host }
            }
        default:
            throw fail("unknown packet '\(what)' (syn, syn-ack, ack, fin, rst, any, segment N FROM>TO)")
        }
        func time(_ s: String) throws(ParseError) -> Duration {
            for (unit, scale) in [("ms", 1e6), ("us", 1e3), ("s", 1e9)] where s.hasSuffix(unit) {
                if let x = Double(s.dropLast(unit.count)), x >= 0, x < 1e6 { return .nanoseconds(Int64(x * scale)) }
            }
            throw fail("cannot read '\(s)' as a time (e.g. 3s, 250ms)")
        }
        switch action {
        case "drop":
            guard words.isEmpty else { throw fail("unexpected '\(words.joined(separator: " "))'") }
            drop(match, times: times)
        case "corrupt":
            guard words.isEmpty else { throw fail("unexpected '\(words.joined(separator: " "))'") }
            corrupt(match, times: times)
        case "delay":
            guard words.count == 1 else { throw fail("'delay' wants one time, e.g. delay syn-ack 3s") }
            delay(match, by: try time(words[0]), times: times)
        case "duplicate":
            guard words.count == 1 else { throw fail("'duplicate' wants after-close or a time, e.g. duplicate syn after-close") }
            duplicate(match, deliverCopy: words[0] == "after-close" ? .afterClose : .after(try time(words[0])), times: times)
        default:
            throw fail("unknown action '\(action)' (drop, delay, duplicate, corrupt)")
        }
    }
}
