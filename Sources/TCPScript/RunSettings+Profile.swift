import TCPCore

/// Profiles (whose defaults a run starts from) and the settings that are not plain switches of the
/// engine: ones whose behaviour TCPKit has anyway, ones it honours until the behaviour they
/// change comes into play, and FreeBSD's buffer limit. docs/settings.md has the table.
extension RunSettings {
    /// Settings from a profile's defaults. `.tcpkit` is the runner's own default: the engine's
    /// defaults with fixed 64 KiB buffers (see `configuration`). `.linux` and `.freeBSD` are
    /// `TCPConfiguration.linux` and `.freeBSD` as they are, buffer auto-tuning included.
    public init(profile: TCPConfiguration.Profile) {
        self.init()
        self.profile = profile
        guard profile != .tcpkit else { return }
        configuration = TCPConfiguration(profile: profile)
        receiveAutoTuning = configuration.receiveBuffer.isAutoTuned
        sendAutoTuning = configuration.sendBuffer.isAutoTuned
        receiveMaximum = configuration.receiveBuffer.maximum
        sendMaximum = configuration.sendBuffer.maximum
        if profile == .freeBSD { maxSocketBuffer = 2 * 1024 * 1024 }   // kern.ipc.maxsockbuf
    }

    /// The profile a script's own setting names ask for: Linux's `net.ipv4.*` / `net.core.*`
    /// names → `.linux`, FreeBSD's `net.inet.*` / `kern.ipc.*` → `.freeBSD`, none → `.tcpkit`.
    /// The first name decides when a script mixes them.
    static func profile(forSettings names: [String]) -> TCPConfiguration.Profile {
        for n in names {
            if n.hasPrefix("net.ipv4.") || n.hasPrefix("net.ipv6.") || n.hasPrefix("net.core.") { return .linux }
            if n.hasPrefix("net.inet.") || n.hasPrefix("net.inet6.") || n.hasPrefix("kern.ipc.") { return .freeBSD }
        }
        return .tcpkit
    }

    /// A setting honoured while the behaviour it changes does not come into play. If the script
    /// then fails and the behaviour did come into play, the run is UNSUPPORTED with `reason`
    /// (the difference may be the missing feature's), not FAIL.
    struct ConditionalFeature: Sendable, Equatable {
        enum Trigger: Sendable, Equatable {
            /// The run went on longer than this (a windowed filter would have forgotten).
            case runLongerThan(Duration)
        }
        var trigger: Trigger
        var reason: String
    }

    mutating func conditional(_ trigger: ConditionalFeature.Trigger, _ reason: String) {
        conditionalFeatures.removeAll { $0.trigger == trigger }
        conditionalFeatures.append(ConditionalFeature(trigger: trigger, reason: reason))
    }

    /// The settings `set` does not switch on directly (its `default:`).
    mutating func setProfileSetting(_ name: String, _ v: String) -> ShellOutcome {
        func int() -> Int64? { ShellCommandLine.integer(v) }
        func bad() -> ShellOutcome { .unsupported("\(name)=\(v): value not understood") }
        func honoured(_ why: String) -> ShellOutcome {
            notes.append("\(name)=\(v): \(why)")
            return .applied
        }
        switch name {
        // Linux
        case "net.ipv4.tcp_fack":
            guard int() != nil else { return bad() }
            return honoured("FACK was removed from Linux (4.15, replaced by RACK); the setting has no effect there either")
        case "net.ipv4.tcp_reordering":
            // The initial reordering degree: RFC 5681's DupThresh, fixed at 3 in TCPKit.
            guard let n = int(), n >= 1 else { return bad() }
            if n != 3 { return .unsupported("\(name)=\(v): a duplicate-ACK threshold other than 3 is not implemented in the engine") }
        case "net.ipv4.tcp_max_reordering":
            guard let n = int(), n >= 1 else { return bad() }
            return honoured("TCPKit does not raise its reordering degree from what it sees (RACK's window adapts instead); recorded")
        case "net.ipv4.tcp_min_rtt_wlen":
            // The window of the min-RTT filter (RACK's reordering window uses min RTT). TCPKit
            // keeps the minimum over the connection's life: the same while the run is shorter.
            guard let n = int(), n >= 0, n <= 86400 else { return bad() }
            if n == 0 { return .unsupported("\(name)=0: a min-RTT window of 0 (only the latest sample) is not implemented") }
            conditional(.runLongerThan(.seconds(n)), "\(name)=\(v): TCPKit keeps the minimum RTT over the connection's life, and the run lasted longer than the window")
        case "net.ipv4.tcp_pacing_ss_ratio", "net.ipv4.tcp_pacing_ca_ratio":
            guard let n = int(), n >= 0 else { return bad() }
            return honoured("a pacing-rate ratio: Linux paces only with the fq qdisc or BBR, TCPKit never; no effect")
        case "net.ipv4.tcp_notsent_lowat":
            // UINT_MAX (Linux's default) and -1 mean no limit on unsent bytes.
            guard let n = int() else { return bad() }
            configuration.notSentLowat = n > 0 && n < Int64(UInt32.max) ? Int(n) : nil   // TCPStack+NotSentLowat.swift
        case "net.ipv4.tcp_tso_win_divisor", "net.ipv4.tcp_min_tso_segs", "net.ipv4.tcp_tso_rtt_log", "net.ipv4.tcp_limit_output_bytes":
            guard int() != nil else { return bad() }
            return honoured("sizes TSO bursts or the qdisc queue; TCPKit's runner sends every segment as it is (no TSO): no effect")
        case "net.ipv4.tcp_base_mss":
            guard let n = int(), n >= 48, n <= 65535 else { return bad() }
            configuration.pathMTUProbeBaseMSS = Int(n)
        case "net.ipv4.tcp_min_snd_mss":   // CVE-2019-11479: Linux's floor for the peer's MSS, both families
            guard let n = int(), n >= 48, n <= 65535 else { return bad() }
            configuration.minimumPeerMSS = Int(n); configuration.minimumPeerMSSv6 = Int(n)
        case "net.ipv4.tcp_workaround_signed_windows":
            guard let n = int() else { return bad() }
            if n != 0 { return .unsupported("\(name)=\(v): windows limited to 32767 for peers without window scaling are not implemented") }
        case "net.core.rmem_max", "net.core.wmem_max":
            // The most SO_RCVBUF/SO_SNDBUF may ask; Linux also sizes the window scale for
            // max(tcp_rmem[2], rmem_max).
            guard let n = int(), n > 0 else { return bad() }
            if name.hasSuffix("rmem_max"), Int(n) > configuration.receiveBufferLimit {
                return .unsupported("\(name)=\(v): above the receive buffer's limit it would change the window scale; TCPKit sizes it for the buffer's limit")
            }
            return honoured("the cap on SO_RCVBUF/SO_SNDBUF; TCPKit's sockets take the size asked")
        // FreeBSD
        case "kern.ipc.maxsockbuf":
            guard let n = int(), n >= 65536, n <= 1 << 30 else { return bad() }
            maxSocketBuffer = Int(n)
            applyBufferSizing()
        case "net.inet.tcp.drop_synfin":
            guard let n = int() else { return bad() }
            configuration.dropSYNFIN = n != 0
        case "net.inet.tcp.hostcache.purgenow", "net.inet.tcp.hostcache.enable":
            guard int() != nil else { return bad() }
            return honoured("TCPKit keeps no host cache across connections (RTT, ssthresh); every run starts from a fresh stack")
        case "net.inet.tcp.syncache.rexmtlimit":
            guard let n = int(), n >= 0, n <= 255 else { return bad() }
            configuration.synAckRetries = Int(n)
        case "net.inet.tcp.pmtud_blackhole_detection":
            // 0 off; 1 IPv4 and IPv6, 2 IPv4 only, 3 IPv6 only: TCPKit detects for both.
            guard let n = int(), (0...3).contains(n) else { return bad() }
            configuration.pathMTUProbing = n == 0 ? .off : .afterBlackHole
            if n > 1 { notes.append("\(name)=\(v): black-hole detection for both IP versions") }
        case "net.inet.tcp.do_prr":
            guard let n = int() else { return bad() }
            configuration.proportionalRateReduction = n != 0
        case "net.inet.tcp.finwait2_timeout":   // milliseconds
            guard let n = int(), n >= 0, n <= 86_400_000 else { return bad() }
            configuration.finWait2Timeout = .milliseconds(n)
        case "net.inet.tcp.tso":
            guard int() != nil else { return bad() }
            return honoured("TCPKit's runner sends every segment as it is (no TSO): no effect")
        default:
            return .unsupported(Self.unknownSetting(name))
        }
        return .applied
    }
}
