import TCPWire

/// Counters for the whole stack.
public struct TCPStatistics: Sendable, Hashable {
    public var drops: [DropReason: Int] = [:]
    public var malformed: [WireError: Int] = [:]
    public var segmentsReceived = 0
    /// TCP Fast Open (RFC 7413) counters.
    public var fastOpen = FastOpenStatistics()
    public var segmentsSent = 0
    public var retransmissions = 0
    /// Retransmission timeouts that fired with data outstanding (RFC 6298 §5.4; Linux TCPTimeouts).
    public var retransmissionTimeouts = 0
    /// Duplicate ACKs received (RFC 5681 §2) and fast retransmissions made (RFC 5681 §3.2, RFC 6582).
    public var duplicateACKs = 0
    public var fastRetransmissions = 0
    /// SACK (RFC 2018, 2883, 6675) and RACK-TLP (RFC 8985): blocks received, blocks ignored as
    /// outside SND.UNA..SND.MAX, D-SACKs received and sent, SACK recoveries entered, segments
    /// RACK deemed lost, tail loss probes sent, reneging detected at an RTO.
    public var sackBlocksReceived = 0
    public var sackBlocksIgnored = 0
    public var dsacksReceived = 0
    public var dsacksSent = 0
    public var sackRecoveries = 0
    /// Fast recoveries undone because D-SACKs showed every retransmission needless (RFC 3708).
    public var spuriousRecoveriesUndone = 0
    /// Retransmission timeouts found spurious and undone (F-RTO, RFC 5682; RFC 3522 timestamps).
    public var spuriousTimeoutsUndone = 0
    public var rackLosses = 0
    public var lossProbes = 0
    public var renegingsDetected = 0
    /// SACK block edges not applied because the scoreboard was at `sackScoreboardLimit` (or its
    /// buffer-sized capacity), and peer MSS options raised to `minimumPeerMSS` (CVE-2019-11477/8/9).
    public var sackScoreboardLimitHits = 0
    public var peerMSSRaised = 0
    /// Segments that arrived past a gap and were kept for reassembly.
    public var outOfOrderSegments = 0
    public var resetsSent = 0
    public var challengeACKsSent = 0
    /// Answers to invalid segments withheld by a limit (RFC 5961 §7, §10): challenge ACKs by the
    /// per-connection interval, challenge ACKs by the stack-wide budget, and ACKs to out-of-window
    /// segments without text by the per-connection interval (`invalidSegmentACKInterval`).
    public var challengeACKsLimitedPerConnection = 0
    public var challengeACKsLimitedGlobally = 0
    public var outOfWindowACKsLimited = 0
    public var connectionsOpened = 0
    public var connectionsAccepted = 0
    /// SYN cookies (RFC 4987 §3.6): SYN-ACKs sent with a cookie instead of a half-open
    /// connection; ACKs whose cookie checked out; ACKs whose cookie did not (forged, for another
    /// four-tuple, or expired: drops `syn-cookie-invalid` and `syn-cookie-expired`).
    public var synCookiesSent = 0
    public var synCookiesValid = 0
    public var synCookiesInvalid = 0
    /// Buffer auto-tuning: bytes the connections' own send and receive rings hold now (what
    /// `TCPConfiguration.bufferMemoryLimit` bounds), receive and send buffers grown, and growths
    /// refused because the limit was reached (memory pressure, as Linux's TCPMemoryPressures).
    public var bufferBytes = 0
    public var receiveBufferGrowths = 0
    public var sendBufferGrowths = 0
    public var bufferGrowthsRefused = 0
    /// Segmentation offload: TSO segments handed to the device (each counts in `segmentsSent` as
    /// the wire segments it becomes), and received segments larger than the MSS we announced
    /// (coalesced by GRO/LRO below us; each counts in `segmentsReceived` once per MSS it holds).
    public var largeSegmentsSent = 0
    public var largeSegmentsReceived = 0
    /// ICMP input (TCPStack+ICMP.swift): error messages given to the engine; those acted on as
    /// hard errors (connections aborted) and as soft errors (reported, RFC 9293 §3.9.2.2);
    /// send MSS reductions from Fragmentation Needed / Packet Too Big (RFC 1191, RFC 8201).
    public var icmpReceived = 0
    public var icmpHardErrors = 0
    public var icmpSoftErrors = 0
    public var pathMTUReductions = 0
    /// Connections that reached R1 retransmissions without progress (RFC 9293 §3.8.3).
    public var retransmissionThresholdsReached = 0
    /// Segments discarded for their addresses (RFC 9293 MUST-57, MUST-63): from an unspecified,
    /// broadcast or multicast source, or to a broadcast or multicast destination (drops
    /// `invalid-source-address` and `broadcast-destination`).
    public var invalidAddressSegments = 0
    /// Packetization-layer path MTU discovery (RFC 4821, TCPStack+PathMTUProbing.swift): black
    /// holes detected (send MSS lowered with no ICMP), probes sent, probes acknowledged (MSS
    /// raised) and probes lost (the search bound lowered; no congestion response).
    public var pathMTUBlackHoles = 0
    public var pathMTUProbesSent = 0
    public var pathMTUProbesAcknowledged = 0
    public var pathMTUProbesLost = 0
    /// ECN (RFC 3168, TCPStack+ECN.swift): connections that agreed on it, CE-marked data
    /// segments received, ACKs with ECE received while data was outstanding, and the cwnd
    /// reductions those caused (at most one per window of data).
    public var ecnConnections = 0
    public var ecnCEReceived = 0
    public var ecnEchoesReceived = 0
    public var ecnReductions = 0
    public func dropCount(_ r: DropReason) -> Int { drops[r] ?? 0 }
}
