import TCPCore
import TCPWire

/// One round trip of a sender's data, measured from the wire (`Timeline.roundTrips(of:)`).
///
/// A round is a flight, counted the way Linux counts rounds for BBR and its rate sampler
/// (`tcp_rate.c`, `bbr_update_round_start`): it starts with the first data segment sent after the
/// previous round ended and ends when an ACK arrives that covers that first segment, cumulatively
/// or by a SACK block (RFC 2018). Its length is therefore one measured round trip of the path,
/// queueing included, not the link's nominal RTT; a round whose first segment was lost lasts until
/// the repair is acknowledged.
public struct RoundTrip: Sendable, Hashable {
    /// 1 for the first round with data.
    public var number: Int
    /// When its first data segment was sent, and when the ACK covering that segment arrived
    /// (nil: the run ended first).
    public var start: Instant
    public var end: Instant?
    /// Data segments and payload bytes the sender put on the wire during the round.
    public var segments = 0
    public var bytes = 0
    /// The lowest sequence number and the highest end of the data sent, relative to the sender's
    /// ISN (as Wireshark numbers them: the first data byte is 1).
    public var lowestSeq: UInt32? = nil
    public var highestEnd: UInt32? = nil
    /// Data segments that repeated sequence space already sent (RFC 9293 §3.8.1).
    public var retransmitted = 0
    /// The sender's data segments the link lost, and the peer's segments (ACKs) the link lost,
    /// among those sent during the round.
    public var dataLost = 0
    public var acksLost = 0
    /// Segments from the peer that reached the sender during the round, and how many of them
    /// acknowledged nothing new (RFC 5681 §2 duplicate ACKs, window updates aside).
    public var acksReceived = 0
    public var duplicateACKs = 0
    /// The cumulative ACK (relative) when the round started and when it ended.
    public var ackAtStart: UInt32? = nil
    public var ackAtEnd: UInt32? = nil
    /// Retransmission-timer expiries (RFC 6298 §5.4) and tail loss probes (RFC 8985 §7) at the
    /// sender during the round.
    public var timeouts = 0
    public var lossProbes = 0
    /// The sender's statistics at the last sample before the ACK that ended the round (or the
    /// last sample of the round): the cwnd that paced the round, the bytes it still had in flight.
    public var info: TCPInfo? = nil

    /// The measured length of the round.
    public var duration: Duration? { end.map { .nanoseconds($0.nanoseconds - start.nanoseconds) } }
}

extension Timeline {
    /// The round trips of `sender`'s data on its first connection (see `RoundTrip`), with the
    /// sender's statistics from `samples` (`info` is nil without samples).
    public func roundTrips(of sender: String) -> [RoundTrip] {
        var isn: SequenceNumber? = nil
        var rounds: [RoundTrip] = []
        var open: RoundTrip? = nil
        var first: (start: SequenceNumber, end: SequenceNumber)? = nil
        var highest: SequenceNumber? = nil
        var cumulative: SequenceNumber? = nil
        let retransmitted = retransmittedPackets
        let mine = samples.filter { $0.host == sender }
        var sampleIndex = 0
        // Timers that fired while no round was open count in the round they start.
        var pendingTimeouts = 0, pendingProbes = 0
        func relative(_ s: SequenceNumber) -> UInt32 { s.rawValue &- (isn?.rawValue ?? 0) }
        func close(_ r: inout RoundTrip, at t: Instant) {
            r.end = t
            r.ackAtEnd = cumulative.map(relative)
            // The last sample strictly before the closing instant.
            while sampleIndex < mine.count, mine[sampleIndex].time < t { sampleIndex += 1 }
            if sampleIndex > 0 { r.info = mine[sampleIndex - 1].info }
            rounds.append(r)
        }
        for e in sorted {
            switch e.kind {
            case let .send(packet, s, fate) where e.host == sender:
                if s.flags.contains(.syn) { if isn == nil { isn = s.sequenceNumber }; continue }
                guard isn != nil, s.payloadLength > 0 else { continue }
                if open == nil {
                    open = RoundTrip(number: rounds.count + 1, start: e.time)
                    open!.ackAtStart = cumulative.map(relative)
                    open!.timeouts = pendingTimeouts
                    open!.lossProbes = pendingProbes
                    pendingTimeouts = 0
                    pendingProbes = 0
                    first = nil
                }
                let end = s.sequenceNumber + s.payloadLength
                if first == nil { first = (s.sequenceNumber, end) }
                open!.segments += 1
                open!.bytes += s.payloadLength
                let lo = relative(s.sequenceNumber), hi = relative(end)
                open!.lowestSeq = min(open!.lowestSeq ?? lo, lo)
                open!.highestEnd = max(open!.highestEnd ?? hi, hi)
                if retransmitted.contains(packet) { open!.retransmitted += 1 }
                if case .lost = fate { open!.dataLost += 1 }
                if highest.map({ end - $0 > 0 }) ?? true { highest = end }
            case let .send(_, s, fate) where e.host != sender:
                if case .lost = fate, open != nil, !s.flags.contains(.syn) { open!.acksLost += 1 }
            case let .receive(_, s) where e.host == sender:
                guard isn != nil, s.flags.contains(.ack), !s.flags.contains(.syn) else { continue }
                let advanced = cumulative.map { s.acknowledgmentNumber - $0 > 0 } ?? true
                if advanced { cumulative = s.acknowledgmentNumber }
                guard open != nil else { continue }
                open!.acksReceived += 1
                // RFC 5681 §2: acknowledges nothing new, carries no data, while data is outstanding.
                if !advanced, s.payloadLength == 0, !s.flags.contains(.fin), let h = highest, h - s.acknowledgmentNumber > 0 {
                    open!.duplicateACKs += 1
                }
                guard let f = first else { continue }
                let covered = s.acknowledgmentNumber - f.end >= 0
                    || s.options.sackBlocks.contains { $0.left - f.start <= 0 && $0.right - f.end >= 0 }
                if covered {
                    close(&open!, at: e.time)
                    open = nil
                }
            case let .timer(kind) where e.host == sender:
                if kind == .retransmit { if open != nil { open!.timeouts += 1 } else { pendingTimeouts += 1 } }
                if kind == .lossProbe { if open != nil { open!.lossProbes += 1 } else { pendingProbes += 1 } }
            default:
                continue
            }
        }
        if var r = open {
            // The run ended inside this round: its values at the last sample.
            r.ackAtEnd = cumulative.map(relative)
            r.info = mine.last?.info
            rounds.append(r)
        }
        return rounds
    }
}
