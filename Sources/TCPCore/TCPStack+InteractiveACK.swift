import TCPWire

/// Linux's interactive ("ping-pong") delayed-ACK mode (`TCPConfiguration.interactiveDelayedACKs`,
/// on in the Linux profile). A connection that sends data within the ACK timeout (40 ms) of the
/// last data it received is taken to be a request/response exchange: from then on received data
/// is acknowledged by the delayed-ACK timer or by the reply that carries the ACK, even in
/// quick-ACK mode (as inet_csk_in_pingpong_mode does in Linux's __tcp_ack_snd_check). The mode
/// ends when the delayed-ACK timer has to send the ACK itself (no reply came), or when old data
/// arrives again (the peer lost an ACK: quick ACKs again).
///
/// Linux's ATO is zero until data first arrives or quick-ACK mode is entered; before that,
/// sending data never enters the mode. Quick-ACK mode is entered, besides, when a SYN-ACK
/// arrives while the application still has data waiting to go (Linux's sk_write_pending: the
/// ACK of the SYN-ACK then rides on that data).
struct InteractiveACK: OptionSet {
    var rawValue: UInt8
    /// Linux's pingpong count at its threshold (1): received data waits for the delayed ACK.
    static let on = InteractiveACK(rawValue: 1 << 0)
    /// Linux's icsk_ack.ato is set: data has arrived, or quick-ACK mode was entered.
    static let timed = InteractiveACK(rawValue: 1 << 1)
}

extension TCPStack {
    /// Milliseconds on a wrapping 32-bit clock (Linux's jiffies at HZ=1000), for the TCB's
    /// `lastDataReceivedMs`.
    @inline(__always) static func milliseconds32(_ now: Instant) -> UInt32 {
        UInt32(truncatingIfNeeded: now.nanoseconds / 1_000_000)
    }

    /// In-order data (or a SYN-ACK, or the ACK that completes a passive open) arrived: Linux's
    /// icsk_ack.lrcvtime.
    @inline(__always) mutating func interactiveDataReceived(_ c: inout Connection, _ now: Instant, data: Bool = true) {
        guard configuration.interactiveDelayedACKs else { return }
        c.lastDataReceivedMs = Self.milliseconds32(now)
        if data { c.interactiveACK.insert(.timed) }
    }

    /// A segment carrying data went out (new or again): a reply within the ACK timeout of the
    /// last data received enters the mode (Linux's tcp_event_data_sent).
    @inline(__always) mutating func interactiveDataSent(_ c: inout Connection, _ now: Instant) {
        guard configuration.interactiveDelayedACKs, c.interactiveACK.contains(.timed),
              !c.interactiveACK.contains(.on) else { return }
        let elapsed = Self.milliseconds32(now) &- c.lastDataReceivedMs
        if Int64(elapsed) * 1_000_000 < configuration.delayedACKTimeout.nanoseconds { c.interactiveACK.insert(.on) }
    }

    /// Quick-ACK mode entered (Linux's tcp_enter_quickack_mode): the interactive mode ends, the
    /// ACK timeout is set.
    @inline(__always) mutating func interactiveModeLeft(_ c: inout Connection) {
        guard configuration.interactiveDelayedACKs else { return }
        c.interactiveACK = .timed
    }

    /// The SYN-ACK of our SYN was taken with data still waiting to be sent (not data the SYN
    /// carried and the SYN-ACK left unacknowledged, which goes again at once): as Linux with a
    /// writer waiting, quick-ACK mode is entered and the data that follows carries the ACK.
    mutating func interactiveSYNACKArrived(_ c: inout Connection, _ now: Instant) {
        guard configuration.interactiveDelayedACKs else { return }
        interactiveDataReceived(&c, now, data: false)
        if c.sndNxt == c.sndMax && c.unsentBytes > 0 { interactiveModeLeft(&c) }
    }

}
