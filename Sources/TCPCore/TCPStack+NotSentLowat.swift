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
        return bufferedWriteAllowance(c, want: want, limit: limit, memory: nil)
    }

    /// How many of `want` bytes a write queues in buffers of the size goal (tcp_sendmsg_locked):
    /// the unsent buffer at the queue's tail takes bytes up to the goal; a new buffer starts only
    /// while fewer than `limit` bytes are unsent and, when `memory` (sk_sndbuf) is given, the
    /// memory queued with each buffer's overhead is below it (or the queue is empty). A full
    /// buffer at the queue's head goes at once as far as the windows allow (tcp_push_one), its
    /// unsent rest a buffer of its own. Records where the last buffer started (`ByteRing.bufferStart`).
    func bufferedWriteAllowance(_ c: Connection, want: Int, limit: Int, memory: Int?) -> Int {
        let goal = sendBufferGoal(c)
        let writeSeq = c.sendBufferSeq + c.sendBuffer.count
        var unsent = c.unsentBytes
        var queued = c.sendBuffer.count
        var count = (queued - unsent + goal - 1) / goal + (unsent + goal - 1) / goal
        var room = 0
        if unsent > 0 {
            let start = c.sendBuffer.bufferStart > c.sndNxt ? c.sendBuffer.bufferStart : c.sndNxt
            room = start <= writeSeq ? max(0, goal - Int(writeSeq - start)) : 0
        }
        let mss = max(1, c.sendMSS)
        var windowLeft = sendRoom(c) / mss * mss
        var taken = 0
        while taken < want {
            if room == 0 {
                if let size = memory {
                    guard queued == 0 || (queued + count * Self.linuxBufferOverhead < size && unsent < limit) else { break }
                } else {
                    guard unsent < limit else { break }
                }
                room = goal
                count += 1
            }
            let n = min(room, want - taken)
            taken += n
            unsent += n
            queued += n
            room -= n
            if room == 0 && unsent == goal {
                let sent = min(unsent, windowLeft)
                windowLeft -= sent
                unsent -= sent
                if sent > 0 && unsent > 0 { count += 1 }   // tso_fragment: the rest is a buffer of its own
                room = unsent > 0 ? goal - unsent : 0
            }
        }
        c.sendBuffer.bufferStart = writeSeq + (taken - (goal - room))
        return taken
    }
}
