import Testing
@testable import TCPScript

/// Issue 17's calls: msghdr and epoll structures, epoll, pipe, tcp_info in Linux's units, and
/// `%{ }%` Python blocks.
@Suite("sendmsg, epoll, tcp_info and Python blocks")
struct MessageCallTests {
    @Test("a msghdr with counted fields parses: msg_iov(N)=[...], msg_control=[{cmsg_...}]")
    func parsesMessageHeader() throws {
        let s = try ScriptParser.parse("""
        0 recvmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 10}, {iov_base=..., iov_len=5}], msg_flags=0,
                      msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=9000}]}, MSG_PEEK|MSG_DONTWAIT) = 15
        """)
        guard case .syscall(let call) = s.events[0].action, case .braces(let fields) = call.arguments[1] else {
            Issue.record("not a recvmsg with a structure: \(s.events)")
            return
        }
        #expect(fields.count == 4)
        guard case let .binary("=", .call("msg_iov", [.integer(2)]), .list(iovs)) = fields[1] else {
            Issue.record("msg_iov field: \(fields[1])")
            return
        }
        #expect(iovs.count == 2)
        #expect(try call.arguments[2].integerValue() == 0x42)
    }

    @Test("sendmsg sums its iovec; a count that does not match the array fails")
    func sendmsgCount() {
        expectPass(passiveOpen + """
        +0   sendmsg(4, {msg_name(...)=..., msg_iov(3)=[{..., 10}, {..., 0}, {..., 20}], msg_flags=0}, 0) = 30
        +0   > P. 1:31(30) ack 1
        """)
        expectFail(passiveOpen + """
        +0   sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 10}], msg_flags=0}, 0) = 10
        """, line: 9, "msg_iov(2)")
    }

    @Test("recvmsg with MSG_WAITALL blocks until the whole count arrived")
    func waitAll() {
        expectPass(passiveOpen + """
        +0...0.2 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 30}], msg_flags=0}, MSG_WAITALL) = 30
        +.1  < P. 1:11(10) ack 1 win 257
        +0   > . 1:1(0) ack 11
        +.1  < P. 11:31(20) ack 1 win 257
        +0   > . 1:1(0) ack 31
        """)
    }

    @Test("TCP_CM_INQ is checked: a wrong count fails")
    func inqChecked() {
        expectFail(passiveOpen + """
        +0   setsockopt(4, SOL_TCP, TCP_INQ, [1], 4) = 0
        +0   < P. 1:101(100) ack 1 win 257
        +0   > . 1:1(0) ack 101
        +0   recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 40}], msg_flags=0, msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=0}]}, 0) = 40
        """, line: 12, "TCP_CM_INQ: expected 0 actual 60")
    }

    @Test("features TCPKit lacks are UNSUPPORTED, naming them: receive timestamps, splice, open() for writing")
    func unsupportedFeatures() {
        let cases: [(String, String)] = [
            ("+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 40}], msg_flags=0, msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data=...}]}, 0) = 0",
             "control message"),
            ("+0 pipe([5, 6]) = 0\n+0 splice(4, NULL, 6, NULL, 99, 0) = 99", "splice()"),
            ("+0 open(\"/tmp/f\", O_WRONLY) = 5", "open() for writing"),
            ("+0 setsockopt(4, SOL_SOCKET, SO_TIMESTAMPING, [SOF_TIMESTAMPING_RX_SOFTWARE], 4) = 0", "SO_TIMESTAMPING"),
        ]
        expectUnsupported(cases.map { (passiveOpen + $0.0 + "\n", $0.1) })
    }

    @Test("epoll: edge-triggered reports new data once, level-triggered while it is unread, EPOLLONESHOT once until MOD")
    func epollTriggers() {
        expectPass(passiveOpen + """
        +0   epoll_create1(0) = 5
        +0   epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLET, fd=4}) = 0
        +0   epoll_wait(5, {events=0, fd=0}, 1, 0) = 0
        +0   < P. 1:11(10) ack 1 win 257
        +0   > . 1:1(0) ack 11
        +0   epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 1
        +0   epoll_wait(5, {events=0, fd=0}, 1, 0) = 0
        +0   epoll_ctl(5, EPOLL_CTL_MOD, 4, {events=EPOLLIN, fd=4}) = 0
        +0   epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 1
        +0   epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 1
        +0   epoll_ctl(5, EPOLL_CTL_MOD, 4, {events=EPOLLIN|EPOLLONESHOT, fd=4}) = 0
        +0   epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 1
        +0   epoll_wait(5, {events=0, fd=0}, 1, 0) = 0
        """)
        // The reported events are compared: a level-triggered EPOLLOUT the script did not expect fails.
        expectFail(passiveOpen + """
        +0   epoll_create(1) = 5
        +0   epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLOUT, fd=4}) = 0
        +0   epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 1
        """, line: 11, "expected events POLLIN actual POLLOUT")
    }

    @Test("TCP_NOTSENT_LOWAT: EPOLLOUT only while fewer bytes than the mark wait unsent")
    func notSentLowat() {
        expectPass(passiveOpen + """
        +0   setsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [500], 4) = 0
        +0   epoll_create(1) = 5
        +0   epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLOUT, fd=4}) = 0
        +0   epoll_wait(5, {events=EPOLLOUT, fd=4}, 1, 0) = 1
        +0   write(4, ..., 12000) = 12000
        +0   > . 1:1001(1000) ack 1
        +0   > . 1001:2001(1000) ack 1
        +0   > . 2001:3001(1000) ack 1
        +0   > . 3001:4001(1000) ack 1
        +0   > . 4001:5001(1000) ack 1
        +0   > . 5001:6001(1000) ack 1
        +0   > . 6001:7001(1000) ack 1
        +0   > . 7001:8001(1000) ack 1
        +0   > . 8001:9001(1000) ack 1
        +0   > . 9001:10001(1000) ack 1
        +0   epoll_wait(5, {events=0, fd=0}, 1, 0) = 0
        +.1  < . 1:1(0) ack 10001 win 32792
        +0   > . 10001:11001(1000) ack 1
        +0   > P. 11001:12001(1000) ack 1
        +0   epoll_wait(5, {events=EPOLLOUT, fd=4}, 1, 0) = 1
        """)
    }

    @Test("Linux's state numbers; every name the mapping fills is a Linux tcp_info name")
    func linuxUnits() {
        #expect(LinuxTCPInfo.state(.established) == 1)
        #expect(LinuxTCPInfo.state(.listen) == 10)
        #expect(LinuxTCPInfo.state(.closeWait) == 8)
        #expect(LinuxTCPInfo.state(.timeWait) == 6)
        // Every name the mapping fills is one Linux has.
        #expect(LinuxTCPInfo.providedNames.isSubset(of: LinuxTCPInfo.linuxNames))
    }
}

/// `%{ }%` blocks run in python3 with the tcpi_ names.
@Suite("Python blocks", .enabled(if: Run.python3Path != nil, "python3 is not on the PATH"))
struct PythonBlockTests {
    static let transfer = passiveOpen + """
    +0   write(4, ..., 3000) = 3000
    +0   > . 1:1001(1000) ack 1
    +0   > . 1001:2001(1000) ack 1
    +0   > P. 2001:3001(1000) ack 1

    """

    @Test("a block sees the socket's tcp_info at its time; names persist from block to block")
    func passes() {
        expectPass(Self.transfer + """
        +0   %{
        assert tcpi_unacked == 3, tcpi_unacked
        assert tcpi_state == TCP_ESTABLISHED and tcpi_ca_state == TCP_CA_Open
        assert tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH
        assert tcpi_snd_mss == 1000 and tcpi_snd_cwnd == 10
        cwnd = tcpi_snd_cwnd
        }%
        +.1  < . 1:1(0) ack 3001 win 257
        +0   %{ assert tcpi_unacked == 0; assert tcpi_bytes_acked == 3000; assert tcpi_snd_cwnd == cwnd }%
        +0   %{ assert 99000 <= tcpi_rtt <= 101000, tcpi_rtt }%
        +0   %{ assert tcpi_unacked == 0, tcpi_unacked;\\
                 assert tcpi_snd_mss == 1000;\\
        }%
        +0   %{ if tcpi_unacked == 0:
                   assert tcpi_snd_mss == 1000
        }%
        """)
    }

    @Test("a failing assert fails the script at the block's line with Python's message")
    func assertFails() {
        let f = expectFail(Self.transfer + """
        +0   %{ assert tcpi_unacked == 3 }%
        +.1  < . 1:1(0) ack 3001 win 257
        +0   %{ assert tcpi_unacked == 7, 'unacked=%d' % tcpi_unacked }%
        """, line: 15, "unacked=0")
        #expect(f?.message.contains("assertion failed") == true)
    }

    @Test("a tcpi_ name TCPKit cannot fill makes the script UNSUPPORTED, naming it")
    func unavailableName() {
        let r = run(Self.transfer + """
        +0   %{ assert tcpi_reord_seen > 0 }%
        """)
        guard case .unsupported(let why) = r.outcome else {
            Issue.record("expected UNSUPPORTED, got \(r.outcome)")
            return
        }
        #expect(why.contains("tcpi_reord_seen"))
        #expect(why.contains("line 13"))
    }
}
