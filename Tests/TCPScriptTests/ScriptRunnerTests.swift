import Testing
@testable import TCPScript

@Suite("Runner: scripts that must pass")
struct RunnerPassTests {
    @Test("passive open")
    func passive() {
        expectPass(passiveOpen)
    }

    @Test("passive open over IPv6")
    func passiveIPv6() {
        expectPass("--ip_version=ipv6\n" + passiveOpen.replacingOccurrences(of: "<mss 1460>", with: "<mss 1440>"))
    }

    @Test("active open, non-blocking: EINPROGRESS, then SO_ERROR 0, POLLOUT and data")
    func activeNonBlocking() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
        +0   fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)
        +0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        +0   poll([{fd=3, events=POLLOUT, revents=0}], 1, 0) = 0
        +.1  < S. 0:0(0) ack 1 win 5792 <mss 1460>
        +0   > . 1:1(0) ack 1
        +0   getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
        +0   poll([{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
        +0   write(3, ..., 10) = 10
        +0   > P. 1:11(10) ack 1
        +0   read(3, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)
        """)
    }

    @Test("active open, blocking: connect returns when the SYN-ACK arrives")
    func activeBlocking() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +.1...0.200 connect(3, ..., ...) = 0
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        +.1  < S. 0:0(0) ack 1 win 5792 <mss 1460,nop,wscale 2,nop,nop,sackOK>
        +0   > . 1:1(0) ack 1
        """)
    }

    @Test("refused connect: RST,ACK to our SYN gives ECONNREFUSED")
    func refused() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0...0.1 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        +.1  < R. 0:0(0) ack 1 win 0
        """)
    }

    @Test("SYN retransmissions at 1, 3, 7, 15, 31, 63 s; ETIMEDOUT when the RTO (at most 60 s) runs out")
    func synRetransmission() {
        expectPass("""
        --profile=tcpkit
        0    `sysctl -q net.ipv4.tcp_syn_retries=6`
        +0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0...123 connect(3, ..., ...) = -1 ETIMEDOUT (Connection timed out)
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        1    > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        3    > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        7    > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        15   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        31   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        63   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        123  > R 1:1(0)
        """)
    }

    @Test("blocking read runs alongside later events and returns at its end time")
    func blockingRead() {
        expectPass(passiveOpen + """
        +0...0.100 read(4, ..., 1000) = 1000
        +.1  < P. 1:1001(1000) ack 1 win 257
        +0   > . 1:1(0) ack 1001
        +.1...0.200 read(4, ..., 1000) = 1000
        +.1  < P. 1001:2001(1000) ack 1 win 257
        +0   > . 1:1(0) ack 2001
        // The read that returns now has freed 2000 bytes: a window update (more than one MSS).
        +0   > . 1:1(0) ack 2001
        +.1  < P. 2001:3001(1000) ack 1 win 257
        +0   > . 1:1(0) ack 3001
        +0...0.000 read(4, ..., 500) = 500
        +0...0.000 read(4, ..., 500) = 500
        """)
    }

    @Test("reading a lot opens the window: the engine sends a window update (RFC 9293 §3.8.6.2.2)")
    func windowUpdate() {
        expectPass(passiveOpen + """
        +0...0.100 read(4, ..., 2000) = 2000
        +.1  < P. 1:2001(2000) ack 1 win 257
        +0   > . 1:1(0) ack 2001
        +0   > . 1:1(0) ack 2001
        """)
    }

    @Test("blocking accept returns when the handshake completes")
    func blockingAccept() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 1) = 0
        +0...0.2 accept(3, ..., ...) = 4
        +.1  < S 0:0(0) win 32792 <mss 1000>
        +0   > S. 0:0(0) ack 1 <mss 1460>
        +.1  < . 1:1(0) ack 1 win 32792
        """)
    }

    @Test("non-blocking accept: EAGAIN until a connection is ready; poll shows POLLIN then")
    func nonBlockingAccept() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 1) = 0
        +0   accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)
        +0   < S 0:0(0) win 32792 <mss 1000>
        +0   > S. 0:0(0) ack 1 <mss 1460>
        +0   poll([{fd=3, events=POLLIN, revents=0}], 1, 0) = 0
        +.1  < . 1:1(0) ack 1 win 32792
        +0   poll([{fd=3, events=POLLIN, revents=POLLIN}], 1, 0) = 1
        +0   accept(3, ..., ...) = 4
        """)
    }

    @Test("data both ways, then we close first")
    func dataAndClose() {
        expectPass(passiveOpen + """
        +0   write(4, ..., 1000) = 1000
        +0   > P. 1:1001(1000) ack 1
        +.1  < . 1:1(0) ack 1001 win 32792
        +0   < P. 1:101(100) ack 1001 win 32792
        +0   > . 1001:1001(0) ack 101
        +0   read(4, ..., 1000) = 100
        +0   close(4) = 0
        +0   > F. 1001:1001(0) ack 101
        +.1  < F. 101:101(0) ack 1002 win 32792
        +0   > . 1002:1002(0) ack 102
        """)
    }

    @Test("the peer closes first: read returns 0, our FIN from LAST-ACK, then RST for a late segment")
    func peerCloses() {
        expectPass(passiveOpen + """
        +.01 < F. 1:1(0) ack 1 win 257
        +0   > . 1:1(0) ack 2
        +0   read(4, ..., 1000) = 0
        +0   poll([{fd=4, events=POLLIN|POLLRDHUP, revents=POLLIN|POLLRDHUP}], 1, 0) = 1
        +.01 close(4) = 0
        +0   > F. 1:1(0) ack 2
        +.01 < . 2:2(0) ack 2 win 257
        +.01 < . 2:2(0) ack 2 win 257
        +0   > R 2:2(0)
        """)
    }

    @Test("a peer's RST: read gives ECONNRESET once, then 0; write gives EPIPE")
    func peerReset() {
        expectPass(passiveOpen + """
        +.1  < R. 1:1(0) ack 1 win 0
        +0   poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLIN|POLLOUT|POLLERR|POLLHUP}], 1, 0) = 1
        +0   read(4, ..., 1000) = -1 ECONNRESET (Connection reset by peer)
        +0   read(4, ..., 1000) = 0
        +0   write(4, ..., 10) = -1 EPIPE (Broken pipe)
        """)
    }

    @Test("shutdown(SHUT_WR) sends FIN and the socket still reads")
    func halfClose() {
        expectPass(passiveOpen + """
        +0   shutdown(4, SHUT_WR) = 0
        +0   > F. 1:1(0) ack 1
        +.1  < . 1:1(0) ack 2 win 257
        +0   < P. 1:11(10) ack 2 win 257
        +0   > . 2:2(0) ack 11
        +0   read(4, ..., 100) = 10
        +0   write(4, ..., 10) = -1 EPIPE (Broken pipe)
        """)
    }

    @Test("SO_LINGER {1, 0}: close sends RST")
    func lingerZero() {
        expectPass(passiveOpen + """
        +0   setsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0
        +0   close(4) = 0
        +0   > R. 1:1(0) ack 1
        """)
    }

    @Test("a SYN to a port nobody listens on gets RST,ACK")
    func closedPort() {
        expectPass("""
        0    < S 0:0(0) win 1000
        +0   > R. 0:0(0) ack 1
        """)
    }

    @Test("relative inbound packets follow each other")
    func inboundRelative() {
        expectPass(passiveOpen + """
        +.1  < P. 1:11(10) ack 1 win 257
        +.1  < P. 11:21(10) ack 1 win 257
        0.200 > . 1:1(0) ack 11
        0.300 > . 1:1(0) ack 21
        """)
    }

    @Test("outbound data segments are put together up to the script's length (TSO)")
    func aggregation() {
        expectPass(passiveOpen + """
        +0   write(4, ..., 2000) = 2000
        +0   > P. 1:2001(2000) ack 1
        """)
    }

    @Test("time ranges and * for outbound packets")
    func ranges() {
        // TCP_NODELAY: the second short write goes at once instead of waiting for Nagle.
        expectPass(passiveOpen + """
        +0   setsockopt(4, IPPROTO_TCP, TCP_NODELAY, [1], 4) = 0
        +0   write(4, ..., 10) = 10
        0.099~0.101 > P. 1:11(10) ack 1
        +0   write(4, ..., 10) = 10
        +0~+0.001 > P. 11:21(10) ack 1
        +0   write(4, ..., 10) = 10
        *    > P. 21:31(10) ack 1
        """)
    }

    @Test("options match by content, not order (NOPs ignored); <...> skips them")
    func optionsByContent() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 1) = 0
        +0   < S 0:0(0) win 32792 <mss 1000>
        +0   > S. 0:0(0) ack 1 <nop,nop,mss 1460,eol>
        +0   < S 0:0(0) win 32792 <mss 1000>
        +0   > S. 0:0(0) ack 1 <...>
        """)
    }

    @Test("windows are checked once the script sets the receive buffer")
    func windowWithBuffer() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   setsockopt(3, SOL_SOCKET, SO_RCVBUF, [10000], 4) = 0
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 1) = 0
        +0   < S 0:0(0) win 32792 <mss 1000>
        +0   > S. 0:0(0) ack 1 win 10000 <mss 1460>
        +0   < . 1:1(0) ack 1 win 32792
        +0   < P. 1:101(100) ack 1 win 32792
        +0   > . 1:1(0) ack 101 win 9900
        """)
    }

    @Test("windows the script gives without setting a buffer are not checked (unless --strict)")
    func windowUnchecked() {
        let script = """
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 1) = 0
        +0   < S 0:0(0) win 32792 <mss 1000>
        +0   > S. 0:0(0) ack 1 win 29200 <mss 1460>
        """
        expectPass(script)
        expectFail(script, line: 5, "window: expected 29200, actual 65535", strict: true)
    }

    @Test("--tolerance_usecs widens the time window")
    func tolerance() {
        let late = passiveOpen + """
        +0   write(4, ..., 10) = 10
        +.008 > P. 1:11(10) ack 1
        """
        expectFail(late, line: 10, "timing error")
        expectPass("--tolerance_usecs=10000\n" + late)
    }

    @Test("sysctl insecure_rst=1 turns RFC 5961 off: an in-window RST not at RCV.NXT resets")
    func insecureRST() {
        let tail = """
        +.1  < R. 100:100(0) ack 1 win 0
        """
        // With RFC 5961 (the default) the RST gets a challenge ACK.
        expectPass(passiveOpen + tail + "\n+0   > . 1:1(0) ack 1\n")
        // Without, the connection is reset: read reports it.
        expectPass("0 `sysctl -w net.inet.tcp.insecure_rst=1`\n" + passiveOpen.replacingOccurrences(of: "0   socket", with: "+0  socket")
                   + tail + "\n+0   read(4, ..., 10) = -1 ECONNRESET (Connection reset by peer)\n")
    }

    @Test("the TIME-WAIT side answers a retransmitted FIN with an ACK")
    func timeWait() {
        expectPass(passiveOpen + """
        +0   close(4) = 0
        +0   > F. 1:1(0) ack 1
        +.1  < F. 1:1(0) ack 2 win 257
        +0   > . 2:2(0) ack 2
        +1   < F. 1:1(0) ack 2 win 257
        +0   > . 2:2(0) ack 2
        """)
    }
}

@Suite("Runner: scripts that must fail, with the right message")
struct RunnerFailTests {
    let listenHead = """
    0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
    +0   bind(3, ..., ...) = 0
    +0   listen(3, 1) = 0
    +0   < S 0:0(0) win 32792 <mss 1000>

    """

    @Test("wrong flags")
    func flags() {
        let f = expectFail(listenHead + "+0 > S 0:0(0) <mss 1460>", line: 5, "flags: expected S, actual S.")
        #expect(f?.expected == "S 0:0(0) <mss 1460> at 0.000000")
        #expect(f?.actual == "S. 0:0(0) ack 1 win 65535 <mss 1460> at 0.000000")
        #expect(f?.lineText == "+0 > S 0:0(0) <mss 1460>")
    }

    @Test("wrong sequence number")
    func seq() {
        expectFail(passiveOpen + "+0 write(4, ..., 10) = 10\n+0 > P. 2:12(10) ack 1", line: 10, "seq: expected 2, actual 1")
    }

    @Test("wrong acknowledgment number")
    func ack() {
        expectFail(listenHead + "+0 > S. 0:0(0) ack 2 <mss 1460>", line: 5, "ack: expected 2, actual 1")
    }

    @Test("wrong payload length")
    func length() {
        expectFail(passiveOpen + "+0 write(4, ..., 10) = 10\n+0 > P. 1:21(20) ack 1", line: 10, "payload length: expected 20 bytes, actual 10 bytes")
    }

    @Test("wrong time: too early and too late")
    func time() {
        expectFail(listenHead + "+0.5 > S. 0:0(0) ack 1 <mss 1460>", line: 5, "timing error: expected outbound packet at 0.500000 sec but happened at 0.000000 sec")
        expectFail(passiveOpen + "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n+0 > F. 1:1(0) ack 1", line: 11,
                   "timing error: expected outbound packet at 0.100000 sec but happened at 1.100000 sec")
    }

    @Test("an expected packet that never comes")
    func missing() {
        expectFail(passiveOpen + "+0 > P. 1:11(10) ack 1", line: 9, "the stack sent nothing")
    }

    @Test("an unexpected extra packet: seen by the next outbound line")
    func extraThenNext() {
        let f = expectFail(passiveOpen + "+0 < P. 1:11(10) ack 1 win 257\n+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 11",
                           line: 11, "flags: expected P., actual .")
        #expect(f?.actual == ". 1:1(0) ack 11 win 65525 at 0.100000")
    }

    @Test("an unexpected extra packet left over when the script ends: packetdrill never reads it; --strict fails it")
    func extraAtEnd() {
        let script = passiveOpen + "+0 < P. 1:11(10) ack 1 win 257\n+1 read(4, ..., 100) = 10"
        expectPass(script)
        let f = expectFail(script, line: 9, "unexpected outbound packet at 0.100000 sec", strict: true)
        #expect(f?.expected == "(no packet)")
    }

    @Test("--strict: a packet sent with the last event must be in the script too")
    func extraAtEndStrict() {
        let script = passiveOpen + "+0 close(4) = 0"
        expectPass(script)
        expectFail(script, line: 9, "unexpected outbound packet", strict: true)
    }

    @Test("wrong system call result")
    func result() {
        let f = expectFail(passiveOpen + "+0 write(4, ..., 10) = 11", line: 9, "write(): expected result 11 but got 10")
        #expect(f?.expected == "write(4, ..., 10) = 11")
        #expect(f?.actual == "write(4, ..., 10) = 10")
    }

    @Test("wrong errno, and an error where success was expected")
    func errno() {
        expectFail(passiveOpen + "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 read(4, ..., 10) = -1 ECONNRESET (Connection reset by peer)", line: 10,
                   "read(): expected errno ECONNRESET (Connection reset by peer) but got EAGAIN (Resource temporarily unavailable)")
        expectFail("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0...0.1 connect(3, ..., ...) = -1 ETIMEDOUT (Connection timed out)
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        +.1  < R. 0:0(0) ack 1 win 0
        """, line: 2, "expected errno ETIMEDOUT (Connection timed out) but got ECONNREFUSED (Connection refused)")
        expectFail("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0...0.1 connect(3, ..., ...) = 0
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        +.1  < R. 0:0(0) ack 1 win 0
        """, line: 2, "expected result 0 but got -1 with errno ECONNREFUSED (Connection refused)")
    }

    @Test("a blocking call that returns at the wrong time")
    func blockingTime() {
        expectFail(passiveOpen + "+0...0.3 read(4, ..., 10) = 10\n+.1 < P. 1:11(10) ack 1 win 257", line: 9,
                   "timing error: expected system call return at 0.400000 sec but happened at 0.200000 sec")
    }

    @Test("a call that blocks without ...end and nothing can wake")
    func blockedForever() {
        expectFail(passiveOpen + "+0 read(4, ..., 10) = 10", line: 9, "read() blocks and nothing can make it return")
    }

    @Test("--strict checks the options' order")
    func strictOptions() {
        let script = listenHead + "+0 > S. 0:0(0) ack 1 <nop,nop,mss 1460>"
        expectPass(script)
        expectFail(script, line: 5, "options: expected <nop,nop,mss 1460> in this order, actual <mss 1460>", strict: true)
    }

    @Test("options the script expects but the stack does not send fail (the peer's SYN offered neither SACK nor window scaling, so the SYN-ACK answers neither)")
    func missingOptions() {
        expectFail(listenHead + "+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>", line: 5,
                   "options: expected <mss 1460,nop,nop,sackOK,nop,wscale 8> (missing: sackOK, wscale 8), actual <mss 1460>")
    }

    @Test("a window check under a set buffer")
    func window() {
        expectFail("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   setsockopt(3, SOL_SOCKET, SO_RCVBUF, [10000], 4) = 0
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 1) = 0
        +0   < S 0:0(0) win 32792 <mss 1000>
        +0   > S. 0:0(0) ack 1 win 9999 <mss 1460>
        """, line: 6, "window: expected 9999, actual 10000")
    }

    @Test("TS ecr with no TS val to map it from")
    func timestampEcr() {
        expectFail(listenHead + "+0 > S. 0:0(0) ack 1 <...>\n+0 < . 1:1(0) ack 1 win 100 <nop,nop,TS val 10 ecr 20>", line: 6,
                   "unable to infer live TS ecr for script TS ecr 20")
    }

    @Test("a parse error is a FAIL at its line")
    func parseError() {
        expectFail("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > Q 0:0(0)", line: 2, "invalid TCP flag 'Q'")
    }

    @Test("the first event must be at time 0; absolute times must not go backwards")
    func timeRules() {
        expectFail("1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3", line: 1, "first event should be at time 0")
        expectFail("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n0.2 listen(3, 1) = 0\n0.1 close(3) = 0", line: 3, "time goes backward")
    }
}

@Suite("Runner: UNSUPPORTED, never a silent pass")
struct RunnerUnsupportedTests {
    func reason(_ source: String) -> String? { run(source).unsupportedReason }

    @Test("unknown shell commands")
    func shell() {
        #expect(reason("`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3")?.contains("`../common/defaults.sh`: cannot read the script file ../common/defaults.sh") == true)
        #expect(reason("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `ip link set dev tun0 mtu 1400`")?.contains("line 2") == true)
        #expect(reason("0 `sysctl -q net.ipv4.tcp_unknown_thing=1`")?.contains("setting net.ipv4.tcp_unknown_thing is not known") == true)
    }

    @Test("%{ }% code blocks that use a tcp_info field TCPKit does not fill (MessageCallTests has the rest)")
    func code() {
        #expect(reason("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert tcpi_reord_seen == 1 }%")?.contains("tcpi_reord_seen") == true)
    }

    @Test("system calls, socket options, symbols and packets it does not model")
    func others() {
        #expect(reason("0 io_uring_setup(1, ...) = 3")?.contains("io_uring_setup() is not supported") == true)
        #expect(reason("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_TCP, TCP_ZEROCOPY_RECEIVE, [1], 4) = 0")?.contains("not supported") == true)
        #expect(reason("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3")?.contains("SOCK_STREAM") == true)
        #expect(reason("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_BOGUS) = 0")?.contains("unknown symbol O_BOGUS") == true)
        #expect(reason("0 < udp (1472)")?.contains("udp packets") == true)
    }

    @Test("an unsupported line later in the script makes it UNSUPPORTED even if an earlier line would fail")
    func verdictIndependentOfProgress() {
        #expect(reason("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n+0 close(3) = 0\n+0 `reboot`") != nil)
    }
}

@Suite("Runner: several connections with explicit ports")
struct RunnerFlowTests {
    @Test("a listener's backlog without SYN cookies: the second SYN is dropped while the first connection is half-open")
    func backlog() {
        let script = """
        0    `sysctl -q net.ipv4.tcp_syncookies=0`
        +0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 1) = 0
        +0   < 40001>8080 S 0:0(0) win 32792 <mss 1000>
        +0   > 8080>40001 S. 0:0(0) ack 1 <mss 1460>
        +0   < 40002>8080 S 0:0(0) win 32792 <mss 1000>
        +.1  < 40001>8080 . 1:1(0) ack 1 win 32792
        +0   accept(3, ..., ...) = 4
        +0   write(4, ..., 10) = 10
        +0   > 8080>40001 P. 1:11(10) ack 1
        """
        expectPass(script, strict: true)
    }

    @Test("two connections interleaved; each line takes its own connection's packets")
    func interleaved() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 2) = 0
        +0   < 40001>8080 S 0:0(0) win 32792 <mss 1000>
        +0   < 40002>8080 S 0:0(0) win 32792 <mss 1000>
        +0   > 8080>40002 S. 0:0(0) ack 1 <mss 1460>
        +0   > 8080>40001 S. 0:0(0) ack 1 <mss 1460>
        +.1  < 40002>8080 . 1:1(0) ack 1 win 32792
        +0   < 40001>8080 . 1:1(0) ack 1 win 32792
        +0   accept(3, ..., ...) = 4
        +0   accept(3, ..., ...) = 5
        +0   < 40001>8080 P. 1:11(10) ack 1 win 32792
        +0   > 8080>40001 . 1:1(0) ack 11
        +0   read(5, ..., 100) = 10
        """, strict: true)
    }

    @Test("--strict: an unexpected packet of a second connection is caught at the end")
    func unexpectedOnSecond() {
        expectFail("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 2) = 0
        +0   < 40001>8080 S 0:0(0) win 32792 <mss 1000>
        +0   > 8080>40001 S. 0:0(0) ack 1 <mss 1460>
        +0   < 40002>8080 S 0:0(0) win 32792 <mss 1000>
        +1   < 40001>8080 . 1:1(0) ack 1 win 32792
        """, line: 6, "unexpected outbound packet at 0.000000 sec", strict: true)
    }
}
