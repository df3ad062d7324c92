import TCPWire

/// Everything tunable about a stack. Defaults follow the RFCs, and Linux where an RFC leaves a choice
/// (each noted).
public struct TCPConfiguration: Sendable, Hashable {
    /// Link MTU; the MSS we announce is MTU - 40 (IPv4) or MTU - 60 (IPv6) (RFC 9293 §3.7.1).
    public var mtu: Int = 1500
    /// Override of the MSS we announce (nil: derived from `mtu`).
    public var mss: Int? = nil
    /// How the send buffer is sized. Default: auto-tuned from 256 KiB up to 4 MiB (Linux starts at
    /// 16 KiB, tcp_wmem[1], and grows to tcp_wmem[2], 4 MiB; TCPKit starts at the size it always had,
    /// so that traces stay as they were). While the application keeps the buffer full, it doubles (at
    /// most once per round trip) until it holds what is in flight plus one more window (as Linux's
    /// tcp_sndbuf_expand). Allocated on first use: an idle connection holds none.
    public var sendBuffer: BufferSizing = .autoTuned(initial: 256 * 1024, maximum: 4 * 1024 * 1024)
    /// How the receive buffer is sized; the window we offer never exceeds it, nor 65535 without
    /// window scaling. Default: auto-tuned from 256 KiB up to 6 MiB (Linux starts at 128 KiB,
    /// tcp_rmem[1], and grows to tcp_rmem[2], 6 MiB; TCPKit keeps the initial window it always had).
    /// Dynamic right-sizing, as Linux's tcp_rcv_space_adjust: about once per round trip the
    /// connection measures what the application read in it and doubles the buffer while twice that
    /// exceeds it, opening the window. Allocated on first use.
    public var receiveBuffer: BufferSizing = .autoTuned(initial: 256 * 1024, maximum: 6 * 1024 * 1024)
    /// The send buffer's size: where it starts. Setting it fixes the buffer at that size
    /// (`BufferSizing.fixed`), as SO_SNDBUF does on Linux.
    public var sendBufferBytes: Int {
        get { sendBuffer.initial }
        set { sendBuffer = .fixed(newValue) }
    }
    /// The receive buffer's size: where it starts. Setting it fixes the buffer at that size
    /// (`BufferSizing.fixed`), as SO_RCVBUF does on Linux.
    public var receiveBufferBytes: Int {
        get { receiveBuffer.initial }
        set { receiveBuffer = .fixed(newValue) }
    }
    /// The memory all of the stack's buffers may hold before auto-tuning stops growing them (as
    /// Linux's tcp_mem pressure threshold): a buffer is never shrunk and data already accepted is
    /// never dropped, but no buffer grows while growing would pass this; each refusal counts in
    /// `TCPStatistics.bufferGrowthsRefused`. 256 MiB.
    public var bufferMemoryLimit: Int = 256 * 1024 * 1024
    /// Once the handshake completes, round the receive buffer up to a whole number of send-MSS
    /// segments (FreeBSD's tcp_mss(), so that the window holds whole segments); the larger size is
    /// what `TCPInfo.receiveBufferBytes` (and SO_RCVBUF) then shows. Off by default (Linux and
    /// TCPKit keep the size set); on in `TCPConfiguration.freeBSD`.
    public var receiveBufferRoundedToMSS: Bool = false
    /// The most the receive buffer may become: the window scale is chosen for it at SYN time.
    public var receiveBufferLimit: Int { receiveBuffer.maximum }
    /// The most the send buffer may become.
    public var sendBufferLimit: Int { sendBuffer.maximum }
    /// RFC 7323 §2: offer the window scale option on our SYN (and answer it on a SYN-ACK). The
    /// shift is the smallest that fits `receiveBufferLimit` (the most the buffer may grow to) into
    /// 16 bits, at most 14 (as Linux, which sizes it for tcp_rmem[2]).
    public var windowScaling: Bool = true
    /// RFC 7323 §3: offer the timestamps option (RTTM and PAWS). TSval counts milliseconds of the
    /// driver's clock plus a per-connection offset from a keyed hash of the four-tuple (§7.1).
    public var timestamps: Bool = true
    /// RFC 7323 §3.2: once timestamps are negotiated, a non-RST segment without them "SHOULD be
    /// silently dropped" (the default, as FreeBSD); true accepts it (as Linux).
    public var tolerateMissingTimestamps: Bool = false
    /// Initial RTO (RFC 6298 §2.1: 1 second).
    public var rtoInitial: Duration = .seconds(1)
    /// Lower bound of the RTO (RFC 6298 §2.4 says 1 s; Linux uses 200 ms).
    public var rtoMin: Duration = .seconds(1)
    /// Upper bound of the RTO (RFC 6298 §2.5: at least 60 s).
    public var rtoMax: Duration = .seconds(60)
    /// SYN retransmissions before connect fails with `timedOut`. RFC 9293 §3.8.3 (MUST-23): R2 for
    /// a SYN must allow at least 3 minutes. Linux's tcp_syn_retries = 6 gives up at 127 s; 7 with the
    /// 60 s RTO cap sends the last SYN at 123 s and gives up at 183 s.
    public var synRetries: Int = 7
    /// SYN-ACK retransmissions before a half-open connection is dropped (Linux tcp_synack_retries = 5).
    public var synAckRetries: Int = 5
    /// Data/FIN retransmissions before the connection fails (RFC 1122 §4.2.3.5 R2; Linux tcp_retries2 = 15).
    public var dataRetries: Int = 15
    /// Maximum segment lifetime; TIME-WAIT lasts 2×MSL (RFC 9293 §3.4.2). RFC: 2 min; Linux's
    /// TIME-WAIT is 60 s, i.e. MSL 30 s, which is the default here.
    public var msl: Duration = .seconds(30)
    /// How long an orphaned connection (closed by the application) may stay in FIN-WAIT-2 (Linux tcp_fin_timeout = 60 s).
    public var finWait2Timeout: Duration = .seconds(60)
    /// RFC 5961 §3: an RST in the window but not at RCV.NXT gets a challenge ACK (off: RFC 793's
    /// rule, any in-window RST resets; FreeBSD insecure_rst = 1).
    public var rfc5961RST: Bool = true
    /// RFC 5961 §4: a SYN in a synchronized state gets a challenge ACK (off: RFC 793's rule, an
    /// in-window SYN is answered with RST and resets; FreeBSD insecure_syn = 1).
    public var rfc5961SYN: Bool = true
    /// RFC 5961 §5: the ACK acceptability test SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT, failures
    /// answered with a (rate-limited) challenge ACK (off: RFC 793's rule, an old ACK is ignored and
    /// an ACK of unsent data gets a plain ACK; FreeBSD insecure_ack = 1).
    public var rfc5961ACK: Bool = true
    /// A segment that acknowledges data not yet sent (SEG.ACK > SND.NXT) after the handshake is
    /// discarded without an ACK in reply and without updating TS.Recent (Linux's tcp_ack; TIME-WAIT
    /// excepted). Off: RFC 9293 §3.10.7.4 and RFC 5961 §5.2, an ACK goes back.
    public var discardACKOfUnsentData: Bool = false
    /// All three RFC 5961 defences: true when all are on; setting it sets all three.
    public var rfc5961: Bool {
        get { rfc5961RST && rfc5961SYN && rfc5961ACK }
        set { rfc5961RST = newValue; rfc5961SYN = newValue; rfc5961ACK = newValue }
    }
    /// Challenge ACKs per second for the whole stack (RFC 5961 §7; Linux tcp_challenge_ack_limit).
    public var challengeACKLimit: Int = 1000
    /// Redraw the stack-wide budget each second as limit/2 + random(0..<limit) from the stack's
    /// seeded generator (Linux since 4.7, against the CVE-2016-5696 side channel: an off-path
    /// attacker can no longer count what other connections took). Off: exactly the limit.
    public var challengeACKLimitRandomized: Bool = false
    /// Least time between two challenge ACKs, or two ACKs to out-of-window segments without text,
    /// on one connection (RFC 5961 §10; Linux's per-socket tcp_invalid_ratelimit, 500 ms there).
    /// Checked before the stack-wide budget, so one connection cannot drain it. Zero: no limit.
    public var invalidSegmentACKInterval: Duration = .zero
    /// Which segments to a port with no connection and no listener are answered with RST (RFC 9293
    /// §3.10.7.1: all but RSTs, the default). FreeBSD's net.inet.tcp.blackhole deliberately departs
    /// from it to hide closed ports from scans: 1 drops SYNs silently, 2 every segment.
    public var closedPortResets: ClosedPortResets = .all
    /// Drop every segment that carries both SYN and FIN, unanswered and counted as `.synFIN`
    /// (FreeBSD's net.inet.tcp.drop_synfin, against stack fingerprinting). RFC 9293 does not
    /// forbid the combination, so off by default: a SYN+FIN opens a connection whose FIN is
    /// processed after the SYN (§3.10.7.2).
    public var dropSYNFIN: Bool = false
    /// RFC 1337: ignore RST in TIME-WAIT.
    public var ignoreRSTInTimeWait: Bool = true
    /// RFC 1122 §4.2.2.13 / RFC 6191: a SYN with a higher sequence number may end TIME-WAIT and open
    /// a new incarnation of the connection.
    public var timeWaitReuse: Bool = true
    /// IPv4 source routes (RFC 791 LSRR/SSRR options) on received segments: off (the default, as
    /// Linux's accept_source_route = 0 and every modern stack: a source route lets an off-path host
    /// choose the path of the answers) drops source-routed segments, counted as `.sourceRouted`;
    /// on, a connection answers along the reverse of the route its segments travelled (RFC 1122
    /// §4.2.3.8; TCPStack+SourceRoute.swift).
    public var acceptSourceRoute: Bool = false
    /// SACK (RFC 2018): offer SACK-permitted on our SYN (and accept it on the peer's); when both
    /// sides agree, report out-of-order data in SACK blocks and recover from loss with a SACK
    /// scoreboard (RFC 6675). On by default, as in Linux (tcp_sack = 1).
    public var sack: Bool = true
    /// D-SACK (RFC 2883): report a duplicate segment in the first SACK block (Linux tcp_dsack = 1).
    public var dsack: Bool = true
    /// RACK (RFC 8985 §6): time-based loss detection from per-segment send times, on SACK
    /// connections (Linux tcp_recovery bit 0x1, on by default).
    public var rack: Bool = true
    /// RFC 6675 §4 NextSeg rule (4), the rescue retransmission: once per SACK recovery, the last
    /// outstanding segment when no other rule may send. Linux has no such rule (its tail losses
    /// are TLP's and RACK's), so the Linux profile turns it off.
    public var sackRescueRetransmission: Bool = true
    /// F-RTO (RFC 5682, with and without SACK, as Linux's tcp_frto): after a retransmission
    /// timeout whose retransmission is acknowledged, send new data instead of more
    /// retransmissions; if the next ACK covers data sent before the timeout and never resent, the
    /// timeout was spurious and its cwnd and ssthresh reduction is undone. With it, an ACK that
    /// echoes a timestamp older than the timeout's retransmission undoes it too (RFC 3522, Linux's
    /// tcp_packet_delayed). Off by default (TCPKit's own scripts expect the plain RFC 6298
    /// timeout); Linux turns it on (tcp_frto = 2).
    public var forwardRTORecovery: Bool = false
    /// TLP (RFC 8985 §7): a tail loss probe after 2·SRTT without an ACK, on SACK connections
    /// (Linux tcp_early_retrans = 3, the default).
    public var tailLossProbe: Bool = true
    /// A lone FIN outstanding gets a tail loss probe too (Linux: the FIN is a segment of the
    /// write queue like any other, tcp_schedule_loss_probe). Off: the retransmission timer
    /// resends it.
    public var tailLossProbeForFIN: Bool = false
    /// New data after the application closed (RFC 1122 §4.2.2.13) is answered as Linux does, with
    /// a reset in reply to that segment, <SEQ=SEG.ACK><CTL=RST>; off: the connection aborts as
    /// RFC 9293's ABORT, <SEQ=SND.NXT><CTL=RST,ACK>.
    public var resetDataAfterCloseAsReply: Bool = false
    /// SYN cookies (RFC 4987 §3.6): when a listener answers a SYN with a cookie and keeps no
    /// half-open connection. Linux's default, `tcp_syncookies = 1`: only when the listener's
    /// half-open queue is full.
    public var synCookies: SYNCookieMode = .whenQueueFull
    /// Explicit Congestion Notification (RFC 3168; TCPStack+ECN.swift): `.acceptOnly` by default,
    /// as Linux's `tcp_ecn = 2` and FreeBSD's `ecn.enable = 2`: a peer's ECN-setup SYN is
    /// answered, our SYNs do not ask. Per connection: `ConnectionOptions.ecn`.
    public var ecn: ECNMode = .acceptOnly
    /// Retransmissions of an ECN-setup SYN before the SYN goes without ECE and CWR (RFC 3168
    /// §6.1.1.1: a path may drop ECN-setup SYNs). 0, the default: the first retransmission is a
    /// plain SYN (Linux's `tcp_ecn_fallback = 1`); FreeBSD's `ecn.maxretries` (default 1); nil:
    /// never fall back (`tcp_ecn_fallback = 0`).
    public var ecnSetupRetransmissions: Int? = 0
    /// How often the SYN-cookie secret is replaced by a new one drawn from the stack's injected
    /// generator, on the driver's clock (RFC 4987 §3.6 leaves this to the implementation).
    /// Rounded up to whole 64-second periods of the cookie's time counter, at least one. The
    /// current and the previous secret are kept, so a cookie always checks within its lifetime;
    /// once its secret's epoch is two behind it fails as invalid. Default 128 s, a cookie's longest
    /// life (FreeBSD reseeds every cookie lifetime, 15 s there; Linux never).
    public var synCookieRekeyInterval: Duration = .seconds(128)
    /// Hop limit / TTL of our packets.
    public var hopLimit: UInt8 = 64
    /// Ephemeral port range (RFC 6335 §6: 49152–65535).
    public var ephemeralPorts: ClosedRange<UInt16> = 49152...65535
    /// Congestion control (RFC 9438 CUBIC by default, as Linux; or RFC 5681/6582 NewReno).
    public var congestionControl: CongestionControlAlgorithm = .cubic
    /// Initial congestion window in segments; nil: RFC 6928's min(10·MSS, max(2·MSS, 14600 bytes)).
    /// (Linux's `initcwnd` route option.)
    public var initialWindowSegments: Int? = nil
    /// RFC 5681 §4.1: after more than one RTO without sending, start again from the restart window
    /// min(IW, cwnd) (Linux `tcp_slow_start_after_idle`, on by default).
    public var slowStartAfterIdle: Bool = true
    /// HyStart++ (RFC 9406): leave the first slow start when the RTT grows rather than at the
    /// first loss. Needs timestamps (an RTT sample per ACK) to act.
    public var hyStart: Bool = true
    /// Which HyStart runs when `hyStart` is on: RFC 9406's HyStart++ (TCPKit's default) or classic
    /// HyStart as Linux's CUBIC runs it (the Linux profile; `hystart_detect`). Classic HyStart
    /// takes an RTT sample from the scoreboard on every ACK, so it acts on SACK connections.
    public var hyStartVariant: HyStartVariant = .plusPlus
    /// Proportional Rate Reduction (RFC 6937, PRR-SSRB) paces what fast recovery sends; off: RFC
    /// 5681 §3.2 window inflation with RFC 6582's deflation.
    public var proportionalRateReduction: Bool = true
    /// What an ACK counts when it grows cwnd: `.byteCounting` (RFC 3465, L = 2·SMSS in slow start)
    /// or `.delivered` (Linux: every segment newly delivered, no per-ACK limit; the Linux profile).
    public var windowGrowth: WindowGrowth = .byteCounting
    /// PRR's reduction bound adds its extra SMSS only on a "safe" ACK, one that advances SND.UNA
    /// and reports no new loss (draft-ietf-tcpm-prr-rfc6937bis; Linux's tcp_cwnd_reduction); off,
    /// on every ACK (RFC 6937 PRR-SSRB). The Linux profile turns it on.
    public var prrSafeACK: Bool = false
    /// RTO = SRTT + max(4·RTTVAR, `rtoMin`) (Linux's tcp_rtt_estimator keeps the variance term at
    /// least TCP_RTO_MIN) rather than RFC 6298 §2's max(SRTT + 4·RTTVAR, `rtoMin`). The Linux
    /// profile turns it on.
    public var rtoMinBoundsVariance: Bool = false
    /// A SACK block marks only whole segments as SACKed: a block that covers part of a segment
    /// leaves that segment unSACKed (Linux's tcp_match_skb_to_sack); off, the scoreboard records
    /// exactly the bytes the block names (RFC 2018 §4). The Linux profile turns it on.
    public var sackWholeSegments: Bool = false
    /// `slowStartAfterIdle` tests for idleness when the application writes (Linux's
    /// tcp_slow_start_after_idle_check as it queues a new buffer) rather than before each
    /// transmission (RFC 5681 §4.1): zero-window probes and a window that reopens later do not
    /// restart the window. The Linux profile turns it on.
    public var idleRestartAtWrite: Bool = false

    /// Delayed ACKs (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2, RFC 5681 §4.2): in-order data is
    /// acknowledged when more than one full-sized segment is unacknowledged or when
    /// `delayedACKTimeout` runs out; out-of-order data, data filling a gap, a FIN and window
    /// updates are acknowledged at once. Off: every data segment is acknowledged at once.
    public var delayedACK: Bool = true
    /// The delayed-ACK timer (RFC 9293: under 0.5 s; Linux's minimum ATO and FreeBSD's delacktime: 40 ms).
    /// Clamped when set to 0...`maxDelayedACKTimeout` (200 ms): RFC 9293 §3.8.6.3 (MUST-40) and
    /// RFC 1122 §4.2.3.2 require less than 0.5 s, and an ACK held longer than 200 ms (Linux's
    /// TCP_DELACK_MAX) costs the peer's RTT estimate and its slow start more than it saves.
    public var delayedACKTimeout: Duration = .milliseconds(40) {
        didSet { delayedACKTimeout = Self.clampDelayedACKTimeout(delayedACKTimeout) }
    }
    /// The largest `delayedACKTimeout` accepted.
    public static let maxDelayedACKTimeout: Duration = .milliseconds(200)
    static func clampDelayedACKTimeout(_ d: Duration) -> Duration { min(max(d, .zero), maxDelayedACKTimeout) }
    /// Quick-ACK mode, as Linux does it: when data first arrives, and again when it arrives after
    /// more than one RTO without data, up to this many ACKs go at once (fewer with a small window:
    /// RCV.WND / (2 × MSS), at least 2), so that slow start at the sender is not held back by the
    /// delayed-ACK timer. 0: delayed ACKs from the first segment on.
    public var quickACKSegments: Int = 16
    /// R1 (RFC 9293 §3.8.3): after this many retransmissions of a segment without progress the
    /// connection gives negative advice to IP (MUST-20) and tells the application (SHLD-9); at
    /// least 3 (SHLD-10; Linux tcp_retries1 = 3). Values below 3 are used as 3.
    public var retransmissionThreshold: Int = 3
    /// Path MTU discovery (RFC 1191, RFC 8201): the lowest IPv4 path MTU a Fragmentation Needed
    /// message can set. RFC 1191 allows 68; 552 is Linux's min_pmtu, so that a forged message
    /// cannot shrink segments to a few bytes each (RFC 5927 §5.2). IPv6's floor is always 1280
    /// (RFC 8200 §5).
    public var minimumPathMTU: Int = 552
    /// How long a path MTU learned from ICMP holds before the interface MTU is tried again
    /// (RFC 1191 §6.3: 10 minutes), and how many destinations the stack remembers.
    public var pathMTUTimeout: Duration = .seconds(600)
    public var pathMTUCacheSize: Int = 256
    /// Packetization-layer path MTU discovery (RFC 4821): what to do when full-sized segments
    /// vanish with no ICMP. Default `.afterBlackHole`, Linux's tcp_mtu_probing = 1 as many
    /// distributions and Android set it: routers that drop ICMP are common enough that a
    /// connection must not hang on them, and a path that works is never probed.
    public var pathMTUProbing: PathMTUProbing = .afterBlackHole
    /// The send MSS a black hole drops to, and where `.always` starts (Linux's tcp_base_mss).
    public var pathMTUProbeBaseMSS: Int = 1024
    /// Probing never searches below what IPv6's minimum MTU allows, 1280 bytes (RFC 8899 §5.1.2:
    /// BASE_PLPMTU; RFC 8201 §4). Linux (false) starts IPv6 searches at `pathMTUProbeBaseMSS`
    /// too (tcp_mtup_init: search_low from tcp_base_mss for either version).
    public var pathMTUProbeIPv6Floor: Bool = true
    /// Consecutive retransmission timeouts of the same data, with no ICMP, that count as a
    /// black hole (at least 1). 3, R1 (RFC 9293 §3.8.3, where IP gets negative advice too): with
    /// a 1 s RTO the fourth copy goes smaller 7 s after the first loss, where Linux's
    /// tcp_retries1-based check acts; fewer would take ordinary congestion for a black hole.
    public var pathMTUBlackHoleTimeouts: Int = 3
    /// How long a finished search waits before it probes upward again (RFC 4821 §7.7: 10
    /// minutes; Linux's tcp_probe_interval).
    public var pathMTUProbeInterval: Duration = .seconds(600)
    /// Per-connection options every new connection starts with (see `ConnectionOptions`).
    public var connectionOptions = ConnectionOptions()
    /// TCP Fast Open (RFC 7413; TCPStack+FastOpen.swift): off by default. The stack's copy,
    /// `TCPStack.fastOpen`, may change while it runs.
    public var fastOpen = FastOpenSettings()
    /// Directed-broadcast addresses of the interfaces (e.g. 198.18.0.255 for 198.18.0.0/24): a
    /// connection to one is refused and a segment from or to one discarded, like the limited
    /// broadcast and multicast addresses (RFC 9293 MUST-46, MUST-57, MUST-63). Empty by default:
    /// the engine does not know the interfaces' prefixes.
    public var directedBroadcasts: [IPAddress] = []
    /// Which data segments carry PSH (RFC 9293 §3.9.1 leaves it to the implementation):
    /// `.queueEnd` (default) the one that empties the send queue; `.linux` also the last of each
    /// multi-segment packet, as Linux's transmit path does (`TCPConfiguration.linux`).
    public var pushPolicy: PushPolicy = .queueEnd
    /// The default of `ConnectionOptions.notSentLowat` (Linux's net.ipv4.tcp_notsent_lowat);
    /// nil: no limit on unsent bytes (Linux's default, UINT_MAX).
    public var notSentLowat: Int? = nil
    /// How the send buffer's fill is counted: `.bytes` (default) data only; `.linuxTruesize` as
    /// Linux counts skb memory, with its write sizes and wake-ups (TCPStack+SendBufferAccounting.swift).
    /// The Linux profile sets it.
    public var sendBufferAccounting: SendBufferAccounting = .bytes
    /// When reading opens the receive window, a window update goes out if the right edge can
    /// move by min(RCV.BUFF / 2, MSS) (false: RFC 9293 §3.8.6.2.2's receiver SWS rule, RFC 1122
    /// §4.2.3.3), or (true, as Linux's tcp_cleanup_rbuf) only when the window left is at most half
    /// the largest and the new one at least twice the window left; otherwise the next ACK carries
    /// it. The Linux profile turns it on.
    public var windowUpdateWhenDoubled: Bool = false
    /// Linux's interactive ("ping-pong") delayed ACKs: once the connection sends data within
    /// `delayedACKTimeout` of the last data it received, received data waits for the delayed-ACK
    /// timer (or a reply that carries the ACK) even in quick-ACK mode, until the timer has to
    /// send an ACK on its own or old data arrives again (inet_csk_in_pingpong_mode;
    /// TCPStack+InteractiveACK.swift). The Linux profile turns it on.
    public var interactiveDelayedACKs: Bool = false
    /// A synchronized connection reset by the peer while it waits in the accept queue stays
    /// there, CLOSED, with the data it received: accept() returns it, reads give that data, then
    /// the error (Linux: tcp_done leaves a child nobody accepted yet in the queue). False: as RFC
    /// 9293 §3.10.7.4 says for a RST, its queues are flushed and it is gone. (A Fast Open child
    /// reset in SYN-RECEIVED always stays, as Linux's.) The Linux profile turns it on.
    public var resetChildStaysQueued: Bool = false
    /// In SYN-SENT, a SYN-ACK whose TSecr is not a TSval we sent since our first SYN (older than
    /// that SYN, or from the future) is answered with <SEQ=SEG.ACK><CTL=RST> and dropped, and
    /// the connection keeps waiting (Linux's PAWS check for an active open,
    /// LINUX_MIB_PAWSACTIVEREJECTED; TCPStack+SYNACKTimestamp.swift). RFC 7323 asks no such
    /// check. The Linux profile turns it on.
    public var synACKTimestampCheck: Bool = false
    /// When the SYN retries run out, the connection goes without a RST (Linux's tcp_write_err;
    /// RFC 9293's ABORT in SYN-SENT, §3.10.5, sends none either). False: a best-effort RST, so
    /// that a peer that did get a SYN keeps no half-open connection. The Linux profile turns it on.
    public var silentSYNTimeout: Bool = false
    /// In a simultaneous open, the peer's SYN-ACK that completes it carries a SYN that is old (at
    /// IRS): an ACK answers it, with a D-SACK block for it when SACK is on (Linux: tcp_data_queue
    /// takes it for a duplicate). False: none, as RFC 9293 Figure 8 shows. The Linux profile turns it on.
    public var simultaneousOpenACK: Bool = false
    /// Keep `TraceRecord`s for `pollTrace` (off: nothing is recorded or allocated).
    /// CVE-2019-11479 (low-MSS resource use): the smallest send MSS a peer's MSS option can
    /// impose, IPv4 and IPv6. A smaller option is raised to it (as Linux's tcp_min_snd_mss;
    /// RFC 9293 §3.7.1's defaults 536 and 1220 here, as the issue asks); our own MTU and route
    /// still cap the result. The Linux profile keeps Linux's 48 (tcp_min_snd_mss).
    public var minimumPeerMSS: Int = 536
    public var minimumPeerMSSv6: Int = 1220
    /// CVE-2019-11477/11478 (SACK Panic, SACK slowness): at most this many scoreboard records per
    /// connection, however a peer's SACK blocks fragment it. A block edge that would split a
    /// record past the cap is not applied (the record stays unSACKed and is resent if lost;
    /// `TCPStatistics.sackScoreboardLimitHits`), so work per ACK stays linear in the cap.
    public var sackScoreboardLimit: Int = 8192
    public var trace: Bool = false

    public init() {}

    /// The MSS we announce for a connection of this IP version.
    public func announcedMSS(ipv6: Bool) -> Int {
        if let mss { return mss }
        return mtu - (ipv6 ? 60 : 40)
    }
}
