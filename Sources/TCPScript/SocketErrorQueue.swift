import TCPCore
import TCPWire

/// A socket's error queue (Linux's `sk_error_queue`, read with `recvmsg(..., MSG_ERRQUEUE)`) and
/// the sends that will feed it: MSG_ZEROCOPY completion notifications and SO_TIMESTAMPING
/// transmit timestamps. It holds socket-layer state only; what the engine did (a segment sent,
/// data acknowledged, the connection gone) is told to it by sequence number.
///
/// TCPKit copies every send into its send buffer: it pins no user pages. A zero-copy send is
/// therefore always reported as copied (`SO_EE_CODE_ZEROCOPY_COPIED`), as Linux reports a send
/// whose pages had to be copied after all (a device without scatter-gather, a tun device, loopback).
struct SocketErrorQueue {
    /// One `struct sock_extended_err` with what comes with it.
    struct Entry: Equatable {
        var errno: Int64
        var origin: Int64
        var type: Int64 = 0
        var code: Int64
        var info: Int64
        var data: Int64
        /// The software time of a transmit timestamp (SCM_TIMESTAMPING's first timespec).
        var time: Instant?
        /// Linux attaches a copy of the packet to a timestamp (not with SOF_TIMESTAMPING_OPT_TSONLY,
        /// never to a zero-copy notification); TCPKit does not model its bytes, only that it is there.
        var carriesPacket = false
    }

    /// A zero-copy send whose notification is due once `end` (the sequence number after its last
    /// byte) is acknowledged: calls `low...high` (consecutive calls that shared a buffer).
    struct ZeroCopySend: Equatable {
        var low: UInt32
        var high: UInt32
        var end: SequenceNumber
    }

    /// A write whose last byte (`last`) carries timestamp requests.
    struct TimestampRequest: Equatable {
        var last: SequenceNumber
        /// The SOF_TIMESTAMPING_TX_* flags at the time of the write.
        var flags: Int64
        var key: Int64
        var sent = false
    }

    // Linux's values (include/uapi/linux/errqueue.h, net_tstamp.h).
    static let originZeroCopy: Int64 = 5, originTimestamping: Int64 = 4
    static let codeZeroCopyCopied: Int64 = 1
    static let tstampSnd: Int64 = 0, tstampSched: Int64 = 1, tstampAck: Int64 = 2
    static let enomsg: Int64 = 42
    static let txHardware: Int64 = 1 << 0, txSoftware: Int64 = 1 << 1, rxHardware: Int64 = 1 << 2
    static let rxSoftware: Int64 = 1 << 3, software: Int64 = 1 << 4, optID: Int64 = 1 << 7
    static let txSched: Int64 = 1 << 8, txAck: Int64 = 1 << 9, optCmsg: Int64 = 1 << 10
    static let optTSOnly: Int64 = 1 << 11, optStats: Int64 = 1 << 12, optPktinfo: Int64 = 1 << 13
    static let optTxSwHw: Int64 = 1 << 14, bindPHC: Int64 = 1 << 15, optIDTCP: Int64 = 1 << 16
    /// SOF_TIMESTAMPING_MASK as of Linux 6.x: every flag up to OPT_ID_TCP.
    static let flagMask: Int64 = (1 << 17) - 1

    var entries: [Entry] = []
    /// How many times something was queued (Linux's sk_error_report): epoll's edge-triggered
    /// wakeups.
    var reports = 0

    /// SO_ZEROCOPY.
    var zeroCopy = false
    /// The next zero-copy call's id (Linux's sk_zckey).
    var nextZeroCopyID: UInt32 = 0
    var zeroCopyPending: [ZeroCopySend] = []

    /// SO_TIMESTAMPING's flags.
    var timestamping: Int64 = 0
    /// SOF_TIMESTAMPING_OPT_ID's base (Linux's sk_tskey): the sequence number key 0 stands for.
    var keyBase = SequenceNumber(0)
    var timestampPending: [TimestampRequest] = []

    var isIdle: Bool { zeroCopyPending.isEmpty && timestampPending.isEmpty }

    mutating func dequeue() -> Entry? { entries.isEmpty ? nil : entries.removeFirst() }

    // MARK: Zero-copy

    /// A MSG_ZEROCOPY call that queued bytes ending before `end`. `unsentFrom` is SND.NXT: when
    /// the previous zero-copy call's last byte is still unsent, the new bytes join its buffer and
    /// both calls complete together (Linux extends the tail skb's ubuf_info, msg_zerocopy_realloc).
    mutating func zeroCopySend(end: SequenceNumber, unsentFrom sndNxt: SequenceNumber) {
        let id = nextZeroCopyID
        nextZeroCopyID &+= 1
        if var last = zeroCopyPending.last, last.high &+ 1 == id, last.end > sndNxt {
            last.high = id
            last.end = end
            zeroCopyPending[zeroCopyPending.count - 1] = last
            return
        }
        zeroCopyPending.append(ZeroCopySend(low: id, high: id, end: end))
    }

    /// Queues a completion of calls `low...high`; it extends the queue's last entry when that is
    /// a zero-copy notification ending just before `low` (Linux's skb_zerocopy_notify_extend).
    mutating func notifyZeroCopy(low: UInt32, high: UInt32) {
        reports += 1
        if var tail = entries.last, tail.origin == Self.originZeroCopy, UInt32(truncatingIfNeeded: tail.data) &+ 1 == low,
           UInt64(UInt32(truncatingIfNeeded: tail.data) &- UInt32(truncatingIfNeeded: tail.info)) + 1 + UInt64(high &- low) + 1 < 1 << 32 {
            tail.data = Int64(high)
            entries[entries.count - 1] = tail
            return
        }
        entries.append(Entry(errno: 0, origin: Self.originZeroCopy, code: Self.codeZeroCopyCopied, info: Int64(low), data: Int64(high)))
    }

    // MARK: Timestamping

    /// SO_TIMESTAMPING set to `flags` on a connection whose SND.UNA and write sequence are given.
    /// OPT_ID starts counting when it is first turned on (Linux's sock_set_timestamping): from
    /// SND.UNA, or from the next byte written with OPT_ID_TCP.
    mutating func setTimestamping(_ flags: Int64, sndUna: SequenceNumber, writeSeq: SequenceNumber) {
        if flags & Self.optID != 0 && timestamping & Self.optID == 0 {
            keyBase = flags & Self.optIDTCP != 0 ? writeSeq : sndUna
        }
        timestamping = flags
    }

    /// A write whose last byte is `last`: the transmit timestamps it asked for.
    mutating func timestampWrite(last: SequenceNumber) {
        let record = timestamping & (Self.txSched | Self.txSoftware | Self.txAck)
        guard record != 0 else { return }
        let key = timestamping & Self.optID != 0 ? Int64(UInt32(bitPattern: last - keyBase)) : 0
        timestampPending.append(TimestampRequest(last: last, flags: record, key: key))
    }

    mutating func queueTimestamp(_ kind: Int64, key: Int64, at time: Instant) {
        reports += 1
        entries.append(Entry(errno: Self.enomsg, origin: Self.originTimestamping, code: 0, info: kind, data: key,
                             time: time, carriesPacket: timestamping & Self.optTSOnly == 0))
    }

    // MARK: What the engine did

    /// The bytes `from..<to` left the socket at `time`: the writes whose last byte they carry get
    /// their SCHED and SND timestamps, on the first transmission only.
    mutating func transmitted(from: SequenceNumber, to: SequenceNumber, at time: Instant) {
        guard from != to else { return }
        for k in timestampPending.indices where !timestampPending[k].sent && timestampPending[k].last.isInHalfOpenRange(from, to) {
            timestampPending[k].sent = true
            let r = timestampPending[k]
            if r.flags & Self.txSched != 0 { queueTimestamp(Self.tstampSched, key: r.key, at: time) }
            if r.flags & Self.txSoftware != 0 { queueTimestamp(Self.tstampSnd, key: r.key, at: time) }
        }
        timestampPending.removeAll { $0.sent && $0.flags & Self.txAck == 0 }
    }

    /// SND.UNA reached `una` at `time`: zero-copy sends wholly acknowledged complete, and writes
    /// whose last byte is acknowledged get their ACK timestamp (Linux's tcp_ack_tstamp).
    mutating func acknowledged(through una: SequenceNumber, at time: Instant) {
        while let z = zeroCopyPending.first, z.end <= una {
            zeroCopyPending.removeFirst()
            notifyZeroCopy(low: z.low, high: z.high)
        }
        while let r = timestampPending.first, r.last < una {
            timestampPending.removeFirst()
            if r.flags & Self.txAck != 0 { queueTimestamp(Self.tstampAck, key: r.key, at: time) }
        }
    }

    /// The connection is gone (reset, aborted, timed out): the send queue is dropped, and with it
    /// the zero-copy buffers, whose notifications are queued (Linux's tcp_write_queue_purge frees
    /// them); timestamps still waiting are not.
    mutating func connectionGone() {
        for z in zeroCopyPending { notifyZeroCopy(low: z.low, high: z.high) }
        zeroCopyPending = []
        timestampPending = []
    }

    /// An accepted socket starts with its listener's SO_ZEROCOPY and SO_TIMESTAMPING (Linux copies
    /// the socket flags and sk_tsflags to the child).
    func inherited() -> SocketErrorQueue {
        var q = SocketErrorQueue()
        q.zeroCopy = zeroCopy
        q.timestamping = timestamping
        return q
    }
}
