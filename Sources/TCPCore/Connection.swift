import TCPWire

/// The transmission control block (RFC 9293 §3.3.1) of one connection. A plain struct that lives in
/// the stack's slab; the stack's methods run the RFC's event processing on it.
///
/// The state is a flat enum plus variables rather than an enum carrying per-state data (as the
/// swift-nio state machines do): TCP's states share nearly all their variables, and the RFC's
/// processing is written as checks on "the state" over one TCB, which this mirrors line by line.
struct Connection {
    /// The RFC state. Changed only through `TCPStack.setState`, which traces every change.
    private(set) var state: TCPState = .closed
    let local: SocketAddress
    let remote: SocketAddress
    /// Opened by a listener (RFC 9293: "initiated with a passive OPEN").
    let passive: Bool
    var listenerRole: ListenerRole = .none
    /// The application holds a handle (active opens at once, passive ones after accept).
    var userOwned: Bool
    /// The application called close(): it will neither send nor read again.
    var userClosed = false
    /// The terminal error the application sees on its next call.
    var error: TCPError?

    // Send sequence variables (RFC 9293 §3.3.1). SND.MAX is the highest SND.NXT so far: after a
    // retransmission timeout SND.NXT goes back to SND.UNA while ACKs up to SND.MAX stay valid.
    var iss = SequenceNumber(0)
    var sndUna = SequenceNumber(0)
    var sndNxt = SequenceNumber(0)
    var sndMax = SequenceNumber(0)
    var sndWnd: UInt32 = 0
    var sndWl1 = SequenceNumber(0)
    var sndWl2 = SequenceNumber(0)
    /// Largest window the peer has offered (RFC 5961 §5.2 MAX.SND.WND).
    var maxSndWnd: UInt32 = 0
    /// Bytes the application wrote and the peer has not acknowledged; its first byte has sequence
    /// number `sendBufferSeq`.
    /// (The stack's shared empty ring until the first byte is written: `TCPStack.send`.)
    var sendBuffer: ByteRing
    var sendBufferSeq = SequenceNumber(0)
    /// A FIN follows the buffered data (the application closed its sending side).
    var finQueued = false
    var sendBufferWasFull = false

    // Receive sequence variables.
    var irs = SequenceNumber(0)
    var rcvNxt = SequenceNumber(0)
    /// (The stack's shared empty ring until the first byte arrives: `TCPStack.ownReceiveBuffer`.)
    var receiveBuffer: ByteRing
    /// Out-of-order data held in the receive ring's free space, by offset from RCV.NXT.
    var assembler = Assembler()
    /// Sequence number of a FIN that arrived past a gap; processed when the gap fills.
    var pendingFIN: SequenceNumber?
    var finReceived = false
    /// RCV.NXT + RCV.WND as last advertised: the right edge of the window offered to the peer,
    /// which never moves left (RFC 9293 §3.8.6.2.2, RFC 7323 §2.4).
    var rcvAdv = SequenceNumber(0)

    // RFC 7323. Shift counts are 0 unless both SYNs carried the window scale option (§2.2).
    var sndWindShift: UInt8 = 0
    var rcvWindShift: UInt8 = 0
    var windowScalingOn = false
    /// Both SYNs carried the timestamps option (§3.2): every non-RST segment carries it.
    var timestampsOn = false
    /// TS.Recent and Last.ACK.sent (§4.3), and when TS.Recent was last set (PAWS idle rule, §5.5).
    var tsRecent: UInt32 = 0
    var lastAckSent = SequenceNumber(0)
    var tsRecentTime = Instant.zero
    /// Added to the millisecond clock to give our TSval (§7.1: per-connection offset).
    var tsOffset: UInt32 = 0

    /// MSS we announced, and the MSS we send with: min(peer's MSS option, ours) (RFC 9293 §3.7.1).
    var announcedMSS: Int
    var sendMSS: Int

    /// The timers' deadlines (RFC 9293 §3.8, RFC 6298, RFC 8985), by `TimerKind`.
    var timers = Timers()
    /// The deadline last pushed into the stack's timer heap.
    var scheduledDeadline: Instant?

    // RTT estimation (RFC 6298), in nanoseconds.
    var srtt: Int64?
    var rttvar: Int64 = 0
    var rto: Int64
    /// The segment being timed (Karn: only segments never retransmitted).
    var rttSeq: SequenceNumber?
    var rttStart = Instant.zero
    /// Consecutive retransmission timeouts without progress.
    var retries = 0
    var persistBackoff = 0
    /// Zero-window probes sent since the peer last acknowledged anything (RFC 1122 §4.2.2.17).
    var probesUnanswered = 0
    var probePending = false
    /// Explicit Congestion Notification, RFC 3168 (TCPStack+ECN.swift); in the padding before
    /// `congestion`.
    var ecn = ECNState()

    // Congestion control (CongestionControl.swift) in bytes, with NewReno loss recovery (RFC 6582).
    var congestion: CongestionControl
    var cwnd: Int {
        get { congestion.cwnd }
        set { congestion.cwnd = newValue }
    }
    var ssthresh: Int {
        get { congestion.ssthresh }
        set { congestion.ssthresh = newValue }
    }
    /// Without SACK: bytes the duplicate ACKs of this recovery say have left the network (one
    /// SMSS each, RFC 6937 §3), less what cumulative ACKs have covered since; the `pipe` estimate.
    var recoveryDeliveredEstimate = 0
    /// Partial ACKs in this fast recovery: only the first restarts the retransmission timer
    /// (RFC 6582 §3.2 step 4 and §4, the "Impatient" variant).
    var partialACKs: UInt8 = 0
    /// Corking (TCP_CORK, MSG_MORE, `TCPStack+Corking.swift`); in the padding before `lastDataSentAt`.
    var sendHold = SendHold()
    /// `ConnectionOptions.notSentLowat` (0: the configuration's; TCPStack+NotSentLowat.swift);
    /// in the same padding.
    var notSentLowat: UInt32 = 0
    /// When data was last sent, for restart after idle (RFC 5681 §4.1).
    /// (`Instant(nanoseconds: .min)`: never; not an optional, to keep the TCB small.)
    var lastDataSentAt = Instant(nanoseconds: .min)
    /// Duplicate ACKs in a row (RFC 5681 §2 definition).
    var duplicateACKs = 0
    /// Without SACK: bytes limited transmit (RFC 3042) sent beyond cwnd on this run of duplicate
    /// ACKs, left out of FlightSize when the third one sets ssthresh (RFC 5681 §3.2 step 2).
    var limitedTransmitBytes = 0
    /// In fast recovery until SND.UNA passes `recover` (RFC 6582 §3.2).
    var inFastRecovery = false
    var recover = SequenceNumber(0)
    /// Send the segment at SND.UNA again now, without moving SND.NXT (fast retransmit).
    var retransmitFirst = false

    // SACK (RFC 2018, 2883, 6675) and RACK-TLP (RFC 8985).
    /// Both sides offered SACK-permitted on their SYNs.
    var sackOK = false
    /// ECN counts for `TCPInfo` (TCPStack+ECN.swift); in the padding before `sackReport`.
    var ecnCounters = ECNCounters()
    /// What the next ACK reports: D-SACK, and which out-of-order ranges arrived most recently.
    var sackReport = SACKReport()
    /// Outstanding segments (allocated on the first data sent once SACK is agreed).
    var scoreboard: Scoreboard?
    /// RFC 6675 loss recovery after an RTO: lost segments are resent from the scoreboard.
    var inRTORecovery = false
    /// F-RTO (RFC 5682) after a retransmission timeout (TCPStack+ForwardRTORecovery.swift).
    var frto = ForwardRTORecovery()

    // Small fields together.
    /// An ACK must go out (data arrived, a challenge ACK, an unacceptable segment...).
    var ackPending = false
    /// The connection is in the stack's output queue.
    var queuedForOutput = false
    /// The persist timer found a small usable window: send what it allows (sender SWS avoidance's
    /// override, RFC 9293 §3.8.6.2.1).
    var swsOverride = false
    // Options (`ConnectionOptions`), stored compactly.
    var noDelay = false
    var keepAlive = false
    var keepAliveCount: UInt8 = 9
    var keepAliveProbesOut: UInt8 = 0
    /// ACKs left in quick-ACK mode (delayed ACKs, RFC 9293 §3.8.6.3).
    var quickACKs: UInt8 = 0
    /// The packet a transmission pass builds (`PushPolicy.linux`, TCPStack+Push.swift).
    var pushPacket = PushPacket()
    /// The largest payload received (Linux's rcv_mss), the "full-sized segment" of delayed ACKs.
    var rcvMSS: UInt16 = 0
    /// RCV.NXT as of the last ACK sent.
    var rcvAcked = SequenceNumber(0)
    /// Nagle with Minshall's refinement (as Linux): the end of the last segment shorter than the
    /// MSS sent; a new small segment waits while that one is unacknowledged.
    var sndSml = SequenceNumber(0)
    /// Keep-alive idle time and interval in seconds (Linux's TCP_KEEPIDLE/KEEPINTVL granularity).
    var keepAliveIdleS: UInt16 = 7200
    var keepAliveIntervalS: UInt16 = 75
    /// 0: no user timeout.
    var userTimeoutMs: UInt32 = 0
    /// `ConnectionOptions.maximumRetransmissions` (R2 as a count); 0: the configuration's.
    var retransmissionLimit: UInt8 = 0
    /// `ConnectionOptions.reportSoftErrors`.
    var reportSoftErrors = true
    /// The last soft error, until the application reads it (SO_ERROR; TCPStack+ICMP.swift).
    var softError: NetworkError?
    /// When a segment last arrived (keep-alive idle time; quick-ACK mode after an idle RTO).
    /// Updated after the segment's processing.
    var lastReceivedAt = Instant.zero
    /// When SND.UNA last advanced or sending started from nothing outstanding (user timeout).
    var progressAt = Instant.zero
    /// Per-connection statistics (`TCPInfo`).
    var counters = ConnectionCounters()

    // Urgent data (RFC 9293 §3.8.5, RFC 6093; TCPStack+Urgent.swift).
    /// SND.UP: the first octet after the urgent data sent (MUST-62); meaningful while `sendingUrgent`.
    var sndUp = SequenceNumber(0)
    /// RCV.UP: the first octet after the urgent data the peer announced; meaningful once `urgentSeen`.
    var rcvUp = SequenceNumber(0)
    /// Urgent data sent and not yet acknowledged: every segment before SND.UP carries URG.
    var sendingUrgent = false
    /// The peer has sent an urgent pointer on this connection.
    var urgentSeen = false
    /// Diffserv codepoint (RFC 2474) of every segment, the upper 6 bits of the TOS / traffic
    /// class byte (MUST-48, SHLD-22); the ECN bits stay 0. Bit 7 (shifted out by `dscp << 2`) is
    /// `ConnectionOptions.pathMTUDiscovery` off (`pathMTUDiscoveryOff`), kept here to add no byte.
    var dscp: UInt8 = 0
    /// IP_PMTUDISC_DONT: segments go without DF and ICMP does not lower the MSS.
    var pathMTUDiscoveryOff: Bool { dscp & 0x80 != 0 }
    /// Packetization-layer path MTU discovery (TCPStack+PathMTUProbing.swift).
    var pathMTUSearch = PathMTUSearch()
    /// TCP Fast Open (RFC 7413; TCPStack+FastOpen.swift).
    var fastOpen = FastOpenFlags()
    /// `ConnectionOptions.sendBufferSize` (0: the configuration's sizing; TCPStack+SendBufferSize.swift).
    var sendBufferSize: UInt32 = 0
    /// `ConnectionOptions.maximumSegmentSize` (0: none).
    var userMSS: UInt16 = 0
    /// `ConnectionOptions.synRetries` (0: none).
    var synRetryLimit: UInt8 = 0
    /// Linux's interactive delayed-ACK mode and whether its ATO is set (TCPStack+InteractiveACK.swift).
    var interactiveACK = InteractiveACK()
    /// When in-order data last arrived, in milliseconds on a wrapping clock (Linux's lrcvtime).
    var lastDataReceivedMs: UInt32 = 0
    /// When this connection last answered an invalid segment (challenge or out-of-window ACK), in
    /// milliseconds + 1 on a wrapping clock, 0 never (Linux's last_oow_ack_time; TCPStack+InvalidSegmentRateLimit.swift);
    /// in the padding after `lastDataReceivedMs` (the TCB stays 952 bytes).
    var lastInvalidAnswerMs: UInt32 = 0
    /// Busy, receive-window-limited and send-buffer-limited time (SendChrono.swift).
    var chrono = SendChrono()

    init(local: SocketAddress, remote: SocketAddress, passive: Bool, userOwned: Bool, configuration: TCPConfiguration,
         rings: TCPStack.EmptyRings) {
        self.local = local
        self.remote = remote
        self.passive = passive
        self.userOwned = userOwned
        sendBuffer = rings.send
        receiveBuffer = rings.receive
        announcedMSS = configuration.announcedMSS(ipv6: local.address.isIPv6)
        // RFC 9293 §3.7.1: without an MSS option the peer's MSS is 536 (IPv4) / 1220 (IPv6).
        sendMSS = min(announcedMSS, local.address.isIPv6 ? 1220 : 536)
        rto = configuration.rtoInitial.nanoseconds
        congestion = CongestionControl(configuration.congestionControl, hyStart: configuration.hyStart)
        if configuration.hyStart, case .classic = configuration.hyStartVariant { congestion.hyStart.phase = .classic }
        ecn.mode = configuration.ecn
        apply(configuration.connectionOptions)
    }

    /// Enters a new state (`TCPStack.setState` alone can make a `StateChange`).
    mutating func change(_ change: TCPStack.StateChange) { state = change.to }

    mutating func apply(_ o: ConnectionOptions) {
        func ms(_ d: Duration) -> UInt32 { UInt32(clamping: max(0, d.nanoseconds / 1_000_000)) }
        noDelay = o.noDelay
        if o.cork { sendHold.insert(.corked) } else { sendHold.remove(.corked) }
        keepAlive = o.keepAlive
        keepAliveIdleS = UInt16(clamping: max(1, o.keepAliveIdle.components.seconds))
        keepAliveIntervalS = UInt16(clamping: max(1, o.keepAliveInterval.components.seconds))
        keepAliveCount = UInt8(clamping: max(1, o.keepAliveCount))
        userTimeoutMs = o.userTimeout.map { max(1, ms($0)) } ?? 0
        reportSoftErrors = o.reportSoftErrors
        dscp = o.dscp & 0x3f | (o.pathMTUDiscovery ? 0 : 0x80)
        retransmissionLimit = o.maximumRetransmissions.map { UInt8(clamping: max(1, $0)) } ?? 0
        sendBufferSize = o.sendBufferSize.map { UInt32(clamping: min(max(1, $0), 1 << 30)) } ?? 0
        synRetryLimit = o.synRetries.map { UInt8(clamping: max(1, $0)) } ?? 0
        notSentLowat = o.notSentLowat.map { UInt32(clamping: max(1, $0)) } ?? 0
        userMSS = o.maximumSegmentSize.map { UInt16(clamping: max(64, $0)) } ?? 0
        if userMSS != 0 {
            announcedMSS = min(announcedMSS, Int(userMSS))
            sendMSS = min(sendMSS, Int(userMSS))
        }
        if let mode = o.ecn {
            ecn.mode = mode
            ecn.flags.insert(.overridden)
        }
        if !keepAlive { timers[.keepAlive] = nil }
    }

    var options: ConnectionOptions {
        var o = ConnectionOptions()
        o.noDelay = noDelay
        o.cork = sendHold.contains(.corked)
        o.keepAlive = keepAlive
        o.keepAliveIdle = .seconds(keepAliveIdleS)
        o.keepAliveInterval = .seconds(keepAliveIntervalS)
        o.keepAliveCount = Int(keepAliveCount)
        o.userTimeout = userTimeoutMs == 0 ? nil : .milliseconds(userTimeoutMs)
        o.reportSoftErrors = reportSoftErrors
        o.dscp = dscp & 0x3f
        o.pathMTUDiscovery = !pathMTUDiscoveryOff
        o.maximumRetransmissions = retransmissionLimit == 0 ? nil : Int(retransmissionLimit)
        o.ecn = ecn.flags.contains(.overridden) ? ecn.mode : nil
        o.sendBufferSize = sendBufferSize == 0 ? nil : Int(sendBufferSize)
        o.notSentLowat = notSentLowat == 0 ? nil : Int(notSentLowat)
        o.maximumSegmentSize = userMSS == 0 ? nil : Int(userMSS)
        o.synRetries = synRetryLimit == 0 ? nil : Int(synRetryLimit)
        return o
    }

    /// RCV.WND: what the window last advertised still leaves open past RCV.NXT.
    var receiveWindow: UInt32 { rcvAdv > rcvNxt ? UInt32(rcvAdv - rcvNxt) : 0 }
    /// Receiver SWS avoidance moves the right edge by at least min(Fr × RCV.BUFF, Eff.snd.MSS),
    /// Fr = 1/2 (RFC 9293 §3.8.6.2.2). The segments that fill our window are the peer's, at most
    /// the MSS we announced, so that is the MSS used here (RFC 1122 §4.2.3.3 says "the maximum
    /// segment size", not which side's).
    var swsThreshold: Int { max(1, min(receiveBuffer.capacity / 2, announcedMSS)) }
    /// The largest window the window field can carry with our shift (RFC 7323 §2.3).
    @inline(__always) var maxReceiveWindow: Int { 65535 << Int(rcvWindShift) }   // inlined: a call copied the TCB

    /// Sequence number of our FIN (valid when `finQueued`).
    var finSeq: SequenceNumber { sendBufferSeq + sendBuffer.count }
    /// Our FIN has been sent and acknowledged.
    var finAcked: Bool { finQueued && sndUna == finSeq + 1 }
    /// Bytes in the buffer not yet sent (from SND.NXT on).
    var unsentBytes: Int {
        let offset = Int(sndNxt - sendBufferSeq)
        return max(0, sendBuffer.count - max(0, offset))
    }
    /// Loss recovery runs from the SACK scoreboard (RFC 6675) rather than NewReno.
    var sackRecovery: Bool { sackOK && scoreboard != nil }
    /// Sequence space sent and not acknowledged.
    var bytesInFlight: Int { Int(sndMax - sndUna) }
    /// RFC 6675's pipe, estimated without SACK: what was sent from SND.UNA to SND.NXT, less what
    /// duplicate ACKs reported delivered during recovery. (With a SACK scoreboard, its own pipe
    /// replaces this.) `sendRoom` lets cwnd - pipe out during recovery with PRR.
    var pipe: Int {
        if sackOK, let sb = scoreboard { return sb.pipe }
        return max(0, Int(sndNxt - sndUna) - (inFastRecovery ? recoveryDeliveredEstimate : 0))
    }
}
