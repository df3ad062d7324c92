import TCPWire

/// What a connection knows of the peer's urgent data (RFC 9293 §3.8.5 MUST-33; the question
/// SIOCATMARK answers on a socket). Urgent data is delivered inline, in the stream (RFC 6093 §5,
/// SO_OOBINLINE semantics): this only says where it ends.
public struct UrgentStatus: Hashable, Sendable {
    /// The peer's urgent pointer (RCV.UP) lies ahead of the data the application has read.
    public var pending: Bool
    /// Bytes the application still has to read to get past the urgent data (RCV.UP less the read
    /// point); 0 when none is pending. It may exceed what is buffered: the rest is still coming.
    public var bytesToEnd: Int
    /// Of those, bytes before the last urgent byte (the "mark"): what a read can take before it.
    public var bytesBeforeMark: Int { max(0, bytesToEnd - 1) }
    /// The next byte read is the last urgent byte (SIOCATMARK, as Linux answers it).
    public var atMark: Bool { pending && bytesToEnd == 1 }

    public init(pending: Bool, bytesToEnd: Int) {
        self.pending = pending
        self.bytesToEnd = bytesToEnd
    }
}

extension TCPStack {
    // MARK: Sending urgent data

    /// SEND with the URGENT flag (RFC 9293 §3.10.2, §3.8.5): queues the bytes as `send` does and
    /// marks all of them urgent, however many (MUST-31): SND.UP moves to the octet after the last
    /// one queued. Until the peer acknowledges SND.UP, every segment that starts before it carries
    /// URG and the urgent pointer (`markUrgent`). Returns the bytes queued (0 when the buffer is
    /// full); a partial write makes urgent only what was queued.
    public mutating func send(_ id: ConnectionID, _ bytes: UnsafeRawBufferPointer, urgent: Bool, now: Instant) throws(TCPError) -> Int {
        let n = try send(id, bytes, now: now)
        if urgent && n > 0 {
            // SND.UP: the first octet after what was just queued (RFC 9293 §3.8.5 MUST-62).
            let i = connectionIndex(id)!
            let c = take(i)
            c.pointee.sndUp = c.pointee.sendBufferSeq + c.pointee.sendBuffer.count
            c.pointee.sendingUrgent = true
            commit(i, c, now)
        }
        return n
    }

    /// Convenience for `send(_:_:urgent:now:)` from an array.
    public mutating func send(_ id: ConnectionID, _ bytes: [UInt8], urgent: Bool, now: Instant) throws(TCPError) -> Int {
        let r: Result<Int, TCPError> = bytes.withUnsafeBytes { b in
            Result { () throws(TCPError) -> Int in try send(id, b, urgent: urgent, now: now) }
        }
        return try r.get()
    }

    /// RFC 9293 §3.8.5 and MUST-62: while urgent data is outstanding, a segment that starts before
    /// SND.UP carries URG and the pointer SND.UP − SEG.SEQ, the first non-urgent octet. A pointer
    /// more than 65535 octets ahead is sent as 65535, still urgent (RFC 6093 §4; as Linux does):
    /// later segments bring it closer. Urgent mode ends once SND.UNA reaches SND.UP.
    func markUrgent(_ c: inout Connection, _ h: inout TCPHeader) {
        guard c.sendingUrgent else { return }
        if c.sndUna >= c.sndUp {
            c.sendingUrgent = false
            return
        }
        let seq = h.sequenceNumber
        guard seq < c.sndUp, !h.flags.contains(.syn), !h.flags.contains(.rst) else { return }
        h.flags.insert(.urg)
        h.urgentPointer = UInt16(clamping: Int(c.sndUp - seq))
    }

    // MARK: Receiving urgent data

    /// Sequence number of the next byte the application reads.
    func readPoint(_ c: Connection) -> SequenceNumber {
        c.rcvNxt - UInt32(c.receiveBuffer.count + (c.finReceived ? 1 : 0))
    }

    /// RCV.UP if it still lies ahead of the read point; nil when no urgent data is pending.
    func pendingUrgentPointer(_ c: Connection) -> SequenceNumber? {
        guard c.urgentSeen, c.state.isSynchronized else { return nil }
        let read = readPoint(c)
        return c.rcvUp > read ? c.rcvUp : nil
    }

    /// RFC 9293 §3.10.7.4, sixth check, the URG bit: in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2,
    /// RCV.UP <- max(RCV.UP, SEG.UP) and the user is signalled if RCV.UP is ahead of the data
    /// consumed — once per stretch of urgent data (not again while still in urgent mode). Past a
    /// FIN (CLOSE-WAIT and later) the URG bit is ignored. Runs for a segment at RCV.NXT with the
    /// window shut too (MUST-66). SEG.UP = SEG.SEQ + the pointer: the first non-urgent octet
    /// (MUST-62). RCV.UP never moves back: a pointer at or behind it (or behind the read point,
    /// data already consumed) changes nothing.
    mutating func urgentArrives(_ c: inout Connection, _ id: ConnectionID, seq: SequenceNumber, pointer: UInt16, _ now: Instant) {
        switch c.state {
        case .established, .finWait1, .finWait2: break
        default: return
        }
        guard pointer > 0 else { return }
        let up = seq + Int(pointer)
        let pending = pendingUrgentPointer(c)
        guard up > (pending ?? readPoint(c)) else { return }
        c.rcvUp = up
        c.urgentSeen = true
        if pending == nil && (c.userOwned || c.listenerRole != .none) { emit(.urgentData(id), now) }
    }

    /// After a read: once the application has read past RCV.UP, the urgent data is behind it and
    /// RCV.UP is forgotten, so that an old pointer can never look ahead again once the sequence
    /// numbers have wrapped (2^31 bytes later).
    func urgentRead(_ c: inout Connection) {
        if pendingUrgentPointer(c) == nil { c.urgentSeen = false }
    }

    /// Whether urgent data is pending on a connection and how much is left to read up to its end
    /// (MUST-33); nil for an unknown handle.
    public func urgentStatus(of id: ConnectionID) -> UrgentStatus? {
        guard let i = connectionIndex(id) else { return nil }
        let c = slots[i].connection!
        guard let up = pendingUrgentPointer(c) else { return UrgentStatus(pending: false, bytesToEnd: 0) }
        return UrgentStatus(pending: true, bytesToEnd: Int(up - readPoint(c)))
    }
}
