import TCPWire

/// Where a connection's sending time goes (Linux's chrono accounting behind tcp_info's
/// `tcpi_busy_time`, `tcpi_rwnd_limited`, `tcpi_sndbuf_limited`): while data is outstanding or
/// queued the connection is busy, and of that time it is limited by the peer's receive window
/// when queued data waits for window, or by the send buffer while the application has filled it.
/// Classified whenever the engine finishes with the connection (`TCPStack.commit`); each interval
/// counts for the kind it had at its start. A few comparisons and additions, no allocation.
struct SendChrono {
    enum Kind: UInt8 { case idle, busy, receiveWindowLimited, sendBufferLimited }
    var kind = Kind.idle
    var since = Instant.zero
    /// Nanoseconds in each kind; `busy` holds only the time in neither limited kind.
    var busy: Int64 = 0
    var receiveWindowLimited: Int64 = 0
    var sendBufferLimited: Int64 = 0

    /// Enters `kind` at `now`, crediting the time since the last change to the kind it ends.
    mutating func enter(_ new: Kind, _ now: Instant) {
        guard new != kind else { return }
        let elapsed = max(0, (now - since).nanoseconds)
        switch kind {
        case .idle: break
        case .busy: busy &+= elapsed
        case .receiveWindowLimited: receiveWindowLimited &+= elapsed
        case .sendBufferLimited: sendBufferLimited &+= elapsed
        }
        kind = new
        since = now
    }

    /// The totals up to `now` (the current interval included): busy (all three), receive-window
    /// limited, send-buffer limited.
    func totals(at now: Instant) -> (busy: Int64, receiveWindowLimited: Int64, sendBufferLimited: Int64) {
        var copy = self
        copy.enter(.idle, now)
        return (copy.busy + copy.receiveWindowLimited + copy.sendBufferLimited, copy.receiveWindowLimited, copy.sendBufferLimited)
    }
}

extension TCPStack {
    /// Classifies the connection's sending now (see `SendChrono`). Runs on every commit: it reads
    /// the TCB in place (a helper taking `Connection` by value would copy it).
    mutating func updateSendChrono(_ c: inout Connection, _ now: Instant) {
        let unsent = c.unsentBytes
        let kind: SendChrono.Kind
        if !c.state.isSynchronized || (c.sndMax == c.sndUna && unsent == 0) {   // the handshake is not sending time
            kind = .idle
        } else if c.sendBufferWasFull {
            kind = .sendBufferLimited
        } else if unsent > 0 && Int(c.sndWnd) - Int(c.sndNxt - c.sndUna) < min(unsent, c.sendMSS) {   // the peer's window past SND.NXT
            kind = .receiveWindowLimited
        } else {
            kind = .busy
        }
        c.chrono.enter(kind, now)
    }
}
