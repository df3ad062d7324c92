import Testing
@testable import TCPScript

/// How packetdrill follows sockets, which the runner copies: only the socket under test is sniffed.
@Suite("packetdrill's socket under test")
struct PacketdrillSocketTests {
    /// Two active opens one after the other; the first socket's FIN after close() is not in the script.
    static let twoConnections = """
    0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
    +0    fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
    +0    connect(3, ..., ...) = -1 EINPROGRESS (Operation is now in progress)
    +0    > S 0:0(0) <...>
    +.1   < S. 0:0(0) ack 1 win 32792 <mss 1460,sackOK,nop,nop>
    +0    > . 1:1(0) ack 1
    +0    close(3) = 0
    +0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
    +0    fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
    +0    connect(4, ..., ...) = -1 EINPROGRESS (Operation is now in progress)
    +0    > S 0:0(0) <...>
    +.1   < S. 0:0(0) ack 1 win 32792 <mss 1460,sackOK,nop,nop>
    +0    > . 1:1(0) ack 1
    +.1   write(4, ..., 10) = 10
    +0    > P. 1:11(10) ack 1
    +.1   < . 1:1(0) ack 11 win 32792
    """

    @Test("a packet of a socket no longer under test is let go (sniff_outbound_live_packet drops it)")
    func earlierSocketIgnored() {
        expectPass(Self.twoConnections)
    }

    @Test("--strict: the earlier socket's unlisted FIN fails the script")
    func earlierSocketStrict() {
        let f = expectFail(Self.twoConnections, line: 11, "unexpected outbound packet at 0.100000 sec", strict: true)
        #expect(f?.actual?.hasPrefix("F. 1:1(0) ack 1") == true)
    }

    @Test("the socket under test's own packet after its last outbound line is let go (packetdrill never reads it); an outbound line still takes it")
    func socketUnderTestChecked() {
        let tail = "\n+0    write(4, ..., 10) = 10\n+1    read(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)"
        expectPass(Self.twoConnections + tail)
        // With an outbound line after it, the unlisted data segment is what that line sees.
        let f = expectFail(Self.twoConnections + tail + "\n+0 > F. 1:1(0) ack 1", line: 19, "outbound packet")
        #expect(f?.actual?.hasPrefix("P. 11:21(10) ack 1") == true)
    }
}
