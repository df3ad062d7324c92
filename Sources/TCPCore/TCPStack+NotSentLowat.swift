import TCPWire

/// TCP_NOTSENT_LOWAT (Linux since 3.12; ip-sysctl's tcp_notsent_lowat: "sendmsg() will also not
/// add new buffers if the limit is hit", and poll reports POLLOUT only below it): a write queues
/// bytes in buffers of Linux's size goal — whole segments up to half the largest window the peer
/// offered (`tcp_xmit_size_goal`, `tcp_bound_to_half_wnd`), at most 64 KiB — and starts a new
/// buffer only while fewer bytes than the limit are unsent; the buffer it started is filled. A
/// buffer filled at the head of the queue is sent at once as far as the windows allow
/// (`tcp_push_one`), which the count of unsent bytes takes into account. The limit keeps the
/// queue of unsent data short for applications that decide late what to send (RFC 9293 leaves
/// the send buffer's policy to the implementation).
extension TCPStack {
    /// The connection's limit on unsent bytes, nil when it has none.
    func notSentLimit(_ c: Connection) -> Int? {
        c.notSentLowat != 0 ? Int(c.notSentLowat) : configuration.notSentLowat
    }

    /// Linux's size goal: the payload of one send buffer (skb).
    func sendBufferGoal(_ c: Connection) -> Int {
        let mss = max(1, c.sendMSS)
        let window = Int(c.maxSndWnd)
        let cutoff = window > 536 ? window / 2 : window
        return max(mss, min(65_536 - 1 - 320, cutoff) / mss * mss)
    }

    /// How many of `want` bytes a write may queue under the limit; nil when there is no limit.
    /// Records where the last buffer started (`ByteRing.bufferStart`).
    func notSentAllowance(_ c: Connection, want: Int) -> Int? {
        guard let limit = notSentLimit(c) else { return nil }
        let goal = sendBufferGoal(c)
        let writeSeq = c.sendBufferSeq + c.sendBuffer.count
        var unsent = c.unsentBytes
        // The buffer at the queue's tail takes bytes while it is unsent and not full.
        var room = 0
        if unsent > 0 {
            let start = c.sendBuffer.bufferStart > c.sndNxt ? c.sendBuffer.bufferStart : c.sndNxt
            room = start <= writeSeq ? max(0, goal - Int(writeSeq - start)) : 0
        }
        var windowLeft = sendRoom(c) / max(1, c.sendMSS) * max(1, c.sendMSS)
        var taken = 0
        while taken < want {
            if room == 0 {
                guard unsent < limit else { break }
                room = goal
            }
            let n = min(room, want - taken)
            taken += n
            unsent += n
            room -= n
            if room == 0 && unsent == goal {
                // tcp_push_one: a full buffer that holds all that is unsent (the queue's head)
                // goes as far as the windows allow; an unsent rest is a buffer of its own.
                let sent = min(unsent, windowLeft)
                windowLeft -= sent
                unsent -= sent
                room = unsent > 0 ? goal - unsent : 0
            }
        }
        c.sendBuffer.bufferStart = writeSeq + (taken - (goal - room))
        return taken
    }
}
