import TCPCore
import TCPWire

extension Symbols {
    /// Constants of the socket error queue (Run+ErrorQueue.swift), Linux's values
    /// (include/uapi/linux/net_tstamp.h, errqueue.h, in.h, in6.h).
    static let errorQueueConstants: [String: Int64] = [
        "SOF_TIMESTAMPING_TX_HARDWARE": 1 << 0, "SOF_TIMESTAMPING_TX_SOFTWARE": 1 << 1,
        "SOF_TIMESTAMPING_RX_HARDWARE": 1 << 2, "SOF_TIMESTAMPING_RX_SOFTWARE": 1 << 3,
        "SOF_TIMESTAMPING_SOFTWARE": 1 << 4, "SOF_TIMESTAMPING_SYS_HARDWARE": 1 << 5,
        "SOF_TIMESTAMPING_RAW_HARDWARE": 1 << 6, "SOF_TIMESTAMPING_OPT_ID": 1 << 7,
        "SOF_TIMESTAMPING_TX_SCHED": 1 << 8, "SOF_TIMESTAMPING_TX_ACK": 1 << 9,
        "SOF_TIMESTAMPING_OPT_CMSG": 1 << 10, "SOF_TIMESTAMPING_OPT_TSONLY": 1 << 11,
        "SOF_TIMESTAMPING_OPT_STATS": 1 << 12, "SOF_TIMESTAMPING_OPT_PKTINFO": 1 << 13,
        "SOF_TIMESTAMPING_OPT_TX_SWHW": 1 << 14, "SOF_TIMESTAMPING_BIND_PHC": 1 << 15,
        "SOF_TIMESTAMPING_OPT_ID_TCP": 1 << 16,
        "SCM_TSTAMP_SND": 0, "SCM_TSTAMP_SCHED": 1, "SCM_TSTAMP_ACK": 2,
        "SO_EE_ORIGIN_NONE": 0, "SO_EE_ORIGIN_LOCAL": 1, "SO_EE_ORIGIN_ICMP": 2, "SO_EE_ORIGIN_ICMP6": 3,
        "SO_EE_CODE_ZEROCOPY_COPIED": 1, "ENOMSG": 42,
        "IP_RECVERR": 11, "IPV6_RECVERR": 25,
        // packetdrill's names for the address family's level and type (IPv4 values; an IPv6 run
        // takes them for SOL_IPV6 / IPV6_RECVERR, see `errorQueueRecvmsg`).
        "CMSG_LEVEL_IP": 0, "CMSG_TYPE_RECVERR": 11,
    ]
}

/// The socket error queue: SO_ZEROCOPY completion notifications and SO_TIMESTAMPING transmit
/// timestamps (`SocketErrorQueue`), fed from what the engine does: the segments the runner sees
/// leave (`errorQueueSaw`), SND.UNA after every step and the connection's end (`serviceErrorQueues`).
extension Run {
    static let msgZeroCopy: Int64 = 0x400_0000
    static let msgErrQueue: Int64 = 0x2000
    static let msgTrunc: Int64 = 0x20

    /// The sequence number after the last byte written so far: the data starts after the SYN.
    func writeSequence(_ info: ConnectionInfo) -> SequenceNumber {
        (info.sndUna == info.iss ? info.iss + 1 : info.sndUna) + info.bytesBuffered
    }

    // MARK: Socket options

    /// setsockopt(SO_ZEROCOPY) and setsockopt(SO_TIMESTAMPING).
    func errorQueueOption(_ call: Call, _ s: ScriptSocket, name: Int64, value: Int64) throws(Stop) -> Attempt {
        typealias Q = SocketErrorQueue
        if name == 60 {   // SO_ZEROCOPY: a boolean (Linux: EINVAL for other values)
            guard value == 0 || value == 1 else { return .done(.error("EINVAL")) }
            s.errorQueue.zeroCopy = value == 1
            return .done(.value(0))
        }
        // SO_TIMESTAMPING (Linux's sock_set_timestamping).
        guard value & ~Q.flagMask == 0 else { return .done(.error("EINVAL")) }
        if value & Q.optIDTCP != 0 && value & Q.optID == 0 { return .done(.error("EINVAL")) }
        if let why = Run.timestampingLacks(value) { throw .unsupported("line \(call.line): \(why)") }
        var una = SequenceNumber(0), writeSeq = SequenceNumber(0)
        if value & Q.optID != 0 && s.errorQueue.timestamping & Q.optID == 0 {
            // OPT_ID counts bytes of the connection: EINVAL while there is none (CLOSE, LISTEN).
            guard let cid = s.connection, let info = stack?.info(of: cid), info.state != .closed else {
                return .done(.error("EINVAL"))
            }
            una = info.sndUna
            writeSeq = writeSequence(info)
        }
        s.errorQueue.setTimestamping(value, sndUna: una, writeSeq: writeSeq)
        return .done(.value(0))
    }

    /// SO_TIMESTAMPING flags asking for what TCPKit does not have; nil when it has it all.
    static func timestampingLacks(_ value: Int64) -> String? {
        typealias Q = SocketErrorQueue
        let missing: [(Int64, String)] = [
            (Q.rxSoftware | Q.rxHardware, "receive timestamps (SOF_TIMESTAMPING_RX_*)"),
            (Q.optStats, "SOF_TIMESTAMPING_OPT_STATS (connection statistics with each timestamp)"),
            (Q.optCmsg | Q.optPktinfo, "SOF_TIMESTAMPING_OPT_CMSG / OPT_PKTINFO (packet information with each timestamp)"),
            (Q.bindPHC, "SOF_TIMESTAMPING_BIND_PHC (a hardware clock)"),
        ]
        guard let (_, what) = missing.first(where: { value & $0.0 != 0 }) else { return nil }
        return "SO_TIMESTAMPING with \(what) is not supported"
    }

    /// Dry-run check (in `prepare`): an SO_TIMESTAMPING that asks for what TCPKit lacks makes the
    /// script UNSUPPORTED however far the run gets.
    func checkErrorQueueCall(_ s: SyscallSpec, line: Int) throws(Stop) {
        guard s.name == "setsockopt", s.arguments.count == 5, (try? s.arguments[1].integerValue()) == 1,
              (try? s.arguments[2].integerValue()) == 37, let value = try? s.arguments[3].integerValue(),
              let why = Run.timestampingLacks(value) else { return }
        throw .unsupported("line \(line): \(why)")
    }

    // MARK: What the engine did

    /// A write, send, sendto or sendmsg on `fd` returned: what it queued asks for a zero-copy
    /// notification (MSG_ZEROCOPY on an SO_ZEROCOPY socket) and for transmit timestamps.
    func errorQueueWrote(_ fd: Int64?, flags: Int64, _ a: Attempt) {
        guard let fd, let s = fds[fd], case .done(.value(let n)) = a, n > 0, let cid = s.connection,
              let info = stack?.info(of: cid) else { return }
        let zeroCopy = s.errorQueue.zeroCopy && flags & Run.msgZeroCopy != 0
        guard zeroCopy || s.errorQueue.timestamping != 0 else { return }
        let end = writeSequence(info)
        if zeroCopy { s.errorQueue.zeroCopySend(end: end, unsentFrom: info.sndNxt) }
        s.errorQueue.timestampWrite(last: end - 1)
        // The call's own drain may have sent the last byte already, at this instant.
        if end - 1 < info.sndNxt { s.errorQueue.transmitted(from: end - 1, to: end, at: now) }
        serviceErrorQueues()
    }

    /// An outbound segment: the data it carries was sent (timestamps SCHED and SND).
    func errorQueueSaw(_ seg: WireSegment) {
        guard seg.payloadLength > 0 else { return }
        for s in sockets where !s.errorQueue.timestampPending.isEmpty && belongs(seg, to: s) {
            let start = SequenceNumber(seg.seq) + (seg.flags.contains(.syn) ? 1 : 0)
            s.errorQueue.transmitted(from: start, to: start + seg.payloadLength, at: seg.time)
        }
    }

    /// After every step: acknowledged data completes zero-copy sends and earns ACK timestamps; a
    /// connection that is gone drops its send queue, completing its zero-copy sends.
    func serviceErrorQueues() {
        for s in sockets where !s.errorQueue.isIdle {
            guard let cid = s.connection else { continue }
            if let info = stack?.info(of: cid), info.state != .closed {
                s.errorQueue.acknowledged(through: info.sndUna, at: now)
            } else {
                s.errorQueue.connectionGone()
            }
        }
    }

    // MARK: recvmsg(..., MSG_ERRQUEUE)

    /// Dequeues the oldest entry (EAGAIN when there is none: the error queue never blocks) and
    /// checks it against the script's msghdr: msg_flags, then the control messages in order,
    /// SCM_TIMESTAMPING (only with SOF_TIMESTAMPING_SOFTWARE, Linux's __sock_recv_timestamp) and
    /// the RECVERR `sock_extended_err`.
    func errorQueueRecvmsg(_ call: inout Call, _ m: MessageHeader, _ s: ScriptSocket) throws(Stop) -> Attempt {
        guard let e = s.errorQueue.dequeue() else { return .done(.error("EAGAIN")) }
        let room = m.lengths.reduce(0, +)
        if e.carriesPacket && room > 0 {
            throw .unsupported("line \(call.line): the packet copy Linux attaches to a transmit timestamp (read into a \(room)-byte buffer) is not modelled")
        }
        let flags = Run.msgErrQueue | (e.carriesPacket ? Run.msgTrunc : 0)
        if m.flags != flags {
            call.after.append(("msg_flags: expected \(m.flags) actual \(flags)", "msg_flags=\(m.flags)", "msg_flags=\(flags)"))
        }
        let ipv6 = settings.localIP.isIPv6
        var actual: [(level: Int64, type: Int64, fields: [(String, Int64)], name: String)] = []
        if let t = e.time, s.errorQueue.timestamping & SocketErrorQueue.software != 0 {
            let ns = t.nanoseconds
            actual.append((1, 37, [("scm_sec", ns / 1_000_000_000), ("scm_nsec", ns % 1_000_000_000)], "SCM_TIMESTAMPING"))
        }
        actual.append((ipv6 ? 41 : 0, ipv6 ? 25 : 11,
                       [("ee_errno", e.errno), ("ee_origin", e.origin), ("ee_type", e.type), ("ee_code", e.code),
                        ("ee_info", e.info), ("ee_data", e.data)], "RECVERR"))
        if m.control.count != actual.count {
            call.after.append(("recvmsg control messages: expected \(m.control.count) actual \(actual.count) (\(actual.map(\.name).joined(separator: ", ")))",
                               "\(m.control.count) control messages", "\(actual.count)"))
        }
        for (c, a) in zip(m.control, actual) {
            // packetdrill's CMSG_LEVEL_IP / CMSG_TYPE_RECVERR name the run's family (IPv4 values here).
            let familyNames = c.text == "CMSG_LEVEL_IP/CMSG_TYPE_RECVERR"
            let sameKind = (c.level == a.level && c.type == a.type) || (a.name == "RECVERR" && ipv6 && familyNames)
            guard sameKind else {
                let kind = a.name == "RECVERR" ? (ipv6 ? "SOL_IPV6/IPV6_RECVERR" : "SOL_IP/IP_RECVERR") : "SOL_SOCKET/SCM_TIMESTAMPING"
                call.after.append(("recvmsg control message: expected \(c.text) actual \(kind)", c.text, kind))
                continue
            }
            if c.data.isEllipsis { continue }
            guard let want = c.data.fields else {
                throw .unsupported("line \(call.line): control message data \(c.data) is not {field=value, ...}")
            }
            try compareControlFields(&call, want, a.fields, name: a.name)
        }
        return .done(.value(0))
    }

    /// The fields of one control message; a timestamp is script time and compared within the
    /// run's tolerance, the rest exactly.
    func compareControlFields(_ call: inout Call, _ want: [String: Expression], _ actual: [(String, Int64)], name: String) throws(Stop) {
        var values: [String: Int64] = [:]
        for (k, v) in want {
            guard actual.contains(where: { $0.0 == k }) else {
                throw .unsupported("line \(call.line): \(name) field \(k) is not available")
            }
            if v.isEllipsis { continue }
            do { values[k] = try v.integerValue() } catch { throw unsupportedValue(call.line, error) }
        }
        if name == "SCM_TIMESTAMPING" {
            let a = actual.reduce(into: [String: Int64]()) { $0[$1.0] = $1.1 }
            let got = (a["scm_sec"] ?? 0) * 1_000_000 + (a["scm_nsec"] ?? 0) / 1000
            guard values["scm_sec"] != nil || values["scm_nsec"] != nil else { return }
            let expected = (values["scm_sec"] ?? a["scm_sec"] ?? 0) * 1_000_000 + (values["scm_nsec"] ?? a["scm_nsec"] ?? 0) / 1000
            let tol = tolerance(expected, since: nil)
            if abs(got - expected) > tol {
                call.after.append(("SCM_TIMESTAMPING: expected \(formatMicros(expected)) sec actual \(formatMicros(got)) sec; tolerance \(formatMicros(tol)) sec",
                                   formatMicros(expected), formatMicros(got)))
            }
            return
        }
        for (k, v) in actual {
            if let w = values[k], w != v {
                call.after.append(("\(name) \(k): expected \(w) actual \(v)", "\(k)=\(w)", "\(k)=\(v)"))
            }
        }
    }
}
