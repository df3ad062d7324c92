// Limits on what a blind (off-path) sender can make a connection say, against CVE-2016-5696: with
// one stack-wide challenge-ACK budget of a fixed size per second, an attacker counting the
// challenge ACKs on its own connection learns whether its spoofed RSTs hit another connection.
// Two defences, both as Linux has them since 4.7:
//   - per connection, at most one answer to an invalid segment per `invalidSegmentACKInterval`
//     (RFC 5961 §10 asks for a per-connection limit besides the global one of §7): challenge ACKs
//     (RFC 5961 §3.2, §4.2, §5.2) and ACKs to out-of-window segments without text (RFC 9293
//     §3.10.7.4, first check) share one timestamp (Linux's last_oow_ack_time);
//   - the stack-wide budget is redrawn every window as limit/2 + random(0..<limit) from the
//     stack's own seeded generator (`challengeACKLimitRandomized`).

extension TCPStack {
    /// True when `c` may answer an invalid segment now; stamps the time when it may.
    mutating func invalidSegmentAnswerAllowed(_ c: inout Connection, _ now: Instant) -> Bool {
        let interval = configuration.invalidSegmentACKInterval
        guard interval > .zero else { return true }
        var stamp = Self.milliseconds32(now) &+ 1   // 0 means "never answered"
        if stamp == 0 { stamp = 1 }
        if c.lastInvalidAnswerMs != 0 {
            let elapsed = Int64(Int32(bitPattern: stamp &- c.lastInvalidAnswerMs))
            let limitMs = interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000
            if elapsed >= 0 && elapsed < limitMs { return false }
        }
        c.lastInvalidAnswerMs = stamp
        return true
    }

    /// RFC 9293 §3.10.7.4: an unacceptable segment is answered with an ACK. Like Linux
    /// (tcp_oow_rate_limited) only those without text or with SYN are limited: text again is
    /// a retransmission whose ACK (and D-SACK) the peer needs.
    mutating func outOfWindowACKAllowed(_ c: inout Connection, segLen: Int, syn: Bool, _ now: Instant) -> Bool {
        guard segLen == 0 || syn else { return true }
        if invalidSegmentAnswerAllowed(&c, now) { return true }
        statistics.outOfWindowACKsLimited += 1
        return false
    }

    /// The stack-wide challenge-ACK budget for a new one-second window (RFC 5961 §7).
    mutating func challengeBudget() -> Int {
        let limit = configuration.challengeACKLimit
        guard configuration.challengeACKLimitRandomized, limit > 0, limit < Int(Int32.max) else { return limit }
        return (limit + 1) / 2 + Int(challengeRandom.next() % UInt64(limit))
    }
}
