import TCPWire

/// RFC 7323 (window scaling, timestamps, RTTM, PAWS) and the receive side of flow control: the
/// window we advertise (receiver SWS avoidance, RFC 9293 §3.8.6.2.2; no shrinking, RFC 7323 §2.4).
///
/// Timestamp clock: TSval is the driver's `now` in whole milliseconds (1 ms per tick, inside the
/// 1 ms–1 s range of RFC 7323 §5.4) plus a per-connection offset, a keyed hash of the four-tuple
/// under the stack's secret (RFC 7323 §7.1), so TSval reveals neither the clock nor other
/// connections' values. No randomness is drawn: the offset comes from the RFC 6528 key.
extension TCPStack {
    /// RFC 7323 §5.5: a TS.Recent older than 24 days is no longer valid for PAWS.
    static let pawsIdleLimit: Duration = .seconds(24 * 24 * 3600)

    /// The shift we announce: the smallest that lets the window field cover the whole receive
    /// buffer as large as it may grow (`TCPConfiguration.receiveBufferLimit`), at most 14 (RFC 7323
    /// §2.3): the shift is fixed at SYN time, the buffer may grow later.
    static func windowShift(forBuffer bytes: Int) -> UInt8 {
        var shift: UInt8 = 0
        while shift < 14 && (bytes >> Int(shift)) > 65535 { shift += 1 }
        return shift
    }

    /// Our TSval now (RFC 7323 §3.2, §5.4: a millisecond clock).
    func timestampValue(_ c: Connection, _ now: Instant) -> UInt32 {
        UInt32(truncatingIfNeeded: now.nanoseconds / 1_000_000) &+ c.tsOffset
    }

    /// The per-connection TSval offset (RFC 7323 §7.1): the RFC 6528 keyed hash of the four-tuple,
    /// with the key changed so it is independent of the ISN.
    /// (Fed word by word, without an array: a SYN cookie's SYN-ACK computes it for every SYN of
    /// a flood.)
    func timestampOffset(local: SocketAddress, remote: SocketAddress) -> UInt32 {
        var h = SipHash24(k0: isnGenerator.k0 ^ 0x7473_6f66_6673_6574, k1: isnGenerator.k1)
        func add(_ a: IPAddress) {
            switch a {
            case .v4(let v): h.add(UInt64(v.rawValue))
            case .v6(let v): h.add(v.high); h.add(v.low)
            }
        }
        add(local.address)
        add(remote.address)
        h.add(UInt64(local.port) << 16 | UInt64(remote.port))
        return UInt32(truncatingIfNeeded: h.finalize())
    }

    /// TSval `a` is earlier than `b` in the modulo-2^32 sense (RFC 7323 §5.2: TSval wraps).
    static func timestamp(_ a: UInt32, precedes b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }

    /// A SYN (or SYN-ACK) arrived: RFC 7323 §2.2 and §3.2. An option counts only when we sent it
    /// on our SYN (active open) or will answer it on our SYN-ACK (passive open); either way that
    /// is exactly when our configuration enables it.
    func negotiateRFC7323(_ c: inout Connection, _ h: TCPHeader, _ now: Instant) {
        // Until the first window update, RCV.WND is what our SYN or SYN-ACK offers (unscaled).
        c.rcvAdv = c.rcvNxt + UInt32(min(c.receiveBuffer.free, 65535))
        if configuration.windowScaling, let shift = h.options.windowScale {
            c.windowScalingOn = true
            c.sndWindShift = min(shift, 14)   // §2.3: a shift above 14 is used as 14
            c.rcvWindShift = Self.windowShift(forBuffer: configuration.receiveBufferLimit)
        } else {
            c.windowScalingOn = false
            c.sndWindShift = 0
            c.rcvWindShift = 0
        }
        if configuration.timestamps, let ts = h.options.timestamp {
            c.timestampsOn = true
            c.tsRecent = ts.value
            c.tsRecentTime = now
            // RFC 6691 / RFC 9293 §3.7.1: the MSS counts data only; the 12 option bytes every
            // segment now carries come out of it.
            c.sendMSS = max(64, c.sendMSS - 12)
        } else {
            c.timestampsOn = false
        }
    }

    /// PAWS and the missing-timestamp rule (RFC 7323 §5.3 R1, §3.2), before the sequence number
    /// check. Returns false when the segment is dropped.
    mutating func timestampCheck(_ c: inout Connection, _ id: ConnectionID, _ seg: TCPSegmentView, _ now: Instant) -> Bool {
        guard c.timestampsOn else { return true }
        let rst = seg.header.flags.contains(.rst)
        guard let ts = seg.header.options.timestamp else {
            // §3.2: "If a non-<RST> segment is received without a TSopt, a TCP SHOULD silently drop
            // the segment."
            if rst || configuration.tolerateMissingTimestamps { return true }
            drop(.missingTimestamp, now, id, seg)
            return false
        }
        // R1: SEG.TSval < TS.Recent, not a RST: an old duplicate. §5.5: unless TS.Recent has aged
        // past 24 days, when it is no longer valid and the segment's TSval replaces it.
        guard !rst, Self.timestamp(ts.value, precedes: c.tsRecent) else { return true }
        if now - c.tsRecentTime > Self.pawsIdleLimit {
            c.tsRecent = ts.value
            c.tsRecentTime = now
            return true
        }
        c.ackPending = true   // "send an acknowledgment in reply" (RFC 9293 §3.10.7.4 first check)
        drop(.paws, now, id, seg)
        return false
    }

    /// R3 / §4.3 (2): an acceptable segment with SEG.SEQ <= Last.ACK.sent updates TS.Recent.
    func recordTimestamp(_ c: inout Connection, _ h: TCPHeader, _ now: Instant) {
        guard c.timestampsOn, let ts = h.options.timestamp, !Self.timestamp(ts.value, precedes: c.tsRecent),
              h.sequenceNumber <= c.lastAckSent else { return }
        c.tsRecent = ts.value
        c.tsRecentTime = now
    }

    /// RTTM (RFC 7323 §4): an ACK that moves SND.UNA gives an RTT sample from its TSecr, also
    /// when it acknowledges a retransmitted segment (the echoed TSval names the copy that arrived).
    mutating func timestampRTTSample(_ c: inout Connection, _ h: TCPHeader, _ now: Instant) {
        guard c.timestampsOn, h.flags.contains(.ack), let ts = h.options.timestamp,
              h.acknowledgmentNumber > c.sndUna else { return }
        let elapsed = Int32(bitPattern: timestampValue(c, now) &- ts.echoReply)
        // A TSecr from the future or older than the RTO cap cannot be ours: no sample.
        guard elapsed >= 0, Int64(elapsed) * 1_000_000 <= configuration.rtoMax.nanoseconds else { return }
        sampleRTT(&c, .milliseconds(Int64(elapsed)))
        c.rttSeq = nil   // the timed-segment sample would measure the same round trip again
    }

    /// The window to advertise now, in bytes, with RCV.ADV (the right edge) moved accordingly.
    ///
    /// Receiver SWS avoidance (RFC 9293 §3.8.6.2.2, RFC 1122 §4.2.3.3): the right edge moves only
    /// when it can move by at least min(RCV.BUFF / 2, MSS); it never moves left (RFC 9293 §3.8.6.2.2
    /// "SHOULD NOT shrink"). With a shift, the field is rounded down, except that the edge already
    /// offered is kept by rounding up (RFC 7323 §2.4).
    func windowToAdvertise(_ c: inout Connection) -> UInt16 {
        let shift = Int(c.rcvWindShift)
        let current = Int(c.receiveWindow)
        let available = min(c.receiveBuffer.free, c.maxReceiveWindow)
        var field: Int
        if available > current {
            let threshold = c.swsThreshold
            let opened = (available >> shift) << shift   // rounded down to what the field carries
            if opened - current >= threshold {
                field = opened >> shift
            } else {
                field = (current + (1 << shift) - 1) >> shift
            }
        } else {
            field = (current + (1 << shift) - 1) >> shift
        }
        field = min(field, 65535)
        let edge = c.rcvNxt + UInt32(field << shift)
        if edge > c.rcvAdv { c.rcvAdv = edge }
        return UInt16(field)
    }

    /// The window and the RFC 7323 options of an outgoing segment, set as it leaves.
    func finishOutgoing(_ h: inout TCPHeader, _ c: inout Connection, _ now: Instant) {
        let f = h.flags
        var ts = c.timestampsOn
        if f.contains(.syn) {
            // RFC 7323 §2.2: the window of a SYN is never scaled.
            let window = min(c.receiveBuffer.free, 65535)
            h.window = UInt16(window)
            c.rcvAdv = c.rcvNxt + UInt32(window)
            if !f.contains(.ack) {
                // Our SYN offers what the configuration enables.
                if configuration.windowScaling { h.options.windowScale = Self.windowShift(forBuffer: configuration.receiveBufferLimit) }
                ts = configuration.timestamps
            } else if c.windowScalingOn {
                // §2.2: on a SYN-ACK only in answer to the peer's option.
                h.options.windowScale = c.rcvWindShift
            }
        } else {
            h.window = windowToAdvertise(&c)
        }
        if ts && !f.contains(.rst) {
            // §3.2: TSecr is TS.Recent when ACK is set, zero otherwise.
            h.options.timestamp = TCPTimestamp(value: timestampValue(c, now), echoReply: f.contains(.ack) ? c.tsRecent : 0)
            // 40 bytes of option space: with timestamps (12) at most three SACK blocks fit.
            if h.options.encodedLength > 40 {
                var blocks = SACKBlocks()
                for b in h.options.sackBlocks.prefix(3) { blocks.append(b) }
                h.options.sackBlocks = blocks
            }
        }
        if f.contains(.ack) { c.lastAckSent = h.acknowledgmentNumber }   // §4.3: Last.ACK.sent
    }

    /// RFC 6191 §2 (SHLD-4 of RFC 9293): may this SYN end TIME-WAIT early and open a new
    /// incarnation of the connection? The new one uses timestamps when the SYN offers them and
    /// we do. If both incarnations use them, a TSval newer than the last one seen (TS.Recent)
    /// suffices — old duplicates of the previous incarnation then fail PAWS — or an equal TSval
    /// with a higher sequence number; if only the new one does, the SYN is taken (old segments
    /// carry no timestamp and are dropped, RFC 7323 §3.2); without timestamps, the sequence number
    /// must be above RCV.NXT (RFC 1122 §4.2.2.13). A SYN that qualifies for none is processed as
    /// in TIME-WAIT — an ACK, as Linux answers — where RFC 6191 drops it silently.
    func timeWaitAcceptsSYN(_ c: Connection, _ h: TCPHeader) -> Bool {
        let higherSequence = h.sequenceNumber > c.rcvNxt
        guard configuration.timestamps, let ts = h.options.timestamp else { return higherSequence }
        guard c.timestampsOn else { return true }
        if Self.timestamp(c.tsRecent, precedes: ts.value) { return true }
        return ts.value == c.tsRecent && higherSequence
    }
}
