import TCPWire

/// Linux's timestamp check of an active open (`TCPConfiguration.synACKTimestampCheck`): a
/// SYN-ACK's TSecr must be a TSval this connection sent, from its first SYN (sent when sending
/// started, `progressAt`) until now; otherwise the SYN-ACK answers some other SYN, and is
/// refused with <SEQ=SEG.ACK><CTL=RST> while the connection waits for a good one.
extension TCPStack {
    mutating func synACKEchoRejected(_ c: inout Connection, _ h: TCPHeader, _ now: Instant) -> Bool {
        guard configuration.synACKTimestampCheck, configuration.timestamps,
              let ts = h.options.timestamp, ts.echoReply != 0 else { return false }
        let first = timestampValue(c, c.progressAt)
        let last = timestampValue(c, now)
        return ts.echoReply &- first > last &- first   // outside [first, last], modulo 2^32
    }
}
