import Testing
import TCPCore
import TCPWire
@testable import TCPScript

/// The socket error queue (SocketErrorQueue, Run+ErrorQueue.swift): MSG_ZEROCOPY completion
/// notifications and SO_TIMESTAMPING transmit timestamps, read with recvmsg(MSG_ERRQUEUE).
@Suite("socket error queue: zero-copy notifications and transmit timestamps")
struct ErrorQueueTests {
    typealias Q = SocketErrorQueue

    func seq(_ n: UInt32) -> SequenceNumber { SequenceNumber(1000 &+ n) }
    func ms(_ n: Int64) -> Instant { Instant(nanoseconds: n * 1_000_000) }

    @Test("a zero-copy call completes when all its bytes are acknowledged; adjacent completions extend the last entry")
    func zeroCopyCoalesces() {
        var q = Q()
        q.zeroCopy = true
        q.zeroCopySend(end: seq(100), unsentFrom: seq(100))   // id 0, sent
        q.zeroCopySend(end: seq(300), unsentFrom: seq(300))   // id 1, sent
        q.acknowledged(through: seq(99), at: .zero)
        #expect(q.entries.isEmpty)
        q.acknowledged(through: seq(100), at: .zero)
        #expect(q.entries.map { [$0.info, $0.data] } == [[0, 0]])
        q.acknowledged(through: seq(300), at: .zero)
        #expect(q.entries.map { [$0.info, $0.data] } == [[0, 1]])
        #expect(q.entries[0].origin == Q.originZeroCopy && q.entries[0].code == Q.codeZeroCopyCopied && q.entries[0].errno == 0)
        #expect(q.reports == 2)
        // read: the next completion starts a new entry
        _ = q.dequeue()
        q.zeroCopySend(end: seq(400), unsentFrom: seq(400))
        q.acknowledged(through: seq(400), at: .zero)
        #expect(q.entries.map { [$0.info, $0.data] } == [[2, 2]])
    }

    @Test("a completion that does not follow the last entry's range gets an entry of its own")
    func zeroCopyGap() {
        var q = Q()
        q.notifyZeroCopy(low: 0, high: 0)
        q.notifyZeroCopy(low: 2, high: 2)
        q.notifyZeroCopy(low: 3, high: 4)
        #expect(q.entries.map { [$0.info, $0.data] } == [[0, 0], [2, 4]])
    }

    @Test("a call written while the previous call's last byte is unsent shares its buffer: one completion for both")
    func zeroCopyShares() {
        var q = Q()
        q.zeroCopySend(end: seq(100), unsentFrom: seq(0))     // nothing sent yet
        q.zeroCopySend(end: seq(200), unsentFrom: seq(0))
        #expect(q.zeroCopyPending == [Q.ZeroCopySend(low: 0, high: 1, end: seq(200))])
        q.acknowledged(through: seq(100), at: .zero)
        #expect(q.entries.isEmpty)
        q.acknowledged(through: seq(200), at: .zero)
        #expect(q.entries.map { [$0.info, $0.data] } == [[0, 1]])
    }

    @Test("the connection's end completes every pending zero-copy call and drops pending timestamps")
    func connectionGone() {
        var q = Q()
        q.setTimestamping(Q.txAck | Q.optID, sndUna: seq(0), writeSeq: seq(0))
        q.zeroCopySend(end: seq(100), unsentFrom: seq(100))
        q.timestampWrite(last: seq(99))
        q.connectionGone()
        #expect(q.entries.map { [$0.origin, $0.info, $0.data] } == [[Q.originZeroCopy, 0, 0]])
        #expect(q.isIdle)
    }

    @Test("timestamps: SCHED and SND when the last byte first leaves, ACK when it is acknowledged; OPT_ID counts from SND.UNA")
    func timestamps() {
        var q = Q()
        q.setTimestamping(Q.txSched | Q.txSoftware | Q.txAck | Q.software | Q.optID, sndUna: seq(0), writeSeq: seq(0))
        q.timestampWrite(last: seq(1999))
        q.transmitted(from: seq(0), to: seq(1000), at: ms(10))
        #expect(q.entries.isEmpty)
        q.transmitted(from: seq(1000), to: seq(2000), at: ms(20))
        q.transmitted(from: seq(1000), to: seq(2000), at: ms(30))   // a retransmission: nothing new
        #expect(q.entries.map(\.info) == [Q.tstampSched, Q.tstampSnd])
        #expect(q.entries.allSatisfy { $0.data == 1999 && $0.time == ms(20) && $0.errno == Q.enomsg && $0.carriesPacket })
        q.acknowledged(through: seq(1999), at: ms(40))
        #expect(q.entries.count == 2)
        q.acknowledged(through: seq(2000), at: ms(50))
        #expect(q.entries.last.map { [$0.info, $0.data] } == [Q.tstampAck, 1999])
        #expect(q.entries.last?.time == ms(50))
        #expect(q.isIdle)
    }

    @Test("OPT_ID's base is kept when set again; OPT_ID_TCP counts from the write sequence; OPT_TSONLY drops the packet copy")
    func timestampKeys() {
        var q = Q()
        q.setTimestamping(Q.txAck | Q.optID | Q.optIDTCP, sndUna: seq(0), writeSeq: seq(500))
        q.setTimestamping(Q.txAck | Q.optID | Q.optTSOnly, sndUna: seq(900), writeSeq: seq(900))
        q.timestampWrite(last: seq(599))
        q.acknowledged(through: seq(600), at: .zero)
        #expect(q.entries.map(\.data) == [99])
        #expect(q.entries.first?.carriesPacket == false)
        var plain = Q()
        plain.setTimestamping(Q.txAck, sndUna: seq(0), writeSeq: seq(0))
        plain.timestampWrite(last: seq(599))
        plain.acknowledged(through: seq(600), at: .zero)
        #expect(plain.entries.map(\.data) == [0])
    }

    // MARK: Through the runner

    @Test("recvmsg(MSG_ERRQUEUE) on an empty queue is EAGAIN; a zero-copy completion is checked field by field")
    func recvmsgChecks() {
        let setup = passiveOpen + """
        +0  setsockopt(4, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0
        +0  recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=0}, MSG_ERRQUEUE) = -1 EAGAIN (Resource temporarily unavailable)
        +0  send(4, ..., 10, MSG_ZEROCOPY) = 10
        +0  > P. 1:11(10) ack 1
        +0  < . 1:1(0) ack 11 win 257

        """
        func read(info: Int, code: String = "SO_EE_CODE_ZEROCOPY_COPIED", flags: String = "MSG_ERRQUEUE") -> String {
            """
            +0  recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=\(flags), msg_control=[{cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=0, ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_type=0, ee_code=\(code), ee_info=\(info), ee_data=\(info)}}]}, MSG_ERRQUEUE) = 0

            """
        }
        expectPass(setup + read(info: 0))
        expectFail(setup + read(info: 1), line: 14, "RECVERR ee_info: expected 1 actual 0")
        expectFail(setup + read(info: 0, code: "0"), line: 14, "RECVERR ee_code: expected 0 actual 1")
        expectFail(setup + read(info: 0, flags: "MSG_ERRQUEUE|MSG_TRUNC"), line: 14, "msg_flags")
        // the queue is read once
        expectFail(setup + read(info: 0) + read(info: 0), line: 15, "EAGAIN")
    }

    @Test("POLLERR while the error queue holds an entry")
    func pollErr() {
        expectPass(passiveOpen + """
        +0  setsockopt(4, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0
        +0  send(4, ..., 10, MSG_ZEROCOPY) = 10
        +0  > P. 1:11(10) ack 1
        +0  poll([{fd=4, events=POLLIN, revents=0}], 1, 0) = 0
        +0  < . 1:1(0) ack 11 win 257
        +0  poll([{fd=4, events=POLLIN, revents=POLLERR}], 1, 0) = 1
        """)
    }

    @Test("a MSG_ZEROCOPY sendmsg of more than 17 elements goes as records of 17, not merged")
    func zeroCopyFragments() {
        let call = "+0  sendmsg(4, {msg_name(...)=..., msg_iov(18)=[" + Array(repeating: "{..., 1}", count: 18).joined(separator: ", ")
            + "], msg_flags=0}, MSG_ZEROCOPY) = 18\n"
        let on = "+0  setsockopt(4, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0\n"
        expectPass(passiveOpen + on + call + """
        +0  > P. 1:18(17) ack 1
        +0  < . 1:1(0) ack 18 win 257
        +0  > P. 18:19(1) ack 1
        """)
        expectFail(passiveOpen + on + call + "+0  > P. 1:19(18) ack 1\n", line: 11, "payload length")
        // without SO_ZEROCOPY the flag is ignored: one segment
        expectPass(passiveOpen + call + "+0  > P. 1:19(18) ack 1\n")
    }

    @Test("features around the error queue TCPKit lacks are UNSUPPORTED, naming them")
    func unsupported() {
        let cases: [(String, String)] = [
            ("+0 setsockopt(4, SOL_SOCKET, SO_TIMESTAMPING, [SOF_TIMESTAMPING_RX_SOFTWARE], 4) = 0", "receive timestamps"),
            ("+0 setsockopt(4, SOL_SOCKET, SO_TIMESTAMPING, [SOF_TIMESTAMPING_OPT_STATS], 4) = 0", "OPT_STATS"),
        ]
        expectUnsupported(cases.map { (passiveOpen + $0.0 + "\n", $0.1) })
        // values Linux refuses
        expectPass(passiveOpen + """
        +0 setsockopt(4, SOL_SOCKET, SO_ZEROCOPY, [2], 4) = -1 EINVAL (Invalid argument)
        +0 setsockopt(4, SOL_SOCKET, SO_TIMESTAMPING, [SOF_TIMESTAMPING_OPT_ID_TCP], 4) = -1 EINVAL (Invalid argument)
        +0 setsockopt(4, SOL_SOCKET, SO_TIMESTAMPING, [0x100000], 4) = -1 EINVAL (Invalid argument)
        +0 setsockopt(3, SOL_SOCKET, SO_TIMESTAMPING, [SOF_TIMESTAMPING_OPT_ID], 4) = -1 EINVAL (Invalid argument)
        """)
    }
}
