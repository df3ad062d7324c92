import Testing
import TCPCore
import TCPWire
@testable import TCPScript

@Suite("Settings: option lines and shell lines")
struct SettingsTests {
    func options(_ text: String) -> (RunSettings, (line: Int, reason: String)?) {
        var s = RunSettings()
        let script = (try? ScriptParser.parse(text)) ?? Script()
        let why = s.apply(options: script.options)
        return (s, why)
    }

    @Test("--ip_version, --tolerance_usecs, --mss and the others")
    func optionLines() {
        let (s, why) = options("--ip_version=ipv6\n--tolerance_usecs=10000\n--mss=1000\n--mtu=9000\n--bind_port=80\n--connect_port=443\n--tcp_ts_tick_usecs=1000")
        #expect(why == nil)
        #expect(options("--mss=1000\n--tolerance_usecs=-5").1?.line == 2)
        #expect(s.ipv6 && s.localIP == RunSettings.defaultLocalIPv6 && s.remoteIP == RunSettings.defaultRemoteIPv6)
        #expect(s.toleranceMicros == 10000)
        #expect(s.inboundSegmentSize == 1000 && s.configuration.mss == nil && s.configuration.mtu == 9000)
        #expect(s.bindPort == 80 && s.connectPort == 443)
        #expect(s.notes == ["option --tcp_ts_tick_usecs=1000 ignored"])
    }

    @Test("IPv4 by default, at packetdrill's addresses")
    func defaults() {
        let (s, _) = options("")
        #expect(!s.ipv6)
        #expect(s.localIP == IPAddress("192.168.0.1") && s.remoteIP == IPAddress("192.0.2.1"))
        #expect(s.toleranceMicros == 4000)
        #expect(s.bindPort == 8080 && s.connectPort == 8080)
    }

    @Test("delayed-ACK and keep-alive sysctls (Linux and FreeBSD names) set the configuration")
    func timerSysctls() {
        var s = RunSettings()
        #expect(s.configuration.delayedACK && s.configuration.delayedACKTimeout == .milliseconds(40))
        #expect(s.apply(shell: "sysctl -q net.inet.tcp.delayed_ack=0 net.inet.tcp.delacktime=100") == .applied)
        #expect(!s.configuration.delayedACK && s.configuration.delayedACKTimeout == .milliseconds(100))
        #expect(s.apply(shell: "sysctl -q net.inet.tcp.delacktime=500") != .applied)   // MUST-40: under 0.5 s
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_keepalive_time=600 net.ipv4.tcp_keepalive_intvl=10 net.ipv4.tcp_keepalive_probes=4") == .applied)
        let o = s.configuration.connectionOptions
        #expect(!o.keepAlive && o.keepAliveIdle == .seconds(600) && o.keepAliveInterval == .seconds(10) && o.keepAliveCount == 4)
        #expect(s.apply(shell: "sysctl -q net.inet.tcp.always_keepalive=1 net.inet.tcp.keepidle=30000") == .applied)
        #expect(s.configuration.connectionOptions.keepAlive && s.configuration.connectionOptions.keepAliveIdle == .seconds(30))
        #expect(s.notes.isEmpty)
    }

    @Test("bad option values are reported", arguments: ["--ip_version=ipv5", "--tolerance_usecs=0", "--mss=abc", "--local_ip=1.2.3"])
    func badOptions(_ text: String) {
        #expect(options(text).1 != nil)
    }

    @Test("Linux sysctls map onto the configuration")
    func linux() {
        var s = RunSettings()
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_rmem=\"4096 20000 60000\"; sysctl -w net.ipv4.tcp_wmem='4096 30000 60000'") == .applied)
        #expect(s.configuration.receiveBufferBytes == 20000 && s.configuration.sendBufferBytes == 30000 && s.receiveBufferSet)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_syn_retries=3 net.ipv4.tcp_synack_retries=2 && sysctl -q net.ipv4.tcp_retries2=8") == .applied)
        #expect(s.configuration.synRetries == 3 && s.configuration.synAckRetries == 2 && s.configuration.dataRetries == 8)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_fin_timeout=10\nsysctl -q net.ipv4.tcp_rfc1337=0") == .applied)
        #expect(s.configuration.finWait2Timeout == .seconds(10) && !s.configuration.ignoreRSTInTimeWait)
        #expect(s.apply(shell: "echo 5 > /proc/sys/net/ipv4/tcp_challenge_ack_limit") == .applied)
        #expect(s.configuration.challengeACKLimit == 5)
        #expect(s.apply(shell: "sysctl -q net.ipv4.ip_local_port_range=\"40000 40010\"") == .applied)
        #expect(s.configuration.ephemeralPorts == 40000...40010)
        #expect(s.notes.isEmpty)
    }

    @Test("features the engine lacks: off is applied silently, on makes the script UNSUPPORTED with the reason")
    func missingFeatures() {
        var s = RunSettings()
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_sack=0; sysctl -q net.ipv4.tcp_timestamps=0; sysctl -q net.ipv4.tcp_window_scaling=0") == .applied)
        #expect(s.notes.isEmpty)
        #expect(!s.configuration.timestamps && !s.configuration.windowScaling)
        // ECN at 0 is off; Fast Open off is a setting of its own (RunSettings.fastOpen).
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_ecn=0 net.ipv4.tcp_fastopen=0 net.inet.tcp.ecn.enable=0 net.inet.tcp.fastopen.server_enable=0 net.inet.tcp.fastopen.client_enable=0") == .applied)
        #expect(s.notes.isEmpty)
        #expect(s.configuration == { var c = RunSettings().configuration; c.sack = false; c.timestamps = false; c.windowScaling = false; c.ecn = .off; return c }())
        for (setting, what) in [("net.ipv4.tcp_ecn=3", "Accurate ECN"), ("net.ipv4.tcp_ecn=4", "Accurate ECN"), ("net.inet.tcp.ecn.enable=3", "Accurate ECN"),
                                ("net.ipv4.tcp_fastopen=0x2x", "value not understood")] {
            var t = RunSettings()
            guard case .unsupported(let why) = t.apply(shell: "sysctl -q \(setting)") else {
                Issue.record("\(setting) was applied")
                continue
            }
            #expect(why.contains(setting) && why.contains(what), "\(why)")
        }
        // In a script: UNSUPPORTED, not PASS.
        let r = run("0 `sysctl -q net.ipv4.tcp_ecn=3`\n" + passiveOpen.replacingOccurrences(of: "0   socket", with: "+0  socket"))
        guard case .unsupported(let why) = r.outcome else { Issue.record("got \(r.outcome)"); return }
        #expect(why.contains("Accurate ECN"))
    }

    @Test("FreeBSD blackhole: 0 resets every segment to a closed port, 1 all but SYNs, 2 none")
    func blackhole() {
        var s = RunSettings()
        #expect(s.configuration.closedPortResets == .all)
        #expect(s.apply(shell: "sysctl net.inet.tcp.blackhole=1") == .applied)
        #expect(s.configuration.closedPortResets == .exceptSYN)
        #expect(s.apply(shell: "sysctl net.inet.tcp.blackhole=2") == .applied)
        #expect(s.configuration.closedPortResets == .none)
        #expect(s.apply(shell: "sysctl net.inet.tcp.blackhole=0") == .applied)
        #expect(s.configuration.closedPortResets == .all)
        #expect(s.apply(shell: "sysctl net.inet.tcp.blackhole=3") != .applied)
        #expect(s.notes.isEmpty)
        // The engine: a SYN to a closed port is answered unless blackholed.
        expectPass("0 `sysctl net.inet.tcp.blackhole=1`\n+0 < S 0:0(0) win 1000\n+.1 < . 1:1(0) ack 5 win 1000\n+0 > R 5:5(0)\n")
        expectFail("0 `sysctl net.inet.tcp.blackhole=2`\n+0 < S 0:0(0) win 1000\n+.1 < . 1:1(0) ack 5 win 1000\n+0 > R 5:5(0)\n",
                   line: 4, "expected an outbound packet")
    }

    @Test("SYN cookie sysctls: Linux tcp_syncookies 0/1/2, FreeBSD syncookies and syncookies_only")
    func synCookies() {
        var s = RunSettings()
        #expect(s.configuration.synCookies == .whenQueueFull)   // both systems' default
        for (value, mode) in [(0, SYNCookieMode.never), (2, .always), (1, .whenQueueFull)] {
            #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_syncookies=\(value)") == .applied)
            #expect(s.configuration.synCookies == mode)
        }
        #expect(s.apply(shell: "echo 2 > /proc/sys/net/ipv4/tcp_syncookies") == .applied)
        #expect(s.configuration.synCookies == .always)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_syncookies=3") != .applied)
        var f = RunSettings()
        #expect(f.apply(shell: "sysctl net.inet.tcp.syncookies_only=1") == .applied)
        #expect(f.configuration.synCookies == .always)
        // syncookies_only acts only while syncookies is on (FreeBSD's syncache_cookiesonly()).
        #expect(f.apply(shell: "sysctl net.inet.tcp.syncookies=0") == .applied)
        #expect(f.configuration.synCookies == .never)
        #expect(f.apply(shell: "sysctl net.inet.tcp.syncookies=1") == .applied)
        #expect(f.configuration.synCookies == .always)
        #expect(f.apply(shell: "sysctl net.inet.tcp.syncookies_only=0") == .applied)
        #expect(f.configuration.synCookies == .whenQueueFull)
        #expect(f.apply(shell: "sysctl net.inet.tcp.syncookies=2") != .applied)
        #expect(s.notes.isEmpty && f.notes.isEmpty)
    }

    @Test("SACK, D-SACK, RACK and TLP sysctls switch the engine (Linux and FreeBSD names)")
    func sackSwitches() {
        var s = RunSettings()
        #expect(s.configuration.sack && s.configuration.dsack && s.configuration.rack && s.configuration.tailLossProbe)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_sack=0 net.ipv4.tcp_dsack=0") == .applied)
        #expect(!s.configuration.sack && !s.configuration.dsack)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_recovery=0 net.ipv4.tcp_early_retrans=0") == .applied)
        #expect(!s.configuration.rack && !s.configuration.tailLossProbe)
        #expect(s.notes.isEmpty)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_recovery=1 net.ipv4.tcp_early_retrans=3") == .applied)
        #expect(s.configuration.rack && s.configuration.tailLossProbe)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_recovery=5") == .applied)
        #expect(s.configuration.rack && s.notes.last?.contains("bit 0x1") == true)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_early_retrans=9") != .applied)
        #expect(s.apply(shell: "sysctl net.inet.tcp.sack.enable=1") == .applied)
        #expect(s.configuration.sack)
        #expect(s.apply(shell: "sysctl net.inet.tcp.sack.enable=0") == .applied)
        #expect(!s.configuration.sack)
    }

    @Test("FreeBSD sysctls: insecure_rst, insecure_syn, insecure_ack each switch their own RFC 5961 defence")
    func freebsdInsecure() {
        var s = RunSettings()
        #expect(s.configuration.rfc5961RST && s.configuration.rfc5961SYN && s.configuration.rfc5961ACK)
        #expect(s.apply(shell: "sysctl net.inet.tcp.insecure_syn=0") == .applied)
        #expect(s.configuration.rfc5961)
        // insecure_rst=1 turns off §3 only: the SYN (§4) and ACK (§5) defences stay on.
        #expect(s.apply(shell: "sysctl net.inet.tcp.insecure_rst=1") == .applied)
        #expect(!s.configuration.rfc5961RST && s.configuration.rfc5961SYN && s.configuration.rfc5961ACK)
        #expect(s.apply(shell: "sysctl net.inet.tcp.insecure_rst=0") == .applied)
        #expect(s.configuration.rfc5961)
        // insecure_syn=1 turns off §4 only.
        #expect(s.apply(shell: "sysctl net.inet.tcp.insecure_syn=1") == .applied)
        #expect(s.configuration.rfc5961RST && !s.configuration.rfc5961SYN && s.configuration.rfc5961ACK)
        // insecure_ack=1 turns off §5 as well, leaving §3 on.
        #expect(s.apply(shell: "sysctl net.inet.tcp.insecure_ack=1") == .applied)
        #expect(s.configuration.rfc5961RST && !s.configuration.rfc5961SYN && !s.configuration.rfc5961ACK)
        #expect(s.apply(shell: "sysctl net.inet.tcp.insecure_ack=yes") != .applied)
        // Linux's challenge ACK limit is the rate limit (RFC 5961 §7), not a switch.
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_challenge_ack_limit=7") == .applied)
        #expect(s.configuration.challengeACKLimit == 7 && s.configuration.rfc5961RST)
    }

    @Test("FreeBSD sysctls: recvspace, sendspace, msl, rfc1323, blackhole")
    func freebsd() {
        var s = RunSettings()
        #expect(s.apply(shell: "sysctl net.inet.tcp.recvspace=32768 net.inet.tcp.sendspace=16384 net.inet.tcp.msl=5000") == .applied)
        #expect(s.configuration.receiveBufferBytes == 32768 && s.configuration.sendBufferBytes == 16384)
        #expect(s.configuration.msl == .milliseconds(5000))
        let before = s.notes.count
        #expect(s.apply(shell: "sysctl net.inet.tcp.blackhole=0 net.inet.tcp.sack.enable=0 net.inet.tcp.rfc1323=0") == .applied)
        #expect(s.notes.count == before)
        #expect(!s.configuration.timestamps && !s.configuration.windowScaling)
        #expect(s.apply(shell: "sysctl net.inet.tcp.rfc1323=3 net.inet.tcp.tolerate_missing_ts=1") == .applied)
        #expect(s.configuration.timestamps && !s.configuration.windowScaling && s.configuration.tolerateMissingTimestamps)
        #expect(s.apply(shell: "sysctl net.inet.tcp.functions_default=freebsd") == .applied)
    }

    @Test("congestion control: tcp_congestion_control, cc.algorithm, slow start after idle, initcwnd_segments")
    func congestionControl() {
        var s = RunSettings()
        #expect(s.configuration.congestionControl == .cubic)
        #expect(s.configuration.slowStartAfterIdle)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_congestion_control=reno") == .applied)
        #expect(s.configuration.congestionControl == .newReno)
        #expect(s.apply(shell: "echo cubic > /proc/sys/net/ipv4/tcp_congestion_control") == .applied)
        #expect(s.configuration.congestionControl == .cubic)
        #expect(s.apply(shell: "sysctl net.inet.tcp.cc.algorithm=newreno") == .applied)
        #expect(s.configuration.congestionControl == .newReno)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_slow_start_after_idle=0") == .applied)
        #expect(!s.configuration.slowStartAfterIdle)
        #expect(s.apply(shell: "sysctl net.inet.tcp.initcwnd_segments=4") == .applied)
        #expect(s.configuration.initialWindowSegments == 4)
        #expect(s.apply(shell: "sysctl net.inet.tcp.cc.algorithm=vegas") == .unsupported("net.inet.tcp.cc.algorithm=vegas: TCPKit has newreno and cubic only"))
        #expect(s.notes.isEmpty)
    }

    @Test("anything else is unsupported, with the reason")
    func unsupported() {
        var s = RunSettings()
        #expect(s.apply(shell: "../common/defaults.sh") == .unsupported("shell command `../common/defaults.sh`: cannot read the script file ../common/defaults.sh (the script's directory is not known)"))
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_congestion_control=bbr") == .unsupported("net.ipv4.tcp_congestion_control=bbr: TCPKit has newreno and cubic only"))
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_rmem=lots") == .unsupported("net.ipv4.tcp_rmem=lots: value not understood"))
        #expect(s.apply(shell: "echo 1 > /tmp/x") == .unsupported("shell command `echo 1 > /tmp/x`: redirection to /tmp/x is not emulated"))
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_sack=0; tc qdisc add dev tun0 root netem delay 10ms") != .applied)
    }

    @Test("reading a sysctl or running true is harmless")
    func harmless() {
        var s = RunSettings()
        #expect(s.apply(shell: "sysctl net.ipv4.tcp_sack; true; :") == .applied)
        #expect(s.notes.count == 1)
    }
}

@Suite("Runner: settings at run time")
struct RunnerSettingsTests {
    @Test("a buffer change after connections exist is UNSUPPORTED: the engine's configuration is per stack")
    func lateChange() {
        let r = run(passiveOpen + "+0 setsockopt(4, SOL_SOCKET, SO_RCVBUF, [1000], 4) = 0")
        #expect(r.unsupportedReason?.contains("SO_RCVBUF changes the engine's configuration after connections exist") == true)
        // The same value is no change.
        expectPass(passiveOpen + "+0 setsockopt(4, SOL_SOCKET, SO_RCVBUF, [65536], 4) = 0")
    }

    @Test("auto-tuning: off by default (the scripts' fixed 64 KiB), on with tcp_moderate_rcvbuf=1 (the SYN's window scale covers tcp_rmem's maximum), off again with SO_RCVBUF, as on Linux")
    func autoTuning() {
        // Default: a fixed 64 KiB buffer needs a shift of 1.
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
        +0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        """)
        // Auto-tuning on: the shift is chosen for the most the buffer may grow to (6 MiB: 7).
        expectPass("""
        0    `sysctl -q net.ipv4.tcp_moderate_rcvbuf=1`
        +0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
        +0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
        """)
        // tcp_rmem's third value is that maximum (32 MiB: 10).
        expectPass("""
        0    `sysctl -q net.ipv4.tcp_moderate_rcvbuf=1; sysctl -q net.ipv4.tcp_rmem="4096 65536 33554432"`
        +0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
        +0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 10>
        """)
        // SO_RCVBUF fixes the buffer: auto-tuning off for it, the shift fits the size set.
        expectPass("""
        0    `sysctl -q net.ipv4.tcp_moderate_rcvbuf=1`
        +0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   setsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], 4) = 0
        +0   fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
        +0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        """)
        var s = RunSettings()
        #expect(s.configuration.receiveBuffer == .fixed(64 << 10) && s.configuration.sendBuffer == .fixed(64 << 10))
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_moderate_rcvbuf=1; sysctl -q net.ipv4.tcp_wmem='4096 16384 8388608'") == .applied)
        #expect(s.configuration.receiveBuffer == .autoTuned(initial: 64 << 10, maximum: 6 << 20))
        #expect(s.configuration.sendBuffer == .fixed(16384))
        #expect(s.apply(shell: "sysctl net.inet.tcp.sendbuf_auto=1 net.inet.tcp.recvbuf_max=4194304 net.inet.tcp.recvbuf_auto=0") == .applied)
        #expect(s.configuration.sendBuffer == .autoTuned(initial: 16384, maximum: 8 << 20))
        #expect(s.configuration.receiveBuffer == .fixed(64 << 10))
    }

    @Test("TCP_MAXSEG before listen() changes the MSS we announce; getsockopt reads it back")
    func maxseg() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   setsockopt(3, IPPROTO_TCP, TCP_MAXSEG, [1000], 4) = 0
        +0   getsockopt(3, IPPROTO_TCP, TCP_MAXSEG, [1000], [4]) = 0
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 1) = 0
        +0   < S 0:0(0) win 32792 <mss 1460>
        +0   > S. 0:0(0) ack 1 <mss 1000>
        +0   < . 1:1(0) ack 1 win 32792
        +0   accept(3, ..., ...) = 4
        +0   getsockopt(4, IPPROTO_TCP, TCP_MAXSEG, [1000], [4]) = 0
        """)
    }

    @Test("notes say what was recorded but not applied")
    func notes() {
        let r = run("0 `sysctl -q net.ipv4.tcp_timestamps=2`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_OOBINLINE, [0], 4) = 0")
        #expect(r.isPass)
        #expect(r.notes.count == 2)
        #expect(r.notes.last?.contains("SO_OOBINLINE") == true)
    }

    @Test("TCP_NODELAY, SO_KEEPALIVE, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT and TCP_USER_TIMEOUT are applied and read back")
    func tcpOptions() {
        let r = run("""
        0  socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 setsockopt(3, SOL_TCP, TCP_NODELAY, [1], 4) = 0
        +0 setsockopt(3, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0
        +0 setsockopt(3, SOL_TCP, TCP_KEEPIDLE, [60], 4) = 0
        +0 setsockopt(3, SOL_TCP, TCP_KEEPINTVL, [5], 4) = 0
        +0 setsockopt(3, SOL_TCP, TCP_KEEPCNT, [3], 4) = 0
        +0 setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [2500], 4) = 0
        +0 getsockopt(3, SOL_TCP, TCP_NODELAY, [1], [4]) = 0
        +0 getsockopt(3, SOL_SOCKET, SO_KEEPALIVE, [1], [4]) = 0
        +0 getsockopt(3, SOL_TCP, TCP_KEEPIDLE, [60], [4]) = 0
        +0 getsockopt(3, SOL_TCP, TCP_KEEPINTVL, [5], [4]) = 0
        +0 getsockopt(3, SOL_TCP, TCP_KEEPCNT, [3], [4]) = 0
        +0 getsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [2500], [4]) = 0
        +0 setsockopt(3, SOL_TCP, TCP_KEEPCNT, [0], 4) = -1 EINVAL (Invalid argument)
        """)
        #expect(r.isPass)
        #expect(r.notes.isEmpty)
    }

    @Test("an unknown cleanup command is a note, not a verdict (it runs after the test)")
    func cleanup() {
        let r = run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`cp -r /tmp/something /tmp/else`")
        #expect(r.isPass)
        #expect(r.notes.first?.contains("cleanup command") == true)
    }
}

extension SettingsTests {
    @Test("TCP Fast Open sysctls: Linux's bits in hex or decimal, the key, FreeBSD's switches")
    func fastOpenSettings() {
        var s = RunSettings()
        #expect(s.fastOpen.client && !s.fastOpen.server, "Linux's default tcp_fastopen=1")
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_fastopen=0x70403 net.ipv4.tcp_fastopen_key=a0bf63f7-ed803d81-cd641d30-cebc4a90") == .applied)
        #expect(s.fastOpen.linuxFlags == 0x403)
        #expect(s.fastOpen.key == FastOpenKey(linuxText: "a0bf63f7-ed803d81-cd641d30-cebc4a90"))
        #expect(s.notes.contains { $0.contains("0x70403") }, "the bits Linux does not define are noted")
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_fastopen=514") == .applied)
        #expect(s.fastOpen.serverWithoutCookie && s.fastOpen.server && !s.fastOpen.client)
        #expect(s.fastOpen.key != nil, "the key survives a change of the bits")
        #expect(s.apply(shell: "sysctl -q net.inet.tcp.fastopen.client_enable=1 net.inet.tcp.fastopen.server_enable=0") == .applied)
        #expect(s.fastOpen.client && !s.fastOpen.server)
        #expect(s.apply(shell: "ip tcp_metrics flush all > /dev/null 2>&1") == .applied)
        #expect(s.fastOpenCacheFlushes == 1)
        guard case .unsupported = s.apply(shell: "sysctl -q net.ipv4.tcp_fastopen_key=a0bf63f7-ed803d81") else {
            Issue.record("a malformed key was applied")
            return
        }
        #expect(s.configuration == RunSettings().configuration, "Fast Open is not the engine's configuration: it may change while connections exist")
    }
}
