import TCPCore

/// Linux's `struct tcp_info`, field by field, in Linux's units (µs for times, segments for the
/// window and the queue counts, Linux's TCP_* state and TCP_CA_* numbers, TCPI_OPT_* bits),
/// computed from the engine's `TCPInfo`. The one mapping behind `getsockopt(TCP_INFO)` and the
/// names of `%{ }%` blocks. A field TCPKit does not count (`tcpi_reord_seen`, `tcpi_ato`...)
/// is absent: a script that uses it is UNSUPPORTED, naming it.
struct LinuxTCPInfo {
    private(set) var values: [String: Int64] = [:]

    subscript(name: String) -> Int64? { values[name] }

    /// Every `tcpi_` name Linux's tcp_info has (as of Linux 6.x), for telling "a field TCPKit
    /// cannot fill" from a misspelt name.
    static let linuxNames: Set<String> = [
        "tcpi_state", "tcpi_ca_state", "tcpi_retransmits", "tcpi_probes", "tcpi_backoff", "tcpi_options",
        "tcpi_snd_wscale", "tcpi_rcv_wscale", "tcpi_delivery_rate_app_limited", "tcpi_fastopen_client_fail",
        "tcpi_rto", "tcpi_ato", "tcpi_snd_mss", "tcpi_rcv_mss", "tcpi_unacked", "tcpi_sacked", "tcpi_lost",
        "tcpi_retrans", "tcpi_fackets", "tcpi_last_data_sent", "tcpi_last_ack_sent", "tcpi_last_data_recv",
        "tcpi_last_ack_recv", "tcpi_pmtu", "tcpi_rcv_ssthresh", "tcpi_rtt", "tcpi_rttvar", "tcpi_snd_ssthresh",
        "tcpi_snd_cwnd", "tcpi_advmss", "tcpi_reordering", "tcpi_rcv_rtt", "tcpi_rcv_space", "tcpi_total_retrans",
        "tcpi_pacing_rate", "tcpi_max_pacing_rate", "tcpi_bytes_acked", "tcpi_bytes_received", "tcpi_segs_out",
        "tcpi_segs_in", "tcpi_notsent_bytes", "tcpi_min_rtt", "tcpi_data_segs_in", "tcpi_data_segs_out",
        "tcpi_delivery_rate", "tcpi_busy_time", "tcpi_rwnd_limited", "tcpi_sndbuf_limited", "tcpi_delivered",
        "tcpi_delivered_ce", "tcpi_bytes_sent", "tcpi_bytes_retrans", "tcpi_dsack_dups", "tcpi_reord_seen",
        "tcpi_rcv_ooopack", "tcpi_snd_wnd", "tcpi_rcv_wnd", "tcpi_rehash", "tcpi_total_rto",
        "tcpi_total_rto_recoveries", "tcpi_total_rto_time",
    ]

    /// The names `init(_:now:)` fills (`tcpi_rcv_rtt` once the receiver has an RTT estimate).
    static let providedNames: Set<String> = [
        "tcpi_state", "tcpi_ca_state", "tcpi_retransmits", "tcpi_backoff", "tcpi_probes", "tcpi_options",
        "tcpi_snd_wscale", "tcpi_rcv_wscale", "tcpi_rto", "tcpi_snd_mss", "tcpi_rcv_mss", "tcpi_advmss",
        "tcpi_unacked", "tcpi_sacked", "tcpi_lost", "tcpi_retrans", "tcpi_last_data_recv", "tcpi_rtt", "tcpi_rttvar",
        "tcpi_snd_ssthresh", "tcpi_snd_cwnd", "tcpi_reordering", "tcpi_total_retrans", "tcpi_bytes_acked",
        "tcpi_bytes_received", "tcpi_bytes_sent", "tcpi_bytes_retrans", "tcpi_segs_out", "tcpi_segs_in",
        "tcpi_notsent_bytes", "tcpi_min_rtt", "tcpi_delivery_rate", "tcpi_snd_wnd", "tcpi_rcv_wnd", "tcpi_rcv_rtt",
        "tcpi_delivered", "tcpi_busy_time", "tcpi_rwnd_limited", "tcpi_sndbuf_limited",
    ]

    /// Linux's TCP_ESTABLISHED... numbering (include/net/tcp_states.h).
    static func state(_ s: TCPState) -> Int64 {
        switch s {
        case .established: 1
        case .synSent: 2
        case .synReceived: 3
        case .finWait1: 4
        case .finWait2: 5
        case .timeWait: 6
        case .closed: 7
        case .closeWait: 8
        case .lastAck: 9
        case .listen: 10
        case .closing: 11
        }
    }

    /// A listening socket: Linux reports the state and zeros.
    static func listening() -> LinuxTCPInfo {
        var l = LinuxTCPInfo()
        l.values["tcpi_state"] = 10
        for n in ["tcpi_ca_state", "tcpi_retransmits", "tcpi_probes", "tcpi_backoff", "tcpi_options", "tcpi_unacked",
                  "tcpi_sacked", "tcpi_lost", "tcpi_retrans", "tcpi_total_retrans"] { l.values[n] = 0 }
        return l
    }

    init() {}

    /// `c` gives what the connection negotiated and when a segment last arrived.
    init(_ i: TCPInfo, _ c: ConnectionInfo, now: Instant) {
        func us(_ d: Duration) -> Int64 { d.nanoseconds / 1000 }
        let mss = Int64(max(1, i.sendMSS))
        var v: [String: Int64] = [:]
        v["tcpi_state"] = Self.state(i.state)
        // TCP_CA_Open 0, Disorder 1 (SACKs or duplicate ACKs seen, no recovery yet), Recovery 3, Loss 4.
        switch i.congestionState {
        case .open: v["tcpi_ca_state"] = i.sackedSegments > 0 ? 1 : 0
        case .recovery: v["tcpi_ca_state"] = 3
        case .loss: v["tcpi_ca_state"] = 4
        }
        v["tcpi_retransmits"] = Int64(i.backoff)
        v["tcpi_backoff"] = Int64(i.backoff)
        v["tcpi_probes"] = Int64(i.probesUnanswered)
        // TCPI_OPT_TIMESTAMPS 1, TCPI_OPT_SACK 2, TCPI_OPT_WSCALE 4, TCPI_OPT_ECN 8 (RFC 3168 agreed),
        // TCPI_OPT_SYN_DATA 32 (Fast Open: the SYN's data was taken). (ECN_SEEN 16 is not kept.)
        v["tcpi_options"] = (c.timestamps ? 1 : 0) | (c.sackPermitted ? 2 : 0) | (c.windowShifts != nil ? 4 : 0)
            | (i.ecn ? 8 : 0) | (i.fastOpenSYNData ? 32 : 0)
        v["tcpi_snd_wscale"] = Int64(c.windowShifts?.send ?? 0)
        v["tcpi_rcv_wscale"] = Int64(c.windowShifts?.receive ?? 0)
        v["tcpi_rto"] = us(i.rto)
        v["tcpi_snd_mss"] = Int64(i.sendMSS)
        // Linux's rcv_mss before data arrives: its estimate min(advmss, 536) (tcp_initialize_rcv_mss).
        v["tcpi_rcv_mss"] = i.receiveMSS > 0 ? Int64(i.receiveMSS) : Int64(min(i.advertisedMSS, 536))
        v["tcpi_advmss"] = Int64(i.advertisedMSS)
        v["tcpi_unacked"] = Int64(i.unackedSegments)
        v["tcpi_sacked"] = Int64(i.sackedSegments)
        v["tcpi_lost"] = Int64(i.lostSegments)
        v["tcpi_retrans"] = Int64(i.retransmittingSegments)
        v["tcpi_last_data_recv"] = max(0, (now.nanoseconds - c.lastReceivedAt.nanoseconds) / 1_000_000)   // ms
        v["tcpi_rtt"] = i.srtt.map(us) ?? 0
        v["tcpi_rttvar"] = us(i.rttvar)
        // Linux's TCP_INFINITE_SSTHRESH while ssthresh is still "arbitrarily high" (RFC 5681 §3.1).
        v["tcpi_snd_ssthresh"] = i.ssthresh.map { Int64($0) / mss } ?? 0x7fff_ffff
        v["tcpi_snd_cwnd"] = Int64(i.cwnd) / mss
        v["tcpi_reordering"] = 3   // the engine's DupThresh (RFC 6675 §2); Linux's default tcp_reordering
        v["tcpi_total_retrans"] = Int64(i.segmentsRetransmitted)
        v["tcpi_bytes_acked"] = Int64(clamping: i.bytesAcked)
        v["tcpi_bytes_received"] = Int64(clamping: i.bytesReceived)
        v["tcpi_bytes_sent"] = Int64(clamping: i.bytesSent)
        v["tcpi_bytes_retrans"] = Int64(clamping: i.bytesRetransmitted)
        v["tcpi_segs_out"] = Int64(i.segmentsSent)
        v["tcpi_segs_in"] = Int64(i.segmentsReceived)
        v["tcpi_notsent_bytes"] = Int64(max(0, i.sendQueue - i.bytesInFlight))
        v["tcpi_min_rtt"] = i.minRTT.map(us) ?? 0xffff_ffff   // Linux: ~0U before a sample
        v["tcpi_delivery_rate"] = Int64(clamping: i.deliveryRate)   // bytes per second, as Linux
        v["tcpi_snd_wnd"] = Int64(i.sendWindow)
        v["tcpi_rcv_wnd"] = Int64(i.receiveWindow)
        if let r = i.receiverRTT { v["tcpi_rcv_rtt"] = us(r) }
        v["tcpi_delivered"] = Int64(i.segmentsDelivered)
        v["tcpi_busy_time"] = us(i.busyTime)
        v["tcpi_rwnd_limited"] = us(i.receiveWindowLimitedTime)
        v["tcpi_sndbuf_limited"] = us(i.sendBufferLimitedTime)
        values = v
    }
}
