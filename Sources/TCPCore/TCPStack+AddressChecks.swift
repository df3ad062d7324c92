import TCPWire

extension TCPStack {
    /// Whether `address` can be a connection's remote end: not unspecified, not the limited
    /// broadcast or a configured directed broadcast, not multicast (RFC 9293 §3.9.1.2 MUST-46,
    /// RFC 1122 §4.2.3.10 and §3.2.1.3).
    func isValidPeer(_ address: IPAddress) -> Bool {
        !address.isUnspecified && !address.isMulticast && !isBroadcast(address)
    }

    func isBroadcast(_ address: IPAddress) -> Bool {
        address.isLimitedBroadcast || (!configuration.directedBroadcasts.isEmpty && configuration.directedBroadcasts.contains(address))
    }

    /// Why a segment is discarded for its addresses, silently (no RST answers it), or nil: a
    /// segment to a broadcast or multicast address (MUST-57; RFC 1122 §4.2.3.10), or from an
    /// address no peer can have (MUST-63: unspecified, broadcast, multicast). Checked for every
    /// segment that reaches LISTEN or CLOSED processing, SYNs first of all.
    func invalidAddress(_ seg: TCPSegmentView) -> DropReason? {
        if seg.destination.isMulticast || isBroadcast(seg.destination) { return .broadcastDestination }
        if !isValidPeer(seg.source) { return .invalidSourceAddress }
        return nil
    }
}
