import Testing
@testable import TCPScript

@Suite("System calls")
struct SyscallTests {
    @Test("recvfrom/sendto, MSG_PEEK and MSG_DONTWAIT")
    func variants() {
        expectPass(passiveOpen + """
        +0   sendto(4, ..., 10, 0, ..., ...) = 10
        +0   > P. 1:11(10) ack 1
        +0   recv(4, ..., 10, MSG_DONTWAIT) = -1 EAGAIN (Resource temporarily unavailable)
        +0   < P. 1:21(20) ack 11 win 257
        +0   > . 11:11(0) ack 21
        +0   recv(4, ..., 100, MSG_PEEK) = 20
        +0   recvfrom(4, ..., 15, 0, ..., ...) = 15
        +0   recv(4, ..., 100, 0) = 5
        """)
    }

    @Test("shutdown(SHUT_RD): reads return 0, nothing goes on the wire; SHUT_RDWR sends FIN")
    func shutdownRead() {
        expectPass(passiveOpen + """
        +0   shutdown(4, SHUT_RD) = 0
        +0   read(4, ..., 10) = 0
        +0   shutdown(4, SHUT_RDWR) = 0
        +0   > F. 1:1(0) ack 1
        +0   shutdown(4, 7) = -1 EINVAL (Invalid argument)
        """)
    }

    @Test("poll with a timeout blocks until its deadline, or until something happens")
    func pollTimeout() {
        expectPass(passiveOpen + """
        +0...0.5 poll([{fd=4, events=POLLIN, revents=0}], 1, 500) = 0
        +.5  poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 500) = 1
        +0...0.2 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 1000) = 1
        +.2  < P. 1:11(10) ack 1 win 257
        +0   > . 1:1(0) ack 11
        +0   poll([{fd=99, events=POLLIN, revents=POLLNVAL}], 1, 0) = 1
        """)
    }

    @Test("errors of the socket layer: EBADF, EINVAL, ENOTCONN, EPIPE, EISCONN, EADDRINUSE (a listening port, SO_REUSEADDR or not)")
    func errors() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   close(9) = -1 EBADF (Bad file descriptor)
        +0   accept(3, ..., ...) = -1 EINVAL (Invalid argument)
        +0   read(3, ..., 10) = -1 ENOTCONN (Transport endpoint is not connected)
        +0   write(3, ..., 10) = -1 EPIPE (Broken pipe)
        +0   shutdown(3, SHUT_WR) = -1 ENOTCONN (Transport endpoint is not connected)
        +0   bind(3, ..., ...) = 0
        +0   bind(3, ..., ...) = -1 EINVAL (Invalid argument)
        +0   listen(3, 1) = 0
        +0   connect(3, ..., ...) = -1 EISCONN (Transport endpoint is already connected)
        +0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
        +0   bind(4, ..., ...) = -1 EADDRINUSE (Address already in use)
        +0   setsockopt(4, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        +0   bind(4, ..., ...) = -1 EADDRINUSE (Address already in use)
        +0   listen(4, 1) = -1 EADDRINUSE (Address already in use)
        +0   close(4) = 0
        +0   close(3) = 0
        +0   close(3) = -1 EBADF (Bad file descriptor)
        """)
    }

    @Test("listen() without bind() listens on the bind port; getsockopt of buffers and SO_TYPE")
    func listenWithoutBind() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], [4]) = 0
        +0   getsockopt(3, SOL_SOCKET, SO_SNDBUF, [65536], [4]) = 0
        +0   getsockopt(3, SOL_SOCKET, SO_TYPE, [SOCK_STREAM], [4]) = 0
        +0   getsockopt(3, SOL_SOCKET, SO_REUSEADDR, [0], [4]) = 0
        +0   listen(3, 1) = 0
        +0   < S 0:0(0) win 32792 <mss 1000>
        +0   > S. 0:0(0) ack 1 <mss 1460>
        """)
    }

    @Test("a getsockopt value that differs is a FAIL naming both values")
    func getsockoptMismatch() {
        expectFail("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [1000], [4]) = 0", line: 2,
                   "bad getsockopt optval: expected 1000 actual 65536")
    }

    @Test("a blocking write waits for buffer space, which ACKs free")
    func blockingWrite() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   setsockopt(3, SOL_SOCKET, SO_SNDBUF, [1000], 4) = 0
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 1) = 0
        +0   < S 0:0(0) win 32792 <mss 1000>
        +0   > S. 0:0(0) ack 1 <mss 1460>
        +.1  < . 1:1(0) ack 1 win 32792
        +0   accept(3, ..., ...) = 4
        +0   setsockopt(4, IPPROTO_TCP, TCP_NODELAY, [1], 4) = 0
        +0...0.2 write(4, ..., 2500) = 2500
        +0   > P. 1:1001(1000) ack 1
        +.1  < . 1:1(0) ack 1001 win 32792
        +0   > P. 1001:2001(1000) ack 1
        +.1  < . 1:1(0) ack 2001 win 32792
        +0   > P. 2001:2501(500) ack 1
        +0   fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
        +0   write(4, ..., 1000) = 500
        +0   > P. 2501:3001(500) ack 1
        +0   write(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)
        +.1  < . 1:1(0) ack 3001 win 32792
        +0   write(4, ..., 10) = 10
        +0   > P. 3001:3011(10) ack 1
        """)
    }

    @Test("after a refused connect whose error was reported, connect() tries again")
    func reconnect() {
        expectPass("""
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0...0.1 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)
        +0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
        +.1  < R. 0:0(0) ack 1 win 0
        +1...1.1 connect(3, ..., ...) = 0
        +0   > S 0:0(0) <...>
        +.1  < S. 0:0(0) ack 1 win 5792 <mss 1460>
        +0   > . 1:1(0) ack 1
        """)
    }

    @Test("a duplicate descriptor in the script is a FAIL")
    func duplicateFD() {
        expectFail("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3", line: 2, "duplicate fd 3 in script")
    }

    @Test("a wrong argument count is a FAIL at the call")
    func argumentCount() {
        expectFail("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3) = 0", line: 2, "listen(): expected 2 arguments but got 1")
    }

    @Test("a second blocking call while one is in progress is a FAIL, as in packetdrill")
    func twoBlocking() {
        expectFail(passiveOpen + "+0...1 read(4, ..., 10) = 10\n+0...1 read(4, ..., 10) = 10", line: 10,
                   "blocking system call while another blocking system call is already in progress")
    }
}
