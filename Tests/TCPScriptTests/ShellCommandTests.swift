import Foundation
import Testing
import TCPCore
import TCPWire
@testable import TCPScript

@Suite("Shell commands: the sh subset scripts use")
struct ShellCommandLineTests {
    @Test("words, quotes, arithmetic, variables, comments, continuations, lists, pipes and redirections")
    func parse() throws {
        let a = try ShellCommandLine(#"sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))" # comment"#)
        #expect(a.pipelines.count == 1)
        #expect(a.pipelines[0].commands[0].words == ["sysctl", "-q", "net.ipv4.tcp_rmem=4096 540000 15728640"])
        let b = try ShellCommandLine("ip tcp_metrics flush all > /dev/null 2>&1\nsysctl -q a=1 \\\n  b=2 && true || false; echo '$((1+1))' | grep -c x")
        #expect(b.pipelines.map(\.connector) == [.sequence, .sequence, .and, .or, .sequence])
        #expect(b.pipelines[0].commands[0].words == ["ip", "tcp_metrics", "flush", "all"])
        #expect(b.pipelines[0].commands[0].redirections.map(\.fd) == [1, 2])
        #expect(b.pipelines[0].commands[0].redirections.map(\.target) == ["/dev/null", "&1"])
        #expect(b.pipelines[1].commands[0].words == ["sysctl", "-q", "a=1", "b=2"])
        #expect(b.pipelines[4].commands.map(\.words) == [["echo", "$((1+1))"], ["grep", "-c", "x"]])
        let c = try ShellCommandLine("/tmp/sysctl_restore_${PPID}.sh &> /dev/null")
        #expect(c.pipelines[0].commands[0].words == ["/tmp/sysctl_restore_1.sh"])
        #expect(c.pipelines[0].commands[0].redirections.map(\.fd) == [-1])
        #expect(throws: ShellCommandLine.SyntaxError.self) { try ShellCommandLine("echo \"unterminated") }
        #expect(throws: ShellCommandLine.SyntaxError.self) { try ShellCommandLine("sleep 1 &") }
        #expect(throws: ShellCommandLine.SyntaxError.self) { try ShellCommandLine("| grep x") }
    }

    @Test("$(( )) arithmetic as the shell computes it")
    func arithmetic() {
        func eval(_ s: String) -> Int64? { var p = ArithmeticParser(Array(s)); return p.parse() }
        #expect(eval("15*1024*1024") == 15_728_640)
        #expect(eval("256 * 1024") == 262_144)
        #expect(eval("(1+2)*3 - 10/4 % 2") == 9)
        #expect(eval("1 << 20") == 1_048_576)
        #expect(eval("-5 + 0x10") == 11)
        #expect(eval("1/0") == nil)
        #expect(eval("(-9223372036854775807-1)/-1") == nil)
        #expect(eval("2 +") == nil)
    }
}

@Suite("Shell commands: arbitrary text")
struct ShellFuzzTests {
    @Test("arbitrary command text gives an outcome (applied, UNSUPPORTED or a failed status), never a trap")
    func arbitrary() {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["sysctl", " -q", " -e", " net.ipv4.tcp_sack=", "1", "0x", "\"", "'", "$((", "))", "$(", "${", "}", "$PPID",
                      " | ", " || ", " && ", ";", "\n", "\\\n", " > ", "2>&1", "&>", " /dev/null", "#", "!", "grep", " -c",
                      " ss -tan", " state ", "established", "sockstat -4 -P tcp -s", "echo ", "/proc/sys/net/ipv4/tcp_sack",
                      "ip route change 1.2.3.4 advmss ", "tc qdisc add dev tun0 root ", "pfifo", "(", ")", "*", "/", "-", "%",
                      "9223372036854775807", "<<", "64", " set_sysctls.py /proc/sys/", "=", " ", "\t", "&"]
        for _ in 0..<3000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &rng) { text += pieces.randomElement(using: &rng)! }
            var s = RunSettings()
            switch s.apply(shell: text, host: ShellHost(table: [], ipv6: false)) {
            case .applied, .unsupported, .failed: break
            }
        }
    }
}

@Suite("Shell commands: what the runner honours")
struct ShellCommandTests {
    @Test("sysctl: -q -w -e, several assignments, quoted triplets, slashes in names, hex values")
    func sysctl() {
        var s = RunSettings()
        #expect(s.apply(shell: "sysctl -q -w net.ipv4.tcp_sack=0 net/ipv4/tcp_dsack=0") == .applied)
        #expect(!s.configuration.sack && !s.configuration.dsack)
        #expect(s.apply(shell: #"sysctl -q net.ipv4.tcp_wmem="4096 $((256*1024)) 4194304""#) == .applied)
        #expect(s.configuration.sendBuffer == .fixed(262_144))
        // -e: an unknown key is ignored (with a note); a known key with a value TCPKit cannot honour is not.
        #expect(s.apply(shell: "sysctl -e -q net.ipv4.tcp_no_such_knob=1") == .applied)
        #expect(s.notes.last?.contains("ignored") == true)
        #expect(s.apply(shell: "sysctl -e -q net.ipv4.tcp_reordering=5") == .unsupported("net.ipv4.tcp_reordering=5: a duplicate-ACK threshold other than 3 is not implemented in the engine"))
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_no_such_knob=1") == .unsupported("setting net.ipv4.tcp_no_such_knob is not known to TCPKit"))
        #expect(s.apply(shell: "sysctl -x net.ipv4.tcp_sack=1") != .applied)
        #expect(s.settingNames == ["net.ipv4.tcp_sack", "net.ipv4.tcp_dsack", "net.ipv4.tcp_wmem", "net.ipv4.tcp_no_such_knob",
                                   "net.ipv4.tcp_reordering", "net.ipv4.tcp_no_such_knob"])
    }

    @Test("settings whose behaviour TCPKit has, or that are off")
    func honoured() {
        var s = RunSettings()
        let before = s.configuration
        for line in ["net.ipv4.tcp_fack=0", "net.ipv4.tcp_reordering=3", "net.ipv4.tcp_tso_win_divisor=3",
                     "net.ipv4.tcp_min_tso_segs=2", "net.ipv4.tcp_pacing_ss_ratio=200", "net.ipv4.tcp_pacing_ca_ratio=120",
                     "net.ipv4.tcp_notsent_lowat=4294967295", "net.ipv4.tcp_frto=0", "net.inet.tcp.hostcache.purgenow=1",
                     "net.inet.tcp.tso=0"] {
            #expect(s.apply(shell: "sysctl -q \(line)") == .applied, "\(line)")
        }
        #expect(s.configuration == before)
        #expect(s.conditionalFeatures.isEmpty)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_min_rtt_wlen=0") != .applied)
        // TCP_NOTSENT_LOWAT's default: a limit the engine keeps (TCPStack+NotSentLowat.swift).
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_notsent_lowat=16384") == .applied)
        #expect(s.configuration.notSentLowat == 16384)
    }

    @Test("settings that change the configuration: MTU probing, maxsockbuf, drop_synfin, syncache, PRR, route attributes")
    func mapped() {
        var s = RunSettings(profile: .freeBSD)
        #expect(s.configuration.receiveBufferLimit == 2 * 1024 * 1024)
        #expect(s.apply(shell: "sysctl -w kern.ipc.maxsockbuf=262144") == .applied)
        #expect(s.configuration.receiveBufferLimit == 262_144 && s.configuration.sendBufferLimit == 262_144)
        #expect(s.apply(shell: "sysctl -w kern.ipc.maxsockbuf=1000") != .applied)
        #expect(s.apply(shell: "sysctl -w net.inet.tcp.drop_synfin=1 net.inet.tcp.syncache.rexmtlimit=1 net.inet.tcp.do_prr=0") == .applied)
        #expect(s.configuration.dropSYNFIN && s.configuration.synAckRetries == 1 && !s.configuration.proportionalRateReduction)
        #expect(s.apply(shell: "sysctl -w net.inet.tcp.pmtud_blackhole_detection=1 net.inet.tcp.finwait2_timeout=5000") == .applied)
        #expect(s.configuration.pathMTUProbing == .afterBlackHole && s.configuration.finWait2Timeout == .seconds(5))
        var l = RunSettings(profile: .linux)
        #expect(l.apply(shell: "../common/set_sysctls.py /proc/sys/net/ipv4/tcp_mtu_probing=2 /proc/sys/net/ipv4/tcp_base_mss=512") == .applied)
        #expect(l.configuration.pathMTUProbing == .always && l.configuration.pathMTUProbeBaseMSS == 512)
        #expect(l.apply(shell: "ip route change 192.0.2.1 via 192.168.0.2 dev tun0 advmss 600 mtu lock 640 initcwnd 11") == .applied)
        #expect(l.routes[IPAddress("192.0.2.1")!] == RouteMetrics(mtu: 640, mtuLocked: true, advertisedMSS: 600, initialWindowSegments: 11))
        #expect(l.apply(shell: "ip route change default via 192.168.0.2 dev tun0 advmss 600 mtu 640 initcwnd 11") == .applied)
        #expect(l.configuration.mss == 600 && l.configuration.mtu == 640 && l.configuration.initialWindowSegments == 11)
        #expect(l.apply(shell: "ip route change 192.0.2.1 dev tun0 rto_min 10ms") != .applied)
        #expect(l.apply(shell: "echo 0 > /sys/module/tcp_cubic/parameters/hystart_detect") == .applied)
        #expect(!l.configuration.hyStart)
        #expect(l.apply(shell: "echo 3 > /sys/module/tcp_cubic/parameters/hystart_detect") == .applied)
        #expect(l.configuration.hyStart && l.configuration.hyStartVariant == .classic(ackTrain: true, delay: true))
        #expect(l.apply(shell: "echo 1 > /sys/module/tcp_cubic/parameters/hystart_detect") == .applied)
        #expect(l.configuration.hyStartVariant == .classic(ackTrain: true, delay: false))
        #expect(l.apply(shell: "echo 4 > /sys/module/tcp_cubic/parameters/hystart_detect") != .applied)
    }

    @Test("no-ops: caches TCPKit does not have, FIFO queues, offloads off, the restore script, nstat")
    func noOps() {
        var s = RunSettings()
        let before = s.configuration
        for line in ["ip tcp_metrics flush all > /dev/null 2>&1", "tc qdisc add dev tun0 root pfifo",
                     "tc qdisc delete dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root pfifo limit 100",
                     "ethtool -K tun0 gso off tso off", "/tmp/sysctl_restore_${PPID}.sh", "nstat > /dev/null", "true; :"] {
            #expect(s.apply(shell: line) == .applied, "\(line)")
        }
        #expect(s.configuration == before)
        #expect(s.apply(shell: "tc qdisc replace dev tun0 root fq").contains("fq qdisc") == true)
        #expect(s.apply(shell: "ethtool -K tun0 tso on").contains("tso on") == true)
        #expect(s.apply(shell: "nstat | grep TcpExtOutOfWindowIcmps > /dev/null").contains("nstat") == true)
        #expect(s.apply(shell: "/bin/cp /tmp/a /tmp/b").contains("`cp` is not a command") == true)
        // Files for sendfile (Run+Files.swift): dd of zeroes makes one, rm removes it.
        #expect(s.apply(shell: "/bin/rm -f /tmp/testfile\n/bin/dd bs=1 count=5 if=/dev/zero of=/tmp/testfile status=none") == .applied)
        #expect(s.files["/tmp/testfile"] == 5)
        #expect(s.apply(shell: "rm /tmp/testfile") == .applied && s.files.isEmpty)
        #expect(s.apply(shell: "rm /tmp/testfile") != .applied)
        #expect(s.apply(shell: "dd if=/dev/urandom of=/tmp/x bs=1 count=1").contains("/dev/zero") == true)
        #expect(s.apply(shell: "sysctl -n net.ipv4.tcp_sack | grep -x 1").contains("reading a setting's value back"))
        #expect(s.apply(shell: "false") == .failed("shell command `false` exited with status 1"))
        #expect(s.apply(shell: "false || true") == .applied)
        #expect(s.apply(shell: "true && false") != .applied)
        #expect(s.apply(shell: "! false") == .applied)
    }

    /// A directory with `common/defaults.sh` and `tcp/x/` for scripts, as packetdrill's tree.
    func tree(defaults: String) throws -> String {
        let dir = NSTemporaryDirectory() + "tcpkit-shell-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir + "/common", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/tcp/x", withIntermediateDirectories: true)
        try defaults.write(toFile: dir + "/common/defaults.sh", atomically: true, encoding: .utf8)
        return dir
    }

    @Test("a script file the command runs: found from the script's directory, each line applied, the profile from its names")
    func defaultsFile() throws {
        let dir = try tree(defaults: """
        #!/bin/bash
        # Settings
        ip tcp_metrics flush all > /dev/null 2>&1

        sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"
        sysctl -q net.ipv4.tcp_early_retrans=4 net.ipv4.tcp_recovery=1
        tc qdisc add dev tun0 root pfifo
        """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = RunSettings(profile: .linux)
        s.scriptDirectory = dir + "/tcp/x"
        #expect(s.apply(shell: "../../common/defaults.sh") == .applied)
        #expect(s.configuration.receiveBuffer == .autoTuned(initial: 540_000, maximum: 15_728_640))
        // Linux derives the window scale from tcp_rmem[2]: 15 MiB needs 8.
        let script = """
        `../../common/defaults.sh`
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0...0.1 connect(3, ..., ...) = 0
        +0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>
        +.1 < S. 0:0(0) ack 1 win 5792 <mss 1460,nop,wscale 2,nop,nop,sackOK>
        +0 > . 1:1(0) ack 1
        """
        try script.write(toFile: dir + "/tcp/x/a.pkt", atomically: true, encoding: .utf8)
        #expect(ScriptSuite.run(file: dir + "/tcp/x/a.pkt", options: ScriptRunOptions()).isPass)
        // With TCPKit's profile (fixed buffers, no auto-tuning) the shift is sized for tcp_rmem[1], 540000: 4.
        #expect(ScriptSuite.run(file: dir + "/tcp/x/a.pkt", options: ScriptRunOptions(profile: .tcpkit)).failure?.message.contains("wscale 4") == true)
        // A path written from another directory is looked for in the directories above (a flattened copy).
        var t = RunSettings()
        t.scriptDirectory = dir + "/tcp/x"
        #expect(t.apply(shell: "../common/defaults.sh") == .applied)
        // Not there at all: UNSUPPORTED, naming the file.
        #expect(t.apply(shell: "../nowhere/other.sh").contains("cannot read the script file ../nowhere/other.sh") == true)
    }

    @Test("a line of a script file the runner cannot honour makes the script UNSUPPORTED with that line")
    func defaultsFileUnsupported() throws {
        let dir = try tree(defaults: "sysctl -q net.ipv4.tcp_sack=1\nsysctl -q net.ipv4.tcp_congestion_control=bbr\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "`../../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n".write(toFile: dir + "/tcp/x/b.pkt", atomically: true, encoding: .utf8)
        let why = ScriptSuite.run(file: dir + "/tcp/x/b.pkt", options: ScriptRunOptions()).unsupportedReason
        #expect(why?.contains("net.ipv4.tcp_congestion_control=bbr") == true && why?.contains("defaults.sh") == true, "\(why ?? "nil")")
    }

    @Test("tcp_frto turns the engine's F-RTO (RFC 5682) on and off")
    func frto() {
        var s = RunSettings()
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_frto=2") == .applied)
        #expect(s.configuration.forwardRTORecovery)
        #expect(s.apply(shell: "sysctl -q net.ipv4.tcp_frto=0") == .applied)
        #expect(!s.configuration.forwardRTORecovery)
        #expect(s.conditionalFeatures.isEmpty)
    }

    @Test("state queries answer from the socket table in the tool's format, and their pipes exit as on the real system")
    func stateQueries() {
        let table = [
            TCPStack.SocketTableEntry(state: .listen, local: SocketAddress(IPAddress("0.0.0.0")!, 8080), remote: nil, sendQueue: 1, receiveQueue: 0, connection: nil),
            TCPStack.SocketTableEntry(state: .established, local: SocketAddress(IPAddress("192.168.0.1")!, 8080),
                                      remote: SocketAddress(IPAddress("192.0.2.1")!, 40000), sendQueue: 0, receiveQueue: 10, connection: nil),
        ]
        let host = ShellHost(table: table, ipv6: false)
        var s = RunSettings()
        func status(_ c: String) -> RunSettings.ShellOutcome { s.apply(shell: c, host: host) }
        #expect(status("ss -tan state established | grep -c 192.0.2.1:40000 | grep -x 1") == .applied)
        #expect(status("ss -tan state established | grep -q LISTEN") != .applied)   // the State column is left out
        #expect(status("ss -tan | grep -c ESTAB | grep -x 1") == .applied)
        #expect(status("ss -tan state listening sport = :8080 | grep -q 8080") == .applied)
        #expect(status("ss -tan state time-wait | grep -q 8080") != .applied)
        #expect(status(#"grep " 0A " /proc/net/tcp /proc/net/tcp6 | grep ":1F90""#) == .applied)
        #expect(status(#"grep -q "0100A8C0:1F90 010200C0:9C40 01 " /proc/net/tcp"#) == .applied)
        #expect(status("sockstat -4 -P tcp -s | grep 192.168.0.1:8080 | grep -c ESTABLISHED | grep 1") == .applied)
        #expect(status("sockstat -4 -P tcp -s | grep 192.168.0.1:8080 | grep -c ESTABLISHED | grep 2") != .applied)
        #expect(status("sockstat -6 -P tcp -s | grep -c ESTABLISHED | grep 0") == .applied)
        #expect(status("netstat -n -p tcp | grep -q '192.168.0.1.8080 *192.0.2.1.40000 *ESTABLISHED'") == .applied)
        #expect(status("netstat -n -p tcp | grep -q LISTEN") != .applied)   // listeners only with -a
        #expect(status("netstat -an -p tcp | grep -q '\\*.8080 *\\*.\\* *LISTEN'") == .applied)
        #expect(status("netstat -tn | grep -c ESTABLISHED | grep -x 1") == .applied)
        #expect(status("ss -tanp") != .applied)
        #expect(status("sockstat -P udp").contains("only tcp") == true)
    }

    @Test("a state query that exits non-zero fails the script at its line, as in packetdrill")
    func queryFailsScript() {
        let source = passiveOpen + "+0 `ss -tan state established | grep -c 8080 | grep -x 1`\n"
        expectPass(source)
        expectFail(passiveOpen + "+0 `ss -tan state established | grep -c 8080 | grep -x 2`\n", line: source.split(separator: "\n").count, "exited with status 1")
    }
}

@Suite("Profiles: Linux's and FreeBSD's defaults")
struct ProfileTests {
    @Test("the presets")
    func presets() {
        #expect(TCPConfiguration(profile: .tcpkit) == TCPConfiguration())
        let l = TCPConfiguration.linux, f = TCPConfiguration.freeBSD
        #expect(TCPConfiguration(profile: .linux) == l && TCPConfiguration(profile: .freeBSD) == f)
        #expect(l.rtoMin == .milliseconds(200) && f.rtoMin == .milliseconds(30))
        #expect(l.receiveBuffer == .autoTuned(initial: 131_072, maximum: 6_291_456))
        #expect(f.receiveBuffer == .autoTuned(initial: 65_536, maximum: 2_097_152) && f.receiveBufferRoundedToMSS)
        #expect(!f.rack && !f.tailLossProbe && f.quickACKSegments == 0)
        #expect(!l.ignoreRSTInTimeWait && l.tolerateMissingTimestamps)
        #expect(TCPConfiguration.Profile(rawValue: "freebsd") == .freeBSD)
    }

    @Test("chosen from the script's setting names, its --profile line, or the run's option")
    func choice() {
        #expect(RunSettings.profile(forSettings: []) == .tcpkit)
        #expect(RunSettings.profile(forSettings: ["net.ipv4.tcp_sack"]) == .linux)
        #expect(RunSettings.profile(forSettings: ["kern.ipc.maxsockbuf", "net.ipv4.tcp_sack"]) == .freeBSD)
        // The window scale in our SYN tells the profile: TCPKit's 64 KiB (1), Linux's 6 MiB (7), FreeBSD's 2 MiB (6).
        func syn(_ shift: Int, _ head: String, profile: TCPConfiguration.Profile? = nil) -> Bool {
            let source = head + "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0...0.1 connect(3, ..., ...) = 0\n"
                + "+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale \(shift)>\n+.1 < S. 0:0(0) ack 1 win 5792 <mss 1460>\n+0 > . 1:1(0) ack 1\n"
            return ScriptRunner.run(source: source, options: ScriptRunOptions(profile: profile)).isPass
        }
        #expect(syn(1, ""))
        #expect(syn(7, "`sysctl -q net.ipv4.tcp_sack=1`\n"))
        #expect(syn(6, "`sysctl -w net.inet.tcp.sack.enable=1`\n"))
        #expect(syn(1, "--profile=tcpkit\n`sysctl -q net.ipv4.tcp_sack=1`\n"))
        #expect(syn(7, "", profile: .linux))
        #expect(syn(6, "--profile=tcpkit\n", profile: .freeBSD))   // the run's option wins
        #expect(!syn(7, ""))
        #expect(run("--profile=solaris\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n").failure?.message.contains("bad --profile") == true)
    }
}

private extension RunSettings.ShellOutcome {
    /// The reason, for `contains` checks.
    func contains(_ s: String) -> Bool {
        switch self {
        case .applied: false
        case .unsupported(let w), .failed(let w): w.contains(s)
        }
    }
}
