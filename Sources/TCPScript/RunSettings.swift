import TCPCore
import TCPWire

/// Everything a script sets about its run: packetdrill's command-line options (given as `--name`
/// lines at the head of the script) and the system settings its shell lines change, mapped onto
/// a `TCPConfiguration`.
public struct RunSettings: Sendable {
    /// The engine's defaults, except fixed 64 KiB buffers and the IPv4 peer-MSS floor for IPv6
    /// too: the conformance scripts were written for
    /// them (their SYNs show the window scale a 64 KiB buffer needs), as if tcp_moderate_rcvbuf were
    /// 0. A script that sets tcp_rmem/tcp_wmem, recvspace/sendspace or SO_RCVBUF gets its own sizes;
    /// tcp_moderate_rcvbuf=1 (FreeBSD: recvbuf_auto, sendbuf_auto) turns auto-tuning on, and
    /// SO_RCVBUF/SO_SNDBUF turn it off again for good, as on Linux.
    public var configuration: TCPConfiguration = {
        var c = TCPConfiguration()
        c.receiveBufferBytes = 64 * 1024
        c.sendBufferBytes = 64 * 1024
        // The IPv6 scripts are the IPv4 ones over IPv6, their peers announcing MSS 700 or 1000:
        // the peer-MSS floor (CVE-2019-11479) is IPv4's 536 for both families here.
        c.minimumPeerMSSv6 = c.minimumPeerMSS
        return c
    }()
    /// Buffer auto-tuning as the script's sysctls ask, and the maxima they give (tcp_rmem[2],
    /// tcp_wmem[2]; FreeBSD's recvbuf_max, sendbuf_max); nil: the engine's.
    var receiveAutoTuning = false
    var sendAutoTuning = false
    var receiveMaximum: Int?
    var sendMaximum: Int?
    public var ipv6 = false
    /// packetdrill's `--tolerance_usecs` (default 4 ms).
    public var toleranceMicros: Int64 = 4000
    /// packetdrill's `--tolerance_percent`: the tolerance grows with the time since the previous event.
    public var tolerancePercent: Double = 0
    public var localIP = IPAddress.v4(IPv4Address(192, 168, 0, 1))
    public var remoteIP = IPAddress.v4(IPv4Address(192, 0, 2, 1))
    /// packetdrill's `--bind_port` and `--connect_port` (both 8080).
    public var bindPort: UInt16 = 8080
    public var connectPort: UInt16 = 8080
    /// packetdrill's `--strict_segments`: no aggregation of outbound segments.
    public var strictSegments = false
    /// The script set the receive buffer (SO_RCVBUF, tcp_rmem, recvspace): windows are then
    /// comparable and checked.
    public var receiveBufferSet = false
    /// FreeBSD's `net.inet.tcp.syncookies` and `syncookies_only`, which decide the cookie mode together.
    var freeBSDCookies = true
    var freeBSDCookiesOnly = false
    /// What was ignored or recorded but not applied.
    public var notes: [String] = []
    /// Whose defaults the run started from (RunSettings+Profile.swift).
    public var profile: TCPConfiguration.Profile = .tcpkit
    /// The directory of the script (packetdrill runs its commands from there): script files the
    /// commands name are found from it.
    public var scriptDirectory: String?
    /// Every setting name the script's commands set, in order (the profile is chosen from them).
    var settingNames: [String] = []
    /// FreeBSD's kern.ipc.maxsockbuf: no socket buffer grows past it, and the window scale of a
    /// SYN is chosen for it (nil: the profile's).
    var maxSocketBuffer: Int?
    /// Settings TCPKit honours as long as the behaviour they change does not come into play
    /// (RunSettings+Profile.swift).
    var conditionalFeatures: [ConditionalFeature] = []
    /// TCP Fast Open as the sysctls set it (`TCPStack.fastOpen`, changeable while connections
    /// exist, like the sysctl); Linux's default `tcp_fastopen = 1`: the client side on.
    public var fastOpen = FastOpenSettings(linuxFlags: 1)
    /// packetdrill's `--mss`: an inbound packet with more payload than this arrives as one
    /// coalesced (GRO) packet of segments this size (`TCPStack.handle(coalescedPacket:...)`).
    public var inboundSegmentSize: Int?
    /// Files the script's shell commands made (`dd if=/dev/zero of=PATH`), by path: their size in
    /// bytes, all zeroes (what packetdrill's payloads are). RunSettings+Shell.swift, Run+Files.swift.
    public var files: [String: Int] = [:]
    /// `ip route change DEST ...`: per-destination route metrics (`TCPStack.setRouteMetrics`),
    /// which may change while connections exist, as a route does.
    public var routes: [IPAddress: RouteMetrics] = [:]
    /// `ip tcp_metrics flush` lines run so far: each empties the client's cookie cache.
    var fastOpenCacheFlushes = 0

    public init() {}

    public static let defaultLocalIPv6 = IPAddress("fd3d:fa7b:d17d::1")!
    public static let defaultRemoteIPv6 = IPAddress("2001:db8::1")!

    /// Applies the script's `--name=value` lines. Returns the line and the reason when one makes
    /// the script impossible to run as written.
    mutating func apply(options: [ScriptOption]) -> (line: Int, reason: String)? {
        var failedLine = 0
        for o in options {
            failedLine = o.line
            if let why = apply(option: o) { return (failedLine, why) }
        }
        if ipv6 {
            if !localGiven { localIP = Self.defaultLocalIPv6 }
            if !remoteGiven { remoteIP = Self.defaultRemoteIPv6 }
        }
        guard localIP.isIPv6 == ipv6, remoteIP.isIPv6 == ipv6 else {
            return (options.first?.line ?? 0, "--local_ip/--remote_ip do not match --ip_version")
        }
        return nil
    }

    var localGiven = false
    var remoteGiven = false

    mutating func apply(option o: ScriptOption) -> String? {
        let v = o.value ?? ""
        switch o.name {
        case "ip_version":
            switch v {
            case "ipv4": ipv6 = false
            case "ipv6": ipv6 = true
            case "ipv4-mapped-ipv6":
                ipv6 = false
                notes.append("--ip_version=ipv4-mapped-ipv6: run as IPv4 on the wire")
            default: return "bad --ip_version: \(v)"
            }
        case "tolerance_usecs":
            guard let n = Int64(v), n > 0 else { return "bad --tolerance_usecs: \(v)" }
            toleranceMicros = n
        case "tolerance_percent":
            guard let n = Double(v), n >= 0 else { return "bad --tolerance_percent: \(v)" }
            tolerancePercent = n
        case "mss":
            guard let n = Int(v), n > 0, n <= 65535 else { return "bad --mss: \(v)" }
            // packetdrill's --mss is the segment size of the inbound packets it cooks as GSO
            // packets (a TUN device's virtio-net header gso_size), not the stack's MSS.
            inboundSegmentSize = n
        case "mtu":
            guard let n = Int(v), n >= 576, n <= 65535 else { return "bad --mtu: \(v)" }
            configuration.mtu = n
        case "bind_port":
            guard let n = UInt16(v), n > 0 else { return "bad --bind_port: \(v)" }
            bindPort = n
        case "connect_port":
            guard let n = UInt16(v), n > 0 else { return "bad --connect_port: \(v)" }
            connectPort = n
        case "local_ip", "remote_ip":
            let text = v.split(separator: "/").first.map(String.init) ?? v
            guard let a = IPAddress(text) else { return "bad --\(o.name): \(v)" }
            if o.name == "local_ip" { localIP = a; localGiven = true } else { remoteIP = a; remoteGiven = true }
        case "strict_segments":
            strictSegments = true
        case "define":   // read by the lexer (ScriptParser.parse)
            break
        case "profile":   // TCPKit's: whose defaults the run starts from (read before the options)
            guard TCPConfiguration.Profile(rawValue: v) != nil else { return "bad --profile: \(v) (linux, freebsd or tcpkit)" }
        default:
            notes.append("option --\(o.name)\(o.value.map { "=" + $0 } ?? "") ignored")
        }
        return nil
    }

    // MARK: Shell lines

    /// What became of a shell line.
    enum ShellOutcome: Equatable {
        /// Every command in it was understood (applied, or recorded in `notes`).
        case applied
        case unsupported(String)
        /// The command ran and exited non-zero: packetdrill fails the script.
        case failed(String)
    }

    /// A feature the engine does not implement: setting it to the engine's own behaviour (off) is
    /// a no-op; any other value asks for behaviour the engine lacks, so the script is UNSUPPORTED
    /// (never a silent pass).
    /// The buffers' sizing from the sysctls seen so far: the size each starts at, auto-tuned up to
    /// its maximum when auto-tuning is on.
    mutating func applyBufferSizing() {
        let engine = TCPConfiguration()
        let r = configuration.receiveBuffer.initial, w = configuration.sendBuffer.initial
        let cap = maxSocketBuffer ?? Int.max   // FreeBSD's kern.ipc.maxsockbuf
        configuration.receiveBuffer = receiveAutoTuning
            ? .autoTuned(initial: r, maximum: min(receiveMaximum ?? engine.receiveBuffer.maximum, cap)) : .fixed(r)
        configuration.sendBuffer = sendAutoTuning
            ? .autoTuned(initial: w, maximum: min(sendMaximum ?? engine.sendBuffer.maximum, cap)) : .fixed(w)
    }

    mutating func feature(_ name: String, _ value: String, engineValue: Int64, _ what: String) -> ShellOutcome {
        guard let v = Int64(value) else { return .unsupported("\(name)=\(value): not a number") }
        if v != engineValue {
            return .unsupported("\(name)=\(value): \(what) is not implemented in the engine")
        }
        return .applied
    }

    mutating func set(_ rawName: String, _ value: String) -> ShellOutcome {
        let name = rawName
        let v = value.trimmingSpaces
        func int() -> Int64? { Int64(v) }
        func ints() -> [Int64]? {
            let parts = v.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { Int64($0) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
            return parts.map { $0! }
        }
        func bad() -> ShellOutcome { .unsupported("\(name)=\(value): value not understood") }
        switch name {
        // Linux
        case "net.ipv4.tcp_sack":
            guard let n = int() else { return bad() }
            configuration.sack = n != 0
        case "net.ipv4.tcp_dsack":
            guard let n = int() else { return bad() }
            configuration.dsack = n != 0
        case "net.ipv4.tcp_timestamps":
            // Linux: 0 off, 1 on (random per-connection offset), 2 on without the offset; TCPKit
            // always adds its per-connection offset.
            guard let n = int(), (0...2).contains(n) else { return bad() }
            configuration.timestamps = n != 0
            if n == 2 { notes.append("\(name)=2: timestamps on; TCPKit always adds a per-connection offset") }
        case "net.ipv4.tcp_window_scaling":
            guard let n = int() else { return bad() }
            configuration.windowScaling = n != 0
        case "net.ipv4.tcp_syncookies":
            // 0 never, 1 when the listener's SYN queue overflows (Linux's default), 2 always.
            guard let n = int(), (0...2).contains(n) else { return bad() }
            configuration.synCookies = n == 0 ? .never : n == 1 ? .whenQueueFull : .always
        // ECN (RFC 3168; TCPConfiguration.ecn). Linux tcp_ecn: 0 off, 1 request and accept, 2 accept
        // only; 3 and up ask for Accurate ECN. FreeBSD ecn.enable: 0 off, 1 request and accept, 2
        // accept only; 3 and 4 Accurate ECN.
        case "net.ipv4.tcp_ecn", "net.inet.tcp.ecn.enable":
            guard let n = int(), n >= 0 else { return bad() }
            guard n <= 2 else { return .unsupported("\(name)=\(v): Accurate ECN is not implemented in the engine") }
            configuration.ecn = n == 0 ? .off : n == 1 ? .on : .acceptOnly
        case "net.ipv4.tcp_ecn_option", "net.ipv4.tcp_ecn_option_beacon":
            // The AccECN option: no effect without Accurate ECN, which is never on.
            guard int() != nil else { return bad() }
        case "net.ipv4.tcp_ecn_fallback":
            guard let n = int() else { return bad() }
            configuration.ecnSetupRetransmissions = n != 0 ? 0 : nil
        case "net.inet.tcp.ecn.maxretries":
            guard let n = int(), n >= 0 else { return bad() }
            configuration.ecnSetupRetransmissions = Int(n)
        // TCP Fast Open (RFC 7413; RunSettings+FastOpen.swift)
        case "net.ipv4.tcp_fastopen", "net.ipv4.tcp_fastopen_key", "net.ipv4.tcp_fastopen_blackhole_timeout_sec",
             "net.ipv4.tcp_fastopen_cookies", "net.inet.tcp.fastopen.server_enable", "net.inet.tcp.fastopen.client_enable":
            return setFastOpen(name, v)
        case "net.ipv4.tcp_moderate_rcvbuf", "net.inet.tcp.recvbuf_auto":
            guard let n = int() else { return bad() }
            receiveAutoTuning = n != 0
            applyBufferSizing()
        case "net.inet.tcp.sendbuf_auto":
            guard let n = int() else { return bad() }
            sendAutoTuning = n != 0
            applyBufferSizing()
        case "net.inet.tcp.recvbuf_max", "net.inet.tcp.sendbuf_max":
            guard let n = int(), n > 0, n <= 1 << 30 else { return bad() }
            if name.hasPrefix("net.inet.tcp.recv") { receiveMaximum = Int(n) } else { sendMaximum = Int(n) }
            applyBufferSizing()
        case "net.ipv4.tcp_no_metrics_save": return feature(name, v, engineValue: 1, "the metrics cache")
        case "net.ipv4.tcp_early_retrans":
            // Linux: 0 and 1 no TLP, 2 delayed early retransmit (gone from Linux), 3 and 4 TLP.
            guard let n = int(), n >= 0, n <= 4 else { return bad() }
            configuration.tailLossProbe = n >= 3
            if n == 1 || n == 2 { notes.append("\(name)=\(v): RFC 5827 early retransmit is not implemented (RACK covers it); TLP off") }
        case "net.ipv4.tcp_recovery":
            // Bit 0x1: RACK loss detection. Bits 0x2 (static reordering window) and 0x4 (no
            // reordering window) are recorded, not applied.
            guard let n = int(), n >= 0 else { return bad() }
            configuration.rack = n & 1 != 0
            if n & ~1 != 0 { notes.append("\(name)=\(v): only bit 0x1 (RACK) is applied; the reordering-window bits are recorded, not applied") }
        case "net.ipv4.tcp_frto":
            // 0 off; 1 and 2 F-RTO (Linux has run its one SACK-aware variant for both since 3.10).
            guard let n = int() else { return bad() }
            configuration.forwardRTORecovery = n != 0
        case "net.ipv4.tcp_autocorking": return feature(name, v, engineValue: 0, "autocorking")
        case "net.ipv4.tcp_mtu_probing":
            // RFC 4821: 0 off, 1 after a black hole is detected, 2 always.
            guard let n = int(), (0...2).contains(n) else { return bad() }
            configuration.pathMTUProbing = n == 0 ? .off : n == 1 ? .afterBlackHole : .always
        case "net.ipv4.tcp_slow_start_after_idle":
            guard let n = int() else { return bad() }
            configuration.slowStartAfterIdle = n != 0
        case "net.ipv4.tcp_congestion_control":
            return congestionControl(name, v)
        case "net.ipv4.tcp_tw_reuse": return feature(name, v, engineValue: 0, "TIME-WAIT reuse for outgoing connections")
        case "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem":
            // "min default max": the size a buffer starts at, and the most auto-tuning grows it to.
            guard let xs = ints(), let size = xs.count >= 2 ? xs[1] : xs.first, size > 0, size <= 1 << 30 else { return bad() }
            let most = xs.count >= 3 ? Int(min(max(xs[2], size), 1 << 30)) : nil
            if name.hasSuffix("rmem") {
                configuration.receiveBufferBytes = Int(size)
                if let most { receiveMaximum = most }
                receiveBufferSet = true
            } else {
                configuration.sendBufferBytes = Int(size)
                if let most { sendMaximum = most }
            }
            applyBufferSizing()
        case "net.ipv4.tcp_syn_retries":
            guard let n = int(), n >= 0, n <= 255 else { return bad() }
            configuration.synRetries = Int(n)
        case "net.ipv4.tcp_synack_retries":
            guard let n = int(), n >= 0, n <= 255 else { return bad() }
            configuration.synAckRetries = Int(n)
        case "net.ipv4.tcp_retries1":   // R1 (RFC 9293 §3.8.3); the engine uses at least 3
            guard let n = int(), n >= 0, n <= 255 else { return bad() }
            configuration.retransmissionThreshold = Int(n)
        case "net.ipv4.tcp_retries2":
            guard let n = int(), n >= 0, n <= 255 else { return bad() }
            configuration.dataRetries = Int(n)
        case "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl":   // seconds
            guard let n = int(), n >= 1, n <= 32767 else { return bad() }
            if name.hasSuffix("time") { configuration.connectionOptions.keepAliveIdle = .seconds(n) } else { configuration.connectionOptions.keepAliveInterval = .seconds(n) }
        case "net.ipv4.tcp_keepalive_probes":
            guard let n = int(), n >= 1, n <= 127 else { return bad() }
            configuration.connectionOptions.keepAliveCount = Int(n)
        case "net.ipv4.tcp_fin_timeout":
            guard let n = int(), n >= 0, n <= 86400 else { return bad() }
            configuration.finWait2Timeout = .seconds(n)
        case "net.ipv4.tcp_rfc1337":
            guard let n = int() else { return bad() }
            configuration.ignoreRSTInTimeWait = n != 0
        case "net.ipv4.tcp_challenge_ack_limit":
            guard let n = int(), n >= 0, n <= Int64(Int32.max) else { return bad() }
            configuration.challengeACKLimit = Int(n)
        case "net.ipv4.tcp_invalid_ratelimit":   // ms; RFC 5961 §10 (TCPStack+InvalidSegmentRateLimit.swift)
            guard let n = int(), n >= 0, n <= Int64(Int32.max) else { return bad() }
            configuration.invalidSegmentACKInterval = .milliseconds(n)
        case "net.ipv4.ip_local_port_range":
            guard let xs = ints(), xs.count == 2, xs[0] >= 1, xs[0] <= xs[1], xs[1] <= 65535 else { return bad() }
            configuration.ephemeralPorts = UInt16(xs[0])...UInt16(xs[1])
        // FreeBSD
        case "net.inet.tcp.sack.enable":
            guard let n = int() else { return bad() }
            configuration.sack = n != 0
        case "net.inet.tcp.rfc1323":
            // FreeBSD: 0 neither, 1 both, 2 window scaling only, 3 timestamps only.
            guard let n = int(), (0...3).contains(n) else { return bad() }
            configuration.windowScaling = n == 1 || n == 2
            configuration.timestamps = n == 1 || n == 3
        case "net.inet.tcp.syncookies", "net.inet.tcp.syncookies_only":
            // FreeBSD: syncookies (default 1) when the syncache overflows; syncookies_only (default
            // 0) for every SYN, in effect only while syncookies is 1 (syncache_cookiesonly()).
            guard let n = int(), n == 0 || n == 1 else { return bad() }
            if name.hasSuffix("only") { freeBSDCookiesOnly = n == 1 } else { freeBSDCookies = n == 1 }
            configuration.synCookies = !freeBSDCookies ? .never : freeBSDCookiesOnly ? .always : .whenQueueFull
        case "net.inet.tcp.delayed_ack":
            guard let n = int() else { return bad() }
            configuration.delayedACK = n != 0
        case "net.inet.tcp.delacktime":
            guard let n = int(), n >= 1, n < 500 else { return bad() }   // RFC 9293 §3.8.6.3: under 0.5 s
            configuration.delayedACKTimeout = .milliseconds(n)
        case "net.inet.tcp.keepidle", "net.inet.tcp.keepintvl":   // milliseconds
            guard let n = int(), n >= 1, n <= 3_600_000_000 else { return bad() }
            if name.hasSuffix("keepidle") { configuration.connectionOptions.keepAliveIdle = .milliseconds(n) } else { configuration.connectionOptions.keepAliveInterval = .milliseconds(n) }
        case "net.inet.tcp.keepcnt":
            guard let n = int(), n >= 1, n <= 255 else { return bad() }
            configuration.connectionOptions.keepAliveCount = Int(n)
        case "net.inet.tcp.always_keepalive":
            guard let n = int() else { return bad() }
            configuration.connectionOptions.keepAlive = n != 0
        case "net.inet.tcp.tolerate_missing_ts":
            guard let n = int() else { return bad() }
            configuration.tolerateMissingTimestamps = n != 0
        case "net.inet.tcp.blackhole":
            // FreeBSD: 0 answers every segment to a closed port with RST; 1 not a SYN; 2 none.
            guard let n = int(), (0...2).contains(n) else { return bad() }
            configuration.closedPortResets = n == 0 ? .all : n == 1 ? .exceptSYN : .none
        case "net.inet.tcp.functions_default":
            notes.append("\(name)=\(v): TCPKit has one TCP stack; recorded, not applied")
        case "net.inet.tcp.cc.algorithm":
            return congestionControl(name, v)
        case "net.inet.tcp.initcwnd_segments":
            // FreeBSD: 0 means RFC 3390's formula; TCPKit then keeps RFC 6928's (its default).
            guard let n = int(), n >= 0, n <= 1000 else { return bad() }
            configuration.initialWindowSegments = n == 0 ? nil : Int(n)
        case "net.inet.tcp.insecure_rst", "net.inet.tcp.insecure_syn", "net.inet.tcp.insecure_ack":
            // FreeBSD turns RFC 5961's defences off one by one: insecure_rst the RST check (§3),
            // insecure_syn the SYN check (§4), insecure_ack the ACK acceptability test (§5).
            guard let n = int() else { return bad() }
            switch name.split(separator: "_").last {
            case "rst": configuration.rfc5961RST = n == 0
            case "syn": configuration.rfc5961SYN = n == 0
            default: configuration.rfc5961ACK = n == 0
            }
        case "net.inet.tcp.recvspace", "net.inet.tcp.sendspace":
            guard let n = int(), n > 0, n <= 1 << 30 else { return bad() }
            if name.hasSuffix("recvspace") {
                configuration.receiveBufferBytes = Int(n)
                receiveBufferSet = true
            } else {
                configuration.sendBufferBytes = Int(n)
            }
            applyBufferSizing()
        case "net.inet.tcp.msl":
            guard let n = int(), n > 0, n <= 3_600_000 else { return bad() }
            configuration.msl = .milliseconds(n)
        case "net.inet.tcp.rexmit_min":
            guard let n = int(), n > 0, n <= 3_600_000 else { return bad() }
            configuration.rtoMin = .milliseconds(n)
        case "net.inet.tcp.rexmit_initial":
            guard let n = int(), n > 0, n <= 3_600_000 else { return bad() }
            configuration.rtoInitial = .milliseconds(n)
        default:
            return setProfileSetting(name, v)
        }
        return .applied
    }
}

extension RunSettings {
    /// `net.ipv4.tcp_congestion_control` / `net.inet.tcp.cc.algorithm`: the algorithms the engine has.
    mutating func congestionControl(_ name: String, _ value: String) -> ShellOutcome {
        switch value.lowercased() {
        case "newreno", "reno": configuration.congestionControl = .newReno
        case "cubic": configuration.congestionControl = .cubic
        default: return .unsupported("\(name)=\(value): TCPKit has newreno and cubic only")
        }
        return .applied
    }
}

extension Substring {
    var replacingSlashes: String { String(map { $0 == "/" ? "." : $0 }) }
}
