import TCPWire

extension Connection {
    /// One connection's probing state (TCPStack+PathMTUProbing.swift), MSS values in payload bytes
    /// (what `sendMSS` counts), 16 bytes of the TCB.
    struct PathMTUSearch {
        /// Probing runs on this connection (after a black hole, or from the start with `.always`).
        var enabled = false
        /// The largest MSS known to get through (RFC 4821 §7.2 search_low).
        var low: UInt16 = 0
        /// The largest MSS that may still get through (search_high): a lost probe lowers it.
        var high: UInt16 = 0
        /// What the peer's MSS option and ICMP allow: the search starts again up to here.
        var ceiling: UInt16 = 0
        /// Payload of the probe in flight, 0 when none is.
        var probeSize: UInt16 = 0
        /// The peer's MSS option (0: none came): what a route's larger MTU may raise the send MSS
        /// to (TCPStack+RouteMetrics.swift). Kept here, in what was padding.
        var peerMSS: UInt16 = 0
        /// The probe's first sequence number.
        var probeSeq = SequenceNumber(0)
        /// When a search that has ended may start again, in whole seconds of the stack's clock
        /// (RFC 4821 §7.7: every 10 minutes).
        var researchAtS: Int32 = 0
    }
}
