/// Presets that make the engine behave as another stack does by default, where the RFCs leave a
/// choice (RTO bounds, buffers, retry counts, time-wait, closed ports...). A packetdrill script
/// written for Linux or FreeBSD depends on those defaults; a library user who wants TCPKit to look
/// like one of them on the wire picks the same preset:
///
/// ```swift
/// var c = TCPConfiguration(profile: .linux)
/// c.mss = 1400                         // then change what you need
/// ```
///
/// The table of what each preset sets, with each OS's setting name, is in docs/settings.md.
extension TCPConfiguration {
    /// Whose defaults a configuration starts from.
    public enum Profile: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// TCPKit's own defaults (`TCPConfiguration()`): the RFCs, and Linux where they leave a choice.
        case tcpkit
        /// Linux's defaults (a 6.x kernel with its out-of-the-box sysctls).
        case linux
        /// FreeBSD's defaults (14.x, the default `freebsd` TCP stack).
        case freeBSD = "freebsd"

        public var description: String { rawValue }
    }

    /// A configuration with `profile`'s defaults.
    public init(profile: Profile) {
        self.init()
        switch profile {
        case .tcpkit:
            break
        case .linux:
            self = .linux
        case .freeBSD:
            self = .freeBSD
        }
    }

    /// Linux's defaults, where they differ from TCPKit's:
    /// - RTO: TCP_RTO_MIN 200 ms (RFC 6298 §2.4 allows it as a "MAY"), TCP_RTO_MAX 120 s; the
    ///   minimum bounds the variance term, RTO = SRTT + max(4·RTTVAR, 200 ms) (`rtoMinBoundsVariance`);
    /// - buffers: tcp_rmem "4096 131072 6291456", tcp_wmem "4096 16384 4194304", both auto-tuned
    ///   (tcp_moderate_rcvbuf 1); the window scale follows from tcp_rmem[2] (a shift of 7);
    /// - tcp_syn_retries 6, tcp_synack_retries 5, tcp_retries2 15;
    /// - tcp_rfc1337 0: an RST in TIME-WAIT ends it;
    /// - tcp_mtu_probing 0 (the kernel's default);
    /// - segments without timestamps are accepted on a timestamp connection;
    /// - tcp_frto 2: F-RTO and timestamp undo of a spurious timeout (`forwardRTORecovery`);
    /// - ip_local_port_range 32768 60999;
    /// - no RFC 6675 rescue retransmission (`sackRescueRetransmission`).
    /// - PSH placed as Linux's transmit path places it (`pushPolicy = .linux`, TCPStack+Push.swift);
    /// - a read sends a window update only when the window at least doubles (`windowUpdateWhenDoubled`);
    /// - cwnd grows by every segment an ACK newly delivers, without RFC 3465's per-ACK limit
    ///   (`windowGrowth = .delivered`, tcp_slow_start);
    /// - a SACK block marks whole segments only (`sackWholeSegments`, tcp_match_skb_to_sack);
    /// - the restart after idle is decided when the application writes (`idleRestartAtWrite`);
    /// - PRR's extra segment only on an ACK that advances SND.UNA without new losses (`prrSafeACK`);
    /// - an ACK of unsent data is discarded silently, TS.Recent unchanged (`discardACKOfUnsentData`);
    /// - a lone FIN gets a tail loss probe like data (`tailLossProbeForFIN`);
    /// - data after close is answered with <SEQ=SEG.ACK><CTL=RST> (`resetDataAfterCloseAsReply`);
    /// - MTU probing over IPv6 searches from `tcp_base_mss` too, below 1280 (`pathMTUProbeIPv6Floor`);
    /// - interactive (ping-pong) delayed ACKs after a reply within the ACK timeout (`interactiveDelayedACKs`);
    /// - a connection reset before accept() stays in the accept queue with its data (`resetChildStaysQueued`);
    /// - a SYN-ACK echoing a timestamp we did not send is refused with a RST (`synACKTimestampCheck`);
    /// - no RST when the SYN retries run out (`silentSYNTimeout`);
    /// - the SYN-ACK completing a simultaneous open is answered with an ACK (`simultaneousOpenACK`);
    /// - send-buffer memory counted per skb, with Linux's write sizes and wake-ups (`sendBufferAccounting`);
    /// - classic HyStart with ACK-train and delay detection (hystart_detect 3) rather than
    ///   HyStart++ (`hyStartVariant`);
    /// - at most one challenge ACK or ACK to an out-of-window segment without text per connection
    ///   per 500 ms (tcp_invalid_ratelimit, `invalidSegmentACKInterval`), against CVE-2016-5696.
    ///   Linux also redraws its stack-wide budget every second; the profile keeps it exact so that
    ///   scripts setting tcp_challenge_ack_limit see the budget they set (`challengeACKLimitRandomized`
    ///   turns the redraw on).
    /// The rest (IW 10, delayed-ACK minimum 40 ms and quick-ACK, SACK, D-SACK, RACK and TLP, CUBIC
    /// with HyStart, PRR, SYN cookies when the queue is full) is TCPKit's default already.
    public static var linux: TCPConfiguration {
        var c = TCPConfiguration()
        c.rtoMin = .milliseconds(200)
        c.rtoMax = .seconds(120)
        c.receiveBuffer = .autoTuned(initial: 131_072, maximum: 6_291_456)
        c.sendBuffer = .autoTuned(initial: 16_384, maximum: 4_194_304)
        c.synRetries = 6
        c.synAckRetries = 5
        c.dataRetries = 15
        c.ignoreRSTInTimeWait = false
        c.pathMTUProbing = .off
        c.pushPolicy = .linux
        c.windowUpdateWhenDoubled = true
        c.pathMTUProbeIPv6Floor = false
        c.discardACKOfUnsentData = true
        c.tailLossProbeForFIN = true
        c.resetDataAfterCloseAsReply = true
        c.interactiveDelayedACKs = true
        c.resetChildStaysQueued = true
        c.synACKTimestampCheck = true
        c.silentSYNTimeout = true
        c.simultaneousOpenACK = true
        c.tolerateMissingTimestamps = true
        c.forwardRTORecovery = true
        c.ephemeralPorts = 32768...60999
        c.sackRescueRetransmission = false
        c.windowGrowth = .delivered
        c.rtoMinBoundsVariance = true
        c.sackWholeSegments = true
        c.idleRestartAtWrite = true
        c.prrSafeACK = true
        c.sendBufferAccounting = .linuxTruesize
        c.hyStartVariant = .classic(ackTrain: true, delay: true)
        c.invalidSegmentACKInterval = .milliseconds(500)
        c.minimumPeerMSS = 48; c.minimumPeerMSSv6 = 48   // tcp_min_snd_mss
        return c
    }

    /// FreeBSD's defaults, where they differ from TCPKit's:
    /// - RTO: net.inet.tcp.rexmit_min 30 ms, TCPTV_REXMTMAX 64 s; TCP_MAXRXTSHIFT 12 data
    ///   retransmissions; net.inet.tcp.syncache.rexmtlimit 3 SYN-ACK retransmissions;
    /// - buffers: net.inet.tcp.recvspace 65536 and sendspace 32768, auto-tuned up to
    ///   recvbuf_max and sendbuf_max (2 MiB), which kern.ipc.maxsockbuf (2 MiB) also bounds: the
    ///   window scale in a SYN is 6; once established the receive buffer is rounded up to whole
    ///   segments (`receiveBufferRoundedToMSS`);
    /// - delayed ACKs from the first segment (no quick-ACK mode), delacktime 40 ms;
    /// - no RACK and no TLP (those belong to the `rack` stack, not the default one);
    /// - no packetization-layer MTU probing (net.inet.tcp.pmtud_blackhole_detection 0);
    /// - net.inet.ip.portrange 10000–65535.
    /// The rest (IW 10, SACK, CUBIC with HyStart++, PRR, RFC 5961, RST in TIME-WAIT ignored,
    /// segments without timestamps dropped, SYN cookies when the syncache overflows) is TCPKit's
    /// default already.
    public static var freeBSD: TCPConfiguration {
        var c = TCPConfiguration()
        c.rtoMin = .milliseconds(30)
        c.rtoMax = .seconds(64)
        c.dataRetries = 12
        c.synAckRetries = 3
        c.receiveBuffer = .autoTuned(initial: 65_536, maximum: 2_097_152)
        c.sendBuffer = .autoTuned(initial: 32_768, maximum: 2_097_152)
        c.receiveBufferRoundedToMSS = true
        c.quickACKSegments = 0
        c.rack = false
        c.tailLossProbe = false
        c.pathMTUProbing = .off
        c.ephemeralPorts = 10000...65535
        c.minimumPeerMSS = 216; c.minimumPeerMSSv6 = 216   // net.inet.tcp.minmss
        return c
    }
}
