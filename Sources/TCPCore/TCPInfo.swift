/// A snapshot of one connection's state and counters, in the spirit of Linux's `struct tcp_info`
/// (`getsockopt(TCP_INFO)`, `ss -ti`). Cheap to take: it reads the TCB, nothing more.
public struct TCPInfo: Sendable, Hashable {
    public var state: TCPState
    /// Smoothed RTT and its variation (RFC 6298 §2); nil before the first sample.
    public var srtt: Duration?
    public var rttvar: Duration
    /// The current retransmission timeout (backed off after timeouts).
    public var rto: Duration
    /// Congestion window and slow-start threshold in bytes (RFC 5681); `ssthresh` is nil while
    /// still "arbitrarily high" (no loss yet).
    public var cwnd: Int
    public var ssthresh: Int?
    /// The MSS we send with (min of the peer's option and ours) and the MSS we announced.
    public var sendMSS: Int
    public var advertisedMSS: Int
    /// The largest payload received so far (Linux's `rcv_mss`); 0 before any data arrived.
    public var receiveMSS: Int
    /// Payload bytes put on the wire, retransmissions included (Linux `tcpi_bytes_sent`).
    public var bytesSent: UInt64
    /// Payload bytes sent again (Linux `tcpi_bytes_retrans`).
    public var bytesRetransmitted: UInt64
    /// Payload bytes the peer acknowledged cumulatively (Linux `tcpi_bytes_acked`).
    public var bytesAcked: UInt64
    /// Payload bytes received in order, i.e. by which RCV.NXT advanced (Linux `tcpi_bytes_received`).
    public var bytesReceived: UInt64
    /// Segments sent (all, control and retransmissions included) and received (all that reached the TCB).
    public var segmentsSent: UInt32
    public var segmentsReceived: UInt32
    /// Segments (SYN, data, FIN) sent again, by timeout or fast retransmit.
    public var segmentsRetransmitted: UInt32
    /// Bytes the peer reported in SACK blocks (RFC 2018), summed over the connection like the
    /// other byte counters: each byte counts once, when a SACK block first covers it; bytes
    /// SACKed again after the receiver reneged (§8) do not count again, nor do D-SACK reports
    /// (RFC 2883) or blocks outside SND.UNA..SND.MAX. 0 without SACK. (Linux has no byte count:
    /// its `tcpi_sacked` is `sacked_out`, the segments SACKed right now, our
    /// `sackedBytesOutstanding` in bytes; its cumulative `tcpi_delivered` counts segments
    /// delivered by cumulative ACK or SACK, each once.)
    public var sackedBytes: UInt64
    /// Bytes above SND.UNA SACKed right now (the scoreboard's count, RFC 6675 §4; falls as the
    /// cumulative ACK passes them).
    public var sackedBytesOutstanding: Int
    /// Segments that arrived past a gap and were kept for reassembly.
    public var outOfOrderSegments: UInt32
    /// Duplicate ACKs received (RFC 5681 §2 definition).
    public var duplicateACKs: UInt32
    /// Zero-window probes sent (RFC 9293 §3.8.6.1) and keep-alive probes sent (§3.8.4).
    public var windowProbes: UInt32
    public var keepAliveProbes: UInt32
    /// ACKs that waited for the delayed-ACK timer (RFC 9293 §3.8.6.3).
    public var delayedACKs: UInt32
    /// Delivery rate in bytes per second: the bytes cumulatively acknowledged during the last
    /// completed sampling interval, divided by its length. An interval lasts at least one smoothed
    /// RTT (at least 1 ms) and is closed by the first ACK of new data after that; an interval starts
    /// again when data is sent with nothing outstanding, so idle time is not counted. 0 before the
    /// first interval completes.
    public var deliveryRate: UInt64
    /// SND.WND (peer's window) and RCV.WND (the window we offer now).
    public var sendWindow: UInt32
    public var receiveWindow: UInt32
    /// Sequence space sent and not yet acknowledged (SND.MAX - SND.UNA).
    public var bytesInFlight: Int
    /// Bytes written by the application and not yet acknowledged, and bytes received not yet read.
    public var sendQueue: Int
    public var receiveQueue: Int
    /// Consecutive retransmission timeouts without progress (Linux `tcpi_backoff`).
    public var backoff: Int
    /// The congestion controller (Linux `TCP_CONGESTION`) and where it stands (Linux
    /// `tcpi_ca_state`, reduced to the states this engine has).
    public var congestionControl: CongestionControlAlgorithm = .cubic
    public var congestionState: CongestionState = .open
    /// The sizes of the send and receive buffers now (what auto-tuning has grown them to; Linux's
    /// `ss -m` tb and rb). A connection that has carried no data reports the configured sizes.
    public var sendBufferBytes: Int = 0
    public var receiveBufferBytes: Int = 0
    /// Segments the peer acknowledged (Linux `tcpi_delivered`): the SYN or SYN-ACK (with any data
    /// it carried) counts one, cumulatively acknowledged data counts its bytes in send-MSS units
    /// per ACK, rounded up. SACKed data counts when the cumulative ACK covers it.
    public var segmentsDelivered: UInt32 = 0
    /// Time with data outstanding or queued (Linux `tcpi_busy_time`), and the parts of it when
    /// queued data waited for the peer's receive window (`tcpi_rwnd_limited`) or the application
    /// had filled the send buffer (`tcpi_sndbuf_limited`). Classified each time the engine
    /// finishes with the connection (an arriving segment, a call, a timer).
    public var busyTime: Duration = .zero
    public var receiveWindowLimitedTime: Duration = .zero
    public var sendBufferLimitedTime: Duration = .zero
    /// The receiver's round-trip estimate that paces receive-buffer auto-tuning (Linux
    /// `tcpi_rcv_rtt`); nil until one is taken (or with auto-tuning off).
    public var receiverRTT: Duration? = nil
    /// ECN (RFC 3168): whether the handshake agreed on it (Linux `tcpi_options` TCPI_OPT_ECN),
    /// data segments received CE-marked, ACKs received with ECE while data was outstanding, and
    /// the cwnd reductions they caused (per connection, counted up to 65535).
    public var ecn: Bool = false
    public var ceReceived: UInt32 = 0
    public var eceReceived: UInt32 = 0
    public var ecnReductions: UInt32 = 0
    /// TCP Fast Open: the SYN's data was taken — the peer acknowledged the data in our SYN, or
    /// we accepted the data in the peer's (Linux's TCPI_OPT_SYN_DATA in `tcpi_options`).
    public var fastOpenSYNData = false

    // What Linux's `tcp_info` counts in segments (its `packets_out`, `sacked_out`, `lost_out`,
    // `retrans_out`): counted from the sent-segment records, each record as ceil(length / send
    // MSS) segments, so that they match Linux's counts when segments are MSS-sized. Without a
    // scoreboard (no SACK) only `unackedSegments` is known (from the bytes in flight).
    /// Segments sent and not yet acknowledged cumulatively.
    public var unackedSegments: Int = 0
    /// Outstanding segments covered by SACK blocks now.
    public var sackedSegments: Int = 0
    /// Outstanding segments deemed lost (RFC 6675 IsLost, RACK, or an RTO).
    public var lostSegments: Int = 0
    /// Outstanding segments whose retransmission is in flight.
    public var retransmittingSegments: Int = 0
    /// Zero-window probes sent since the peer last acknowledged anything (Linux `tcpi_probes`).
    public var probesUnanswered: Int = 0
    /// The smallest RTT sample seen (RACK's min_RTT, RFC 8985 §6.2); nil without one.
    public var minRTT: Duration? = nil
}

/// Where congestion control stands (after Linux's `tcpi_ca_state`).
public enum CongestionState: String, Sendable, Hashable, CustomStringConvertible {
    /// No loss being repaired: slow start or congestion avoidance.
    case open
    /// Fast recovery (RFC 5681 §3.2, RFC 6582, RFC 6675), paced by PRR.
    case recovery
    /// Repairing after a retransmission timeout (RFC 5681 §3.1 loss window; RFC 6675 §5.1).
    case loss
    public var description: String { rawValue }
}

extension TCPStack {
    /// Per-connection statistics like Linux's `tcp_info`; nil for an unknown handle.
    public func tcpInfo(of id: ConnectionID) -> TCPInfo? {
        guard let i = connectionIndex(id) else { return nil }
        return slots[i].connection!.tcpInfo
    }

    /// `tcpInfo(of:)` with the busy and limited times counted up to `now` (the other form counts
    /// them up to the engine's last look at the connection).
    public func tcpInfo(of id: ConnectionID, now: Instant) -> TCPInfo? {
        guard let i = connectionIndex(id) else { return nil }
        var info = slots[i].connection!.tcpInfo
        let t = slots[i].connection!.chrono.totals(at: now)
        info.busyTime = .nanoseconds(t.busy)
        info.receiveWindowLimitedTime = .nanoseconds(t.receiveWindowLimited)
        info.sendBufferLimitedTime = .nanoseconds(t.sendBufferLimited)
        return info
    }

    /// Records a `TraceRecord.Kind.info` sample of a connection (only with `configuration.trace`):
    /// the hook a driver calls to sample a connection over time. Returns false for an unknown handle.
    @discardableResult
    public mutating func traceInfo(of id: ConnectionID, now: Instant) -> Bool {
        guard let i = connectionIndex(id) else { return false }
        let info = slots[i].connection!.tcpInfo
        trace(now, id, .info(info))
        return true
    }
}

extension Connection {
    var tcpInfo: TCPInfo {
        var info = TCPInfo(
            state: state, srtt: srtt.map { .nanoseconds($0) }, rttvar: .nanoseconds(rttvar), rto: .nanoseconds(rto),
            cwnd: cwnd, ssthresh: ssthresh == Int.max ? nil : ssthresh,
            sendMSS: sendMSS, advertisedMSS: announcedMSS, receiveMSS: Int(rcvMSS),
            bytesSent: counters.bytesSent, bytesRetransmitted: counters.bytesRetransmitted,
            bytesAcked: counters.bytesAcked, bytesReceived: counters.bytesReceived,
            segmentsSent: counters.segmentsSent, segmentsReceived: counters.segmentsReceived,
            segmentsRetransmitted: counters.segmentsRetransmitted, sackedBytes: counters.bytesSACKed, sackedBytesOutstanding: scoreboard?.sackedBytes ?? 0,
            outOfOrderSegments: counters.outOfOrderSegments, duplicateACKs: counters.duplicateACKs,
            windowProbes: counters.windowProbes, keepAliveProbes: counters.keepAliveProbes,
            delayedACKs: counters.delayedACKs, deliveryRate: counters.deliveryRate,
            sendWindow: sndWnd, receiveWindow: receiveWindow, bytesInFlight: bytesInFlight,
            sendQueue: sendBuffer.count, receiveQueue: receiveBuffer.count, backoff: retries)
        info.congestionControl = congestion.kind
        info.sendBufferBytes = sendBufferBytes
        info.segmentsDelivered = counters.segmentsDelivered
        let t = chrono.totals(at: chrono.since)
        info.busyTime = .nanoseconds(t.busy)
        info.receiveWindowLimitedTime = .nanoseconds(t.receiveWindowLimited)
        info.sendBufferLimitedTime = .nanoseconds(t.sendBufferLimited)
        info.receiveBufferBytes = receiveBuffer.capacity
        if receiveBuffer.tuning.rtt > 0 { info.receiverRTT = .nanoseconds(receiveBuffer.tuning.rtt) }
        info.ecn = ecn.active
        info.ceReceived = UInt32(ecnCounters.ceReceived)
        info.eceReceived = UInt32(ecnCounters.eceReceived)
        info.ecnReductions = UInt32(ecnCounters.reductions)
        info.fastOpenSYNData = fastOpen.contains(.synDataAcknowledged)
        info.congestionState = inFastRecovery ? .recovery : (inRTORecovery || retries > 0) ? .loss : .open
        segmentCounts(into: &info)
        info.probesUnanswered = probesUnanswered
        if let sb = scoreboard, sb.minRTT != .max { info.minRTT = .nanoseconds(sb.minRTT) }
        return info
    }

    /// The segment counts of `TCPInfo` (not on the per-segment path: only when asked).
    private func segmentCounts(into info: inout TCPInfo) {
        let mss = max(1, sendMSS)
        func segments(_ bytes: Int) -> Int { bytes <= 0 ? 0 : (bytes + mss - 1) / mss }
        guard let sb = scoreboard, sb.count > 0 else {
            info.unackedSegments = segments(bytesInFlight)
            return
        }
        for i in 0..<sb.count {
            let r = sb[i]
            let n = segments(r.length)
            info.unackedSegments += n
            if r.sacked { info.sackedSegments += n }
            if r.flags.contains(.lost) && !r.sacked { info.lostSegments += n }
            if r.flags.contains(.retransmitted) { info.retransmittingSegments += n }
        }
    }
}
