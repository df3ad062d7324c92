/// The segment an inbound ICMP error quotes. packetdrill's icmp line names it as
/// `[start:end(len)]` in the script's sequence numbers; without that, packetdrill quotes the last
/// TCP segment the socket under test sent (the one the script saw last), which is how scripts
/// answer a SYN or a data segment with "fragmentation needed" or "unreachable".
extension Run {
    /// The live sequence number and payload length to quote for inbound ICMP line `p`.
    func icmpQuotedSegment(_ p: PacketSpec, _ s: ScriptSocket, line: Int) throws(Stop) -> (seq: UInt32, length: Int) {
        guard p.icmp?.quotesLastOutbound == true else { return (s.liveAck(p.startSequence), p.payloadLength) }
        guard let last = s.lastOutbound else {
            throw failure(line, "an icmp line without [start:end(len)] quotes the socket's last outbound segment, and the script expected none before it",
                          expected: "an outbound segment before this line", actual: "(none)")
        }
        return last
    }
}

extension Run {
    /// An icmp line whose type or code is an upper-case name no table knows (`icmp unreachable
    /// CODE`): a parameter the script's wrapper defines (packetdrill -D CODE=...), not a value.
    /// UNSUPPORTED with the way to give it (`--define CODE=port_unreachable`).
    func icmpSymbolUndefined(_ icmp: ICMPSpec, line: Int) throws(Stop) {
        for name in [icmp.type, icmp.code ?? ""] where !name.isEmpty && UInt8(name) == nil
            && name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) {
            throw .unsupported("line \(line): the icmp line's \(name) is a name the script expects defined (packetdrill -D); run with --define \(name)=VALUE (e.g. port_unreachable)")
        }
    }
}
