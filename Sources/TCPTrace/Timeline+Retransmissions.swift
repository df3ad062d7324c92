import TCPCore
import TCPWire

extension Timeline {
    /// The packet numbers of the sends that repeat sequence space their sender had already sent
    /// on that connection: retransmissions (RFC 9293 §3.8.1), by timeout or fast retransmit. Found
    /// from the wire alone, as a capture reader would: a segment that occupies sequence space
    /// (data, SYN or FIN, RFC 9293 §3.4) and starts before the highest sequence number sent so far
    /// in its direction. A SYN with a new ISN starts the direction afresh (a new incarnation of the
    /// 4-tuple, or an old duplicate). A copy the network made (`networkCopies`) is not one.
    public var retransmittedPackets: Set<Int> {
        struct Direction: Hashable { var from: SocketAddress; var to: SocketAddress }
        var isn: [Direction: SequenceNumber] = [:]
        var highest: [Direction: SequenceNumber] = [:]
        var out: Set<Int> = []
        for e in sorted {
            guard case let .send(packet, s, _) = e.kind, !networkCopies.contains(packet) else { continue }
            let d = Direction(from: s.source, to: s.destination)
            let syn = s.flags.contains(.syn), fin = s.flags.contains(.fin)
            let length = s.payloadLength + (syn ? 1 : 0) + (fin ? 1 : 0)
            guard length > 0 else { continue }
            if syn, isn[d] != s.sequenceNumber {
                isn[d] = s.sequenceNumber
                highest[d] = nil
            }
            let end = s.sequenceNumber + length
            if let h = highest[d] {
                if s.sequenceNumber - h < 0 { out.insert(packet) }
                if end - h > 0 { highest[d] = end }
            } else {
                highest[d] = end
            }
        }
        return out
    }
}
