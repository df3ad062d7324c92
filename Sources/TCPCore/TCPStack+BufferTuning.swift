import TCPWire

/// Buffers that size themselves. A connection starts with buffers of the configured initial sizes
/// and, when they are `BufferSizing.autoTuned` (the default), grows them to what the path and the
/// application need:
///
/// - Receive (dynamic right-sizing, the idea of Linux's tcp_rcv_space_adjust): about once per round
///   trip the connection looks at how much the application read in that time. A window of twice
///   that (times the rate's growth since the round before, while it grows) lets the sender keep
///   growing its rate (slow start doubles per round trip); when that exceeds the buffer, the buffer
///   doubles, up to its maximum. A slow reader reads little per round trip and keeps its buffer.
/// - Send: while the application keeps the send buffer full, it doubles until it holds what is in
///   flight plus one more window (min(cwnd, the peer's largest window)), up to its maximum.
///
/// Growth is one allocation and one copy per step, at most once per round trip, never per segment.
/// A buffer never shrinks, so data once accepted stays and the right edge of a window once
/// advertised never moves left (RFC 9293 §3.8.6.2.2, RFC 7323 §2.4). All rings a stack holds are
/// counted (`TCPStatistics.bufferBytes`); a growth that would pass `bufferMemoryLimit` is refused
/// and counted (`bufferGrowthsRefused`), as Linux stops growing under tcp_mem pressure.
extension TCPStack {
    // MARK: Owned rings and the memory they hold

    /// The connection's own receive ring, allocated on the first byte that arrives.
    mutating func ownReceiveBuffer(_ c: inout Connection) {
        guard c.receiveBuffer.placeholder else { return }
        c.receiveBuffer = ByteRing(capacity: configuration.receiveBufferBytes)
        statistics.bufferBytes += c.receiveBuffer.capacity
    }

    /// The connection's own send ring, made on its first byte (it starts with the shared empty one).
    mutating func ownSendBuffer(_ i: Int) -> ByteRing {
        if slots[i].connection!.sendBuffer.placeholder {
            let size = Int(slots[i].connection!.sendBufferSize)
            let ring = ByteRing(capacity: size != 0 ? size : configuration.sendBufferBytes)
            slots[i].connection!.sendBuffer = ring
            statistics.bufferBytes += ring.capacity
        }
        return slots[i].connection!.sendBuffer
    }

    /// A connection leaves its slot for good: the memory of its rings goes back to the budget.
    mutating func releaseBuffers(_ c: inout Connection) {
        if !c.sendBuffer.placeholder {
            statistics.bufferBytes -= c.sendBuffer.capacity
            c.sendBuffer = emptyRings.send
        }
        if !c.receiveBuffer.placeholder {
            statistics.bufferBytes -= c.receiveBuffer.capacity
            c.receiveBuffer = emptyRings.receive
        }
    }

    /// Doubles `ring` (up to `limit`) if the memory budget allows; false when it did not grow.
    private mutating func grow(_ ring: ByteRing, limit: Int, _ now: Instant) -> Bool {
        let newCapacity = min(limit, ring.capacity * 2)
        let added = newCapacity - ring.capacity
        guard added > 0 else { return false }
        guard statistics.bufferBytes + added <= configuration.bufferMemoryLimit else {
            statistics.bufferGrowthsRefused += 1
            return false
        }
        ring.grow(to: newCapacity)
        ring.tuning.grownAt = now
        statistics.bufferBytes += added
        return true
    }

    // MARK: Receive side

    /// A receiver's round-trip sample, taken as in-order data arrives (the receiver may send no data
    /// of its own to time). With timestamps: the age of the TSval the segment echoes (RFC 7323 §4
    /// RTTM, seen from the receiver). Without: the time a window's worth of data took to arrive,
    /// an upper bound (the sender may send less than a window per round trip). Smaller samples are
    /// taken at once, larger ones smoothed in (1/8), so that a sender pausing between bursts does
    /// not inflate the estimate.
    mutating func receiverRTTSample(_ c: inout Connection, _ h: TCPHeader, _ now: Instant) {
        guard configuration.receiveBuffer.isAutoTuned, !c.receiveBuffer.placeholder else { return }
        let ring = c.receiveBuffer
        var sample: Int64
        if c.timestampsOn {
            guard let ts = h.options.timestamp, ts.echoReply != 0 else { return }
            let elapsed = Int32(bitPattern: timestampValue(c, now) &- ts.echoReply)
            guard elapsed >= 0, Int64(elapsed) * 1_000_000 <= configuration.rtoMax.nanoseconds else { return }
            sample = max(Int64(elapsed), 1) * 1_000_000   // a 1 ms clock: under 1 ms counts as 1 ms
        } else {
            let mark = ring.tuning.rttMarkAt
            guard mark == .never || c.rcvNxt >= ring.tuning.rttMarkSeq else { return }
            ring.tuning.rttMarkSeq = c.rcvNxt + max(Int(c.receiveWindow), Int(c.rcvMSS), 1)
            ring.tuning.rttMarkAt = now
            guard mark != .never else { return }
            sample = max((now - mark).nanoseconds, 1)
        }
        let old = ring.tuning.rtt
        ring.tuning.rtt = old == 0 || sample < old ? sample : old + (sample - old) / 8
    }

    /// The application read: once a round trip has passed since the last look, compare what it read
    /// per round trip with the buffer, and double the buffer when the window that needs (about twice
    /// that) exceeds it.
    mutating func receiveSpaceAdjust(_ c: inout Connection, _ now: Instant) {
        guard configuration.receiveBuffer.isAutoTuned, !c.receiveBuffer.placeholder, !c.finReceived else { return }
        let ring = c.receiveBuffer
        let readSeq = c.rcvNxt - UInt32(ring.count)   // the next byte the application reads
        let start = ring.tuning.measureStart
        guard start != .never else {
            ring.tuning.measureStart = now
            ring.tuning.measureSeq = readSeq
            return
        }
        let rtt = ring.tuning.rtt > 0 ? ring.tuning.rtt : (c.srtt ?? 0)
        let elapsed = (now - start).nanoseconds
        guard rtt > 0, elapsed >= rtt else { return }
        // What was read per round trip: an application that reads rarely in large gulps is a slow
        // reader, not a fast one.
        let read = Int(readSeq - ring.tuning.measureSeq)
        let perRTT = Int((Double(read) * Double(rtt) / Double(elapsed)).rounded())
        let previous = ring.tuning.readPerRTT
        ring.tuning.measureStart = now
        ring.tuning.measureSeq = readSeq
        ring.tuning.readPerRTT = perRTT
        // Twice what was read, times the rate's growth since the last round (at most 2×, as in
        // slow start): the window must be ahead of the sender, which grows within the round trip
        // the new window takes to reach it.
        var target = 2 * perRTT
        if previous > 0 && perRTT > previous { target = Int(Double(target) * min(2, Double(perRTT) / Double(previous))) }
        guard target > ring.capacity, grow(ring, limit: configuration.receiveBufferLimit, now) else { return }
        statistics.receiveBufferGrowths += 1
    }

    // MARK: Send side

    /// An ACK freed room in a send buffer the application had filled: grow it when it holds less
    /// than what is in flight plus one more window, at most once per round trip.
    mutating func expandSendBuffer(_ c: inout Connection, _ now: Instant) {
        guard configuration.sendBuffer.isAutoTuned, c.sendBufferSize == 0, !c.sendBuffer.placeholder else { return }
        let ring = c.sendBuffer
        let window = min(c.cwnd, Int(c.maxSndWnd))
        guard max(c.bytesInFlight, window) + window > ring.capacity else { return }
        if ring.tuning.grownAt != .never, let srtt = c.srtt, (now - ring.tuning.grownAt).nanoseconds < srtt { return }
        guard grow(ring, limit: configuration.sendBufferLimit, now) else { return }
        statistics.sendBufferGrowths += 1
        // The scoreboard has room for what the larger buffer can have outstanding.
        if let sb = c.scoreboard {
            sb.grow(capacity: Scoreboard.capacity(bufferBytes: ring.capacity, mss: c.sendMSS,
                                                  limit: configuration.sackScoreboardLimit))
        }
    }
}
