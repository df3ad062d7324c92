import TCPWire

/// Corking and records: TCP_CORK (`ConnectionOptions.cork`), MSG_MORE and MSG_EOR
/// (`SendFlags`), and the PUSH of RFC 9293's SEND call (`push`).
///
/// RFC 9293 §3.9.1 (SEND) lets an implementation collect the application's data into larger
/// segments and sets PSH where the application pushes; Linux's sockets ask for that with TCP_CORK
/// (tcp(7): "don't send out partial frames ... there is a 200 millisecond ceiling"), MSG_MORE
/// (send(2): "the caller has more data to send ... the same effect as TCP_CORK ... on a per-call
/// basis") and MSG_EOR (send(2): "terminates a record"; on TCP, since Linux 4.7, no later data is
/// added to the buffer that ends the record). A short segment held by a cork with nothing in
/// flight goes when the persist timer runs out (`armPersistTimer`: one RTO, at most 1 s), as
/// Linux's window-probe timer sends it; that segment carries PSH (Linux's tcp_write_wakeup).
extension TCPStack {
    /// SEND with `flags` (see `SendFlags`); otherwise as `send(_:_:now:)`. Returns the bytes queued.
    public mutating func send(_ id: ConnectionID, _ bytes: UnsafeRawBufferPointer, flags: SendFlags, now: Instant) throws(TCPError) -> Int {
        let i = try sendableIndex(id)
        var hold = slots[i].connection!.sendHold
        hold.remove(.pushed)
        if flags.contains(.more) { hold.formUnion([.more, .unpushedTail]) } else { hold.subtract([.more, .unpushedTail]) }
        slots[i].connection!.sendHold = hold
        let n = try send(id, bytes, now: now)
        if flags.contains(.endOfRecord) && n > 0 && n == bytes.count {
            let c = take(i)
            // Read and append in place: a local copy of the array would make the append copy it.
            let end = c.pointee.sendBufferSeq + c.pointee.sendBuffer.count
            if c.pointee.sendBuffer.recordEnds.last != end { c.pointee.sendBuffer.recordEnds.append(end) }
            commit(i, c, now)
        }
        return n
    }

    /// Convenience for `send(_:_:flags:now:)` from an array.
    public mutating func send(_ id: ConnectionID, _ bytes: [UInt8], flags: SendFlags, now: Instant) throws(TCPError) -> Int {
        let r: Result<Int, TCPError> = bytes.withUnsafeBytes { b in
            Result { () throws(TCPError) -> Int in try send(id, b, flags: flags, now: now) }
        }
        return try r.get()
    }

    /// PUSH (RFC 9293 §3.9.1: the data queued so far is sent promptly): what a cork or MSG_MORE
    /// holds goes now, once (Linux sends it so when TCP_NODELAY is set on a corked socket).
    /// Nagle's algorithm and the windows still apply.
    public mutating func push(_ id: ConnectionID, now: Instant) throws(TCPError) {
        guard let i = connectionIndex(id) else { throw .invalidHandle }
        let c = take(i)
        if !c.pointee.sendHold.isDisjoint(with: [.corked, .more]) { c.pointee.sendHold.insert(.pushed) }
        commit(i, c, now)
    }

    /// The most bytes a segment starting at `seq` may carry so that it ends no later than the
    /// first record end after `seq` (records the application ended with MSG_EOR stay apart).
    /// Forgets record ends the peer has acknowledged.
    func recordLength(_ c: Connection, from seq: SequenceNumber, _ length: Int) -> Int {
        let ring = c.sendBuffer
        guard !ring.recordEnds.isEmpty else { return length }
        var dropped = 0
        while dropped < ring.recordEnds.count && ring.recordEnds[dropped] <= c.sndUna { dropped += 1 }
        if dropped > 0 { ring.recordEnds.removeFirst(dropped) }
        for end in ring.recordEnds where end > seq { return min(length, Int(end - seq)) }
        return length
    }

    /// `end` is where a record the application ended (MSG_EOR) ends.
    @inline(__always) func endsRecord(_ c: Connection, _ end: SequenceNumber) -> Bool {
        !c.sendBuffer.recordEnds.isEmpty && c.sendBuffer.recordEnds.contains(end)
    }

    /// The segment [.., end) ends a record, or the queue (unless its last write said MSG_MORE):
    /// it carries PSH.
    func segmentEndPushes(_ c: Connection, end: SequenceNumber) -> Bool {
        if end == c.sendBufferSeq + c.sendBuffer.count { return !c.sendHold.contains(.unpushedTail) }
        return endsRecord(c, end)
    }
}
