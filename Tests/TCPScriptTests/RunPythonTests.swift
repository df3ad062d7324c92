import Testing
@testable import TCPScript

/// `%{ }%` blocks run with python3 and the socket under test's tcp_info in Linux's names and units.
@Suite("Runner: %{ }% blocks", .enabled(if: Run.python3Path != nil, "python3 is not on the PATH"))
struct RunPythonTests {
    @Test("a block sees the connection's tcp_info and Linux's constants; assertions that hold pass")
    func passes() {
        expectPass(passiveOpen + """
        +0 %{
        assert tcpi_state == TCP_ESTABLISHED, tcpi_state
        assert tcpi_ca_state == TCP_CA_Open
        # packetdrill's units: MSS in bytes, cwnd and ssthresh in segments, times in microseconds
        assert tcpi_snd_mss == 1000, tcpi_snd_mss
        assert tcpi_snd_cwnd * tcpi_snd_mss >= 2000, tcpi_snd_cwnd
        assert tcpi_snd_ssthresh == 0x7fffffff
        assert 0 < tcpi_rtt <= 100000 and tcpi_rto >= 200000, (tcpi_rtt, tcpi_rto)
        assert tcpi_unacked == 0 and tcpi_total_retrans == 0
        }%
        +0 write(4, ..., 3000) = 3000
        +0 > . 1:1001(1000) ack 1
        +0 > . 1001:2001(1000) ack 1
        +0 > P. 2001:3001(1000) ack 1
        +0 %{ assert tcpi_unacked == 3 and tcpi_bytes_acked == 0, tcpi_unacked }%
        +.1 < . 1:1(0) ack 3001 win 32792
        +0 %{ assert tcpi_unacked == 0 and tcpi_bytes_acked == 3000, tcpi_bytes_acked }%
        """)
    }

    @Test("an assertion that does not hold fails the script at the block's line, naming the assertion")
    func fails() throws {
        let f = try #require(expectFail(passiveOpen + "+0 %{\nassert tcpi_state == TCP_ESTABLISHED\nassert tcpi_snd_mss == 1460, tcpi_snd_mss\n}%\n",
                                        line: 9, "%{ }% block: assertion failed: assert tcpi_snd_mss == 1460, tcpi_snd_mss"))
        #expect(f.actual == "AssertionError: 1000")
        expectFail(passiveOpen + "+0 %{ 1/0 }%\n", line: 9, "%{ }% block: Python error")
        // Much on standard error does not stall the run.
        expectFail(passiveOpen + "+0 %{\nimport sys\nsys.stderr.write('x' * 1000000)\nassert False\n}%\n", line: 9, "assertion failed: assert False")
    }

    @Test("a name Python does not know makes the script UNSUPPORTED, naming it")
    func unknownName() {
        let r = run(passiveOpen + "+0 %{ assert tcpi_state == TCP_NEW_SYN_RECV }%\n")
        #expect(r.unsupportedReason?.contains("TCP_NEW_SYN_RECV") == true, "\(r.outcome)")
        #expect(Run.unfillableTCPInfoNames("assert tcpi_lost == 0 and tcpi_snd_cwnd > tcpi_reordering + tcpi_lost") == ["tcpi_lost", "tcpi_reordering"])
    }
}
