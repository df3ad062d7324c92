import TCPWire

/// The sender's side of SACK: the scoreboard kept up to date from each ACK (RFC 2018, RFC 2883),
/// loss detection by RFC 6675 IsLost and RACK (RFC 8985 §6), RFC 6675 loss recovery (pipe,
/// NextSeg), the tail loss probe (RFC 8985 §7), and the RTO with a scoreboard (RFC 6675 §5.1).
/// Congestion responses (how far cwnd and ssthresh move) are in TCPStack+Congestion.swift.
extension TCPStack {
    static let dupThresh = 3
    /// RFC 8985 §7.2 WCDelAckT: the worst-case delayed-ACK time of the peer.
    static let worstCaseDelayedACK: Int64 = 200_000_000
    /// The smallest PTO (Linux's floor for its tail loss probe: 10 ms).
    static let minimumProbeTimeout: Int64 = 10_000_000

    // MARK: Recording transmissions

    /// New data [seq, seq + length) just went out (RFC 8985 §6.1: remember its send time).
    mutating func recordTransmission(_ c: inout Connection, seq: SequenceNumber, length: Int, fin: Bool, payload: Int, now: Instant) {
        guard c.sackOK, length > 0 else { return }
        if c.scoreboard == nil {
            // A bare FIN needs no scoreboard, unless it is to get a loss probe (`tailLossProbeForFIN`).
            guard payload > 0 || configuration.tailLossProbeForFIN && configuration.tailLossProbe else { return }
            c.scoreboard = Scoreboard(capacity: Scoreboard.capacity(bufferBytes: c.sendBuffer.capacity, mss: c.sendMSS,
                                                                           limit: configuration.sackScoreboardLimit))
            c.scoreboard!.fack = c.sndUna   // RACK.fack starts at SND.UNA (sequence numbers compare modulo 2^32)
        }
        let sb = c.scoreboard!
        if sb.isEmpty && seq != c.sndUna { return }   // records must start at SND.UNA
        sb.append(start: seq, end: seq + length, fin: fin, now: now)
        if c.inFastRecovery || c.inRTORecovery { sb.pipe += length }
        if sb.tlpPending {
            // RFC 8985 §7.3: the probe was new data.
            sb.tlpPending = false
            sb.tlpEndSeq = c.sndMax
            sb.tlpIsRetransmission = false
            c.timers[.retransmit] = now.advanced(byNanoseconds: c.rto)
        }
    }

    // MARK: ACK processing

    /// An acceptable ACK on a connection with a scoreboard (RFC 6675 §5, RFC 8985 §6.2): takes
    /// the cumulative ACK and the SACK blocks, marks losses, and enters or leaves recovery.
    mutating func sackACKArrives(_ c: inout Connection, _ id: ConnectionID, _ h: TCPHeader, classicDuplicate: Bool, _ now: Instant) {
        let sb = c.scoreboard!
        let ack = h.acknowledgmentNumber
        let oldUna = c.sndUna
        let oldNxt = c.sndNxt
        let frtoHigh = c.frto.phase != .off ? c.frto.highSeq : oldUna   // F-RTO: data sent before the timeout
        var coversOriginal = false
        let blocks = h.options.sackBlocks
        let sackedBefore = sb.sackedBytes
        let everSACKedBefore = sb.everSACKedBytes
        let limitHitsBefore = sb.limitHits
        var dsack: SACKBlock?
        statistics.sackBlocksReceived += blocks.count
        // RFC 2883 §4: the first block reports a duplicate when it lies below the cumulative ACK
        // or inside the second block.
        if let first = blocks.first, first.left < first.right,
           first.right <= ack || (blocks.count > 1 && blocks[1].left <= first.left && first.right <= blocks[1].right) {
            dsack = first
            statistics.dsacksReceived += 1
        }
        // RFC 8985 §6.2 step 2 with timestamps: the echoed TSval tells which transmission an ACK answers.
        let echoed = c.timestampsOn ? h.options.timestamp?.echoReply : nil
        let offset = c.tsOffset
        let deferGrowth = configuration.windowGrowth == .delivered
        var ackedData = 0
        if ack > oldUna {
            timestampRTTSample(&c, h, now)   // RFC 7323 §4: before SND.UNA moves
            classicHyStartACK(&c, sb, ack, now)   // HyStart+Classic.swift: before cwnd grows
            ackedData = acknowledge(&c, id, ack, now, deferGrowth: deferGrowth)
            sb.acknowledge(upTo: ack) {
                sb.rackDelivered($0, now: now, echoedTS: echoed, tsOffset: offset)
                if !$0.flags.contains(.everRetransmitted) && $0.end <= frtoHigh { coversOriginal = true }
            }
            c.duplicateACKs = 0   // RFC 6675 §5: a cumulative ACK resets DupAcks
            c.limitedTransmitBytes = 0   // and ends a run of limited transmit
        }
        var newlySACKed = 0
        for (i, b) in blocks.enumerated() {
            if i == 0 && dsack != nil { continue }
            // RFC 2018 §3 / RFC 6675 §4 Update(): only blocks inside SND.UNA..SND.MAX mean anything.
            guard b.left < b.right, b.left >= oldUna, b.right <= c.sndMax else {
                statistics.sackBlocksIgnored += 1
                continue
            }
            guard b.right > c.sndUna else { continue }
            newlySACKed += sb.sack(SequenceNumber.max(b.left, c.sndUna), b.right,
                                   wholeSegments: configuration.sackWholeSegments ? c.sendMSS : nil) {
                sb.rackDelivered($0, now: now, echoedTS: echoed, tsOffset: offset)
                if !$0.flags.contains(.everRetransmitted) && $0.end <= frtoHigh { coversOriginal = true }
            }
        }
        statistics.sackScoreboardLimitHits += sb.limitHits - limitHitsBefore   // CVE-2019-11477/8
        if deferGrowth && ackedData > 0 {
            // WindowGrowth.delivered: SND.UNA's advance plus the change in SACKed bytes (SACKed
            // data now acknowledged cumulatively was delivered before).
            newDataAcknowledged(&c, ackedData, now, delivered: max(0, ackedData + sb.sackedBytes - sackedBefore))
            if c.sendBufferWasFull { wakeWriter(&c, id, now) }   // with the grown window (tcp_sndbuf_expand)
        }
        if c.frto.phase != .off {
            // F-RTO's test of this ACK (TCPStack+ForwardRTORecovery.swift), before loss detection.
            c.frto.ackCoversOriginal = coversOriginal
            c.frto.ackSACKedData = newlySACKed > 0
            forwardRTOACK(&c, h, oldUna: oldUna, oldNxt: oldNxt, duplicate: ack == oldUna && c.sndMax != c.sndUna
                          && (newlySACKed > 0 || classicDuplicate), now)
        }
        c.counters.bytesSACKed &+= UInt64(sb.everSACKedBytes - everSACKedBefore)
        // RFC 6675 §2 DupAck: no cumulative progress, and new SACKed data (or a classic duplicate).
        if ack == oldUna && c.sndMax != c.sndUna && (newlySACKed > 0 || classicDuplicate) {
            c.duplicateACKs += 1
            c.counters.duplicateACKs &+= 1
            statistics.duplicateACKs += 1
        }
        tlpACKArrives(&c, sb, ack, dsack, now)
        if let d = dsack {
            rackDSACKSeen(&c, sb)
            spuriousRetransmissionReported(&c, sb, d)
        }

        // Leaving recovery (RFC 6675 §5: the cumulative ACK reached RecoveryPoint).
        if (c.inFastRecovery || c.inRTORecovery) && c.sndUna >= c.recover {
            if c.inFastRecovery { congestionRecoveryEnded(&c) }
            c.inFastRecovery = false
            c.inRTORecovery = false
            c.duplicateACKs = 0
            if sb.reoWndPersist > 0 {
                sb.reoWndPersist -= 1
                if sb.reoWndPersist == 0 { sb.reoWndMult = 1 }
            }
        }
        undoSpuriousRecovery(&c, sb)
        var lost = sb.markLostBySACK(mss: c.sendMSS, dupThresh: Self.dupThresh)
        lost += rackDetectLoss(&c, sb, now)
        // RFC 6675 §5: enter recovery on the DupThresh-th duplicate or when IsLost(SND.UNA); RACK
        // losses start it too (RFC 8985 §6.2). Not while the last recovery lasts: it ends with the
        // cumulative ACK of RecoveryPoint (`recover` is one past it), and a new one may start at
        // once — a segment lost just past the old RecoveryPoint (SND.UNA == recover) is a new
        // loss, which `>` here left to the retransmission timer. (RFC 6582's stricter "covers more
        // than recover" is for NewReno without SACK, where duplicates cannot be told apart.)
        if !c.inFastRecovery && !c.inRTORecovery && c.sndUna >= c.recover
            && (c.duplicateACKs >= Self.dupThresh || sb.firstIsLost || lost > 0) {
            // RFC 4821 §7.5: a lost path MTU probe is not congestion (TCPStack+PathMTUProbing.swift).
            if !pathMTUProbeLost(&c, now) { enterSACKRecovery(&c, sb, now) }
        }
        _ = sb.computePipe()
        if c.inFastRecovery {
            // RFC 6937 §3 DeliveredData: the change in SND.UNA plus the change in SACKed bytes.
            let delivered = max(0, Int(c.sndUna - oldUna) + sb.sackedBytes - sackedBefore)
            congestionRecoveryACK(&c, delivered: delivered, pipe: sb.pipe, safeACK: c.sndUna > oldUna && lost == 0)
        }
    }

    /// RFC 6675 §5 steps (4.1)–(4.3): RecoveryPoint = HighData, the congestion response, and the
    /// first segment presumed dropped is resent first.
    mutating func enterSACKRecovery(_ c: inout Connection, _ sb: Scoreboard, _ now: Instant) {
        c.recover = c.sndMax
        c.inFastRecovery = true
        statistics.sackRecoveries += 1
        statistics.fastRetransmissions += 1
        // What an undo would restore, should every retransmission turn out to be needless.
        sb.undoMarker = c.sndUna
        sb.undoCwnd = c.cwnd
        sb.undoSsthresh = c.ssthresh
        sb.undoRetransmissions = 0
        // (4.2): the congestion response; without PRR, cwnd = ssthresh at once (RFC 6675 §5).
        // RFC 6675 §5 (4.2) with RFC 5681 §3.2: FlightSize without what limited transmit sent.
        congestionRecoveryStarted(&c, now, limitedTransmitBytes: c.limitedTransmitBytes)
        c.limitedTransmitBytes = 0
        if !configuration.proportionalRateReduction { c.cwnd = c.ssthresh }
        if sb.count > 0 && !sb[0].sacked && !sb[0].flags.contains(.retransmitted) {
            var r = sb[0]
            r.flags.insert(.lost)
            sb[0] = r
        }
        sb.entryRetransmit = sb.nextLost(belowHighestSACK: false) != nil
        sb.rescueSent = false
        c.rttSeq = nil   // Karn: the timed segment may be resent
        // RFC 8985 §7.2: no probe during recovery.
        if sb.lossTimer == .probe { c.timers[.lossProbe] = nil; sb.lossTimer = .none }
    }

    // MARK: Undoing a spurious recovery (RFC 2883 §5, RFC 3708, RFC 4015)

    /// A D-SACK block: a segment arrived twice. If it lies in what the last fast recovery resent
    /// (from SND.UNA at its start up to RecoveryPoint), one of its retransmissions was needless
    /// (RFC 3708 §3: the original arrived too, so it was delayed or reordered, not lost).
    func spuriousRetransmissionReported(_ c: inout Connection, _ sb: Scoreboard, _ d: SACKBlock) {
        guard let marker = sb.undoMarker, sb.undoRetransmissions > 0, d.left >= marker, d.right <= c.recover else { return }
        sb.undoRetransmissions -= 1
    }

    /// Once the recovery is over and a D-SACK has shown every one of its retransmissions to be a
    /// duplicate, nothing was lost: the congestion response is undone, cwnd and ssthresh back to
    /// what they were (RFC 4015 §3.2's response; RFC 2883 §5 proposes this use of D-SACK; Linux's
    /// tcp_try_undo_dsack). A timeout or a new recovery forgets the episode.
    mutating func undoSpuriousRecovery(_ c: inout Connection, _ sb: Scoreboard) {
        guard sb.undoMarker != nil, !c.inFastRecovery, !c.inRTORecovery, sb.undoRetransmissions == 0,
              c.sndUna >= c.recover else { return }
        sb.undoMarker = nil
        c.cwnd = max(c.cwnd, sb.undoCwnd)
        c.ssthresh = max(c.ssthresh, sb.undoSsthresh)
        statistics.spuriousRecoveriesUndone += 1
    }

    // MARK: RACK (RFC 8985 §6)

    /// Step 4's D-SACK part: widen the reordering window once per round trip with D-SACKs.
    func rackDSACKSeen(_ c: inout Connection, _ sb: Scoreboard) {
        if let round = sb.dsackRound, c.sndUna >= round { sb.dsackRound = nil }
        if sb.dsackRound == nil {
            sb.dsackRound = c.sndMax
            sb.reoWndMult += 1
            sb.reoWndPersist = 16
        }
    }

    /// Step 5: time-based loss marking, and the reordering timer for what is not yet overdue.
    mutating func rackDetectLoss(_ c: inout Connection, _ sb: Scoreboard, _ now: Instant) -> Int {
        guard configuration.rack else { return 0 }
        let reoWnd = sb.reorderWindow(srtt: c.srtt, inRecovery: c.inFastRecovery || c.inRTORecovery, dupThresh: Self.dupThresh)
        let (marked, timeout) = sb.rackDetectLoss(now: now, reoWnd: reoWnd)
        statistics.rackLosses += marked
        if let timeout {
            // RFC 8985 §6.3: fire when the oldest waiting segment becomes overdue.
            c.timers[.reorder] = now.advanced(byNanoseconds: timeout)
            sb.lossTimer = .reorder
        } else if sb.lossTimer == .reorder {
            c.timers[.reorder] = nil
            sb.lossTimer = .none
        }
        return marked
    }

    // MARK: TLP (RFC 8985 §7)

    /// §7.4: the end of a probe's episode. A retransmitted probe acknowledged without a D-SACK
    /// repaired a real loss: the congestion response is due.
    mutating func tlpACKArrives(_ c: inout Connection, _ sb: Scoreboard, _ ack: SequenceNumber, _ dsack: SACKBlock?, _ now: Instant) {
        guard let end = sb.tlpEndSeq else { return }
        if sb.tlpIsRetransmission, let d = dsack, d.right == end {
            sb.tlpEndSeq = nil   // both copies arrived: nothing was lost
            return
        }
        guard ack >= end else { return }
        sb.tlpEndSeq = nil
        if sb.tlpIsRetransmission { tailLossRepaired(&c, now) }
    }

    /// §7.2: (re)arms the probe timeout after new data went out or new data was acknowledged,
    /// outside recovery, with data outstanding; cancels it otherwise. The engine's choice: a lone
    /// FIN is left to the retransmission timer (unless `tailLossProbeForFIN`, as Linux).
    /// `mutating` though it changes only `c`: called from `commit` for every segment, a
    /// non-mutating method made the caller copy the whole stack (~900 bytes and its references)
    /// to pass it.
    mutating func armLossProbe(_ c: inout Connection, _ now: Instant) {
        guard let sb = c.scoreboard else { return }
        let finOutstanding = c.finQueued && c.sndMax == c.finSeq + 1
        let dataOutstanding = Int(c.sndMax - c.sndUna) > (finOutstanding && !configuration.tailLossProbeForFIN ? 1 : 0)
        guard configuration.tailLossProbe, c.sackOK, c.state.isSynchronized, dataOutstanding,
              !c.inFastRecovery, !c.inRTORecovery, sb.tlpEndSeq == nil, !sb.tlpPending,
              sb.lossTimer != .reorder, c.retries == 0, let rto = c.timers[.retransmit] else {
            if sb.lossTimer == .probe { c.timers[.lossProbe] = nil; sb.lossTimer = .none }
            return
        }
        // Already armed for this flight (same SND.UNA and SND.MAX): keep it.
        if sb.lossTimer == .probe, sb.ptoUna == c.sndUna, sb.ptoMax == c.sndMax { return }
        var pto: Int64
        if let srtt = c.srtt {
            // RFC 8985 §7.2: PTO = 2·SRTT (+ WCDelAckT for a flight of one segment), and, as Linux
            // does, never under 10 ms: on a path of microseconds a probe would otherwise beat the
            // peer's own scheduling and retransmit what its ACK was about to cover.
            pto = max(2 * srtt, Self.minimumProbeTimeout)
            if sb.count == 1 { pto += Self.worstCaseDelayedACK }
        } else {
            pto = 1_000_000_000
        }
        // RFC 8985 §7.2: when the RTO would fire sooner, the probe goes at the RTO's time instead.
        c.timers[.lossProbe] = min(now.advanced(byNanoseconds: pto), rto)
        sb.lossTimer = .probe
        sb.ptoUna = c.sndUna
        sb.ptoMax = c.sndMax
    }

    /// The RACK reordering timer or the probe timer fired (`fireTimers` has turned it off).
    mutating func lossTimerFired(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        guard let sb = c.scoreboard, c.state.isSynchronized else { return }
        let kind = sb.lossTimer
        sb.lossTimer = .none
        switch kind {
        case .none:
            return
        case .reorder:
            trace(now, id, .timer(.reorder))
            // RFC 8985 §6.3: detect again with the clock moved on.
            let lost = rackDetectLoss(&c, sb, now)
            if lost > 0 && !c.inFastRecovery && !c.inRTORecovery && c.sndUna >= c.recover {
                enterSACKRecovery(&c, sb, now)
            }
            _ = sb.computePipe()
        case .probe:
            trace(now, id, .timer(.lossProbe))
            guard c.sndMax != c.sndUna, !c.inFastRecovery, !c.inRTORecovery else { return }
            // RFC 8985 §7.3: send one segment, new data if the peer's window takes it, otherwise
            // the last segment again.
            sb.tlpPending = true
            statistics.lossProbes += 1
        }
    }

    // MARK: Sending from the scoreboard

    /// Room for new data during SACK recovery: cwnd − pipe (RFC 6675 §5 step (C)), at least one
    /// SMSS, within the peer's window; a pending probe ignores cwnd (RFC 8985 §7.3).
    func sackSendRoom(_ c: Connection, windowRoom: Int) -> Int? {
        guard let sb = c.scoreboard, c.sackOK else { return nil }
        if sb.tlpPending { return windowRoom }
        guard c.inFastRecovery || c.inRTORecovery else { return nil }
        let room = c.cwnd - sb.pipe
        return room >= c.sendMSS ? min(room, windowRoom) : 0
    }

    /// A retransmission from the scoreboard is due now.
    func sackWantsToSend(_ c: Connection) -> Bool {
        guard let sb = c.scoreboard, c.sackOK, c.state.isSynchronized, !c.frto.sendNewData else { return false }
        if sb.tlpPending || sb.entryRetransmit { return true }
        guard c.inFastRecovery || c.inRTORecovery, c.cwnd - sb.pipe >= c.sendMSS else { return false }
        if sb.nextLost(belowHighestSACK: !c.inRTORecovery) != nil { return true }
        guard c.inFastRecovery && !newDataSendable(c) else { return false }
        return sb.nextUnSACKedBelowHighest() != nil
            || (configuration.sackRescueRetransmission && !sb.rescueSent && sb.rescueCandidate(recoveryPoint: c.recover) != nil)
    }

    /// RFC 6675 §4 NextSeg rules (1), (3) and (4) (and, after an RTO, every lost segment in
    /// order), or the retransmitted tail loss probe.
    mutating func sackNextSegment(_ c: inout Connection, _ now: Instant, maxPayload: Int, window: UInt16,
                                  segmentLimit: Int = 0) -> OutgoingSegment? {
        guard let sb = c.scoreboard, c.sackOK, !c.frto.sendNewData else { return nil }   // F-RTO step 2b: new data
        if sb.tlpPending {
            // RFC 8985 §7.3: new data if it is available and the receive window allows it (the
            // data path sends it); otherwise the probe retransmits. "Allows" is what the data path
            // would really send: a window too small for sender SWS avoidance (RFC 9293 §3.8.6.2.1)
            // sends nothing, and deferring to it would leave the probe pending with nothing sent.
            if c.unsentBytes > 0 && sendableLength(c, maxPayload: maxPayload) > 0 { return nil }
            sb.tlpPending = false
            // The last unSACKed segment, at most one SMSS of its end.
            var i = sb.count - 1
            while i >= 0 && sb[i].sacked { i -= 1 }
            guard i >= 0 else { return nil }
            if sb[i].length > c.sendMSS && sb.split(i, at: sb[i].end - UInt32(c.sendMSS)) { i += 1 }
            guard let seg = retransmit(&c, sb, i, now, maxPayload: maxPayload, window: window) else { return nil }
            sb.tlpEndSeq = c.sndMax
            sb.tlpIsRetransmission = true
            c.timers[.retransmit] = now.advanced(byNanoseconds: c.rto)   // §7.3: the RTO runs from the probe
            return seg
        }
        if sb.entryRetransmit {
            sb.entryRetransmit = false
            if let i = sb.nextLost(belowHighestSACK: false) {
                return retransmit(&c, sb, i, now, maxPayload: maxPayload, window: window)
            }
        }
        guard c.inFastRecovery || c.inRTORecovery, c.cwnd - sb.pipe >= c.sendMSS else { return nil }
        // Rule (1): a lost segment (with TSO, the lost ones that follow it too: TCPStack+Offload.swift).
        if let i = sb.nextLost(belowHighestSACK: !c.inRTORecovery) {
            guard var seg = retransmit(&c, sb, i, now, maxPayload: maxPayload, window: window) else { return nil }
            if segmentLimit > c.sendMSS { extendRetransmission(&c, sb, i, &seg, now, limit: min(segmentLimit, maxPayload)) }
            return seg
        }
        // Rule (2), new data, is the data path's; rule (3) when it has none to send: the first
        // unSACKed segment below the highest SACK not yet resent.
        if c.inFastRecovery && !newDataSendable(c), let i = sb.nextUnSACKedBelowHighest() {
            return retransmit(&c, sb, i, now, maxPayload: maxPayload, window: window)
        }
        // Rule (4), the rescue retransmission: once per recovery, when none of the above may go,
        // one segment holding the highest outstanding unSACKed sequence number. A loss at the
        // tail, above every SACK block, qualifies for no other rule and would wait for the RTO.
        if configuration.sackRescueRetransmission, c.inFastRecovery && !sb.rescueSent && !newDataSendable(c), var i = sb.rescueCandidate(recoveryPoint: c.recover) {
            if sb[i].length > c.sendMSS && sb.split(i, at: sb[i].end - UInt32(c.sendMSS)) { i += 1 }
            sb.rescueSent = true
            return retransmit(&c, sb, i, now, maxPayload: maxPayload, window: window)
        }
        return nil
    }

    /// New data could go now (RFC 6675 NextSeg rule (2)): unsent bytes inside the peer's window.
    func newDataSendable(_ c: Connection) -> Bool {
        c.unsentBytes > 0 && Int(c.sndUna - c.sndNxt) + Int(c.sndWnd) > 0
    }

    /// Sends record `i` again (at most one SMSS of it: a longer record is split first).
    mutating func retransmit(_ c: inout Connection, _ sb: Scoreboard, _ i: Int, _ now: Instant, maxPayload: Int, window: UInt16) -> OutgoingSegment? {
        let limit = max(1, min(c.sendMSS, maxPayload))
        if sb[i].length > limit + (sb[i].flags.contains(.fin) ? 1 : 0) { sb.split(i, at: sb[i].start + limit) }
        var r = sb[i]
        let fin = r.flags.contains(.fin)
        let offset = Int(r.start - c.sendBufferSeq)
        let length = recordLength(c, from: r.start, min(r.length - (fin ? 1 : 0), limit))   // MSG_EOR (TCPStack+Corking.swift)
        if length < r.length - (fin ? 1 : 0) && length > 0 { sb.split(i, at: r.start + length); r = sb[i] }
        guard offset >= 0, length >= 0, offset + length <= c.sendBuffer.count, length > 0 || fin else {
            // The record does not match the buffer (cannot happen): stop using the scoreboard.
            sb.removeAll()
            return nil
        }
        let carriesFIN = fin && r.start + length + 1 == r.end
        var flags: TCPFlags = [.ack]
        if carriesFIN { flags.insert(.fin) }
        if length > 0 && segmentEndPushes(c, end: r.start + length) { flags.insert(.psh) }
        // `.lost` stays: RFC 6675 §4 SetPipe counts a lost segment once more, for this copy.
        r.flags.insert([.retransmitted, .everRetransmitted])
        r.sentAt = now
        sb[i] = r
        sb.pipe += r.length
        countRetransmission(&c, bytes: length)
        if c.inFastRecovery && sb.undoMarker != nil { sb.undoRetransmissions += 1 }
        if c.inFastRecovery && configuration.proportionalRateReduction { congestionRecoverySent(&c, bytes: length) }
        if length > 0 { c.lastDataSentAt = now; interactiveDataSent(&c, now) }
        if c.rttSeq.map({ $0 >= r.start && $0 < r.end }) ?? false { c.rttSeq = nil }   // Karn
        if c.timers[.retransmit] == nil { c.timers[.retransmit] = now.advanced(byNanoseconds: c.rto) }
        c.ackPending = false
        let h = TCPHeader(sourcePort: c.local.port, destinationPort: c.remote.port, sequenceNumber: r.start,
                          acknowledgmentNumber: c.rcvNxt, flags: flags, window: window)
        return OutgoingSegment(header: h, payloadOffset: offset, payloadLength: length)
    }

    // MARK: Retransmission timeout

    /// RFC 6675 §5.1 with the scoreboard: recovery ends, RecoveryPoint = HighData, and everything
    /// not SACKed is lost and resent in order as cwnd allows, SACKed data skipped. RFC 2018 §8: the
    /// left edge is always resent; if it was SACKed the receiver reneged, and every SACK mark is
    /// forgotten (the data itself was never freed). Returns false when there is no usable
    /// scoreboard (the caller goes back to SND.UNA instead).
    mutating func sackRetransmitTimeout(_ c: inout Connection) -> Bool {
        guard c.sackOK, c.state.isSynchronized, let sb = c.scoreboard, !sb.isEmpty,
              sb[0].start == c.sndUna, sb.last!.end == c.sndMax else {
            c.scoreboard?.removeAll()
            c.inRTORecovery = false
            return false
        }
        if sb[0].sacked {
            sb.clearSACKs()
            statistics.renegingsDetected += 1
        }
        sb.markAllLost()
        sb.undoMarker = nil   // a timeout is not undone here (that would be F-RTO's or Eifel's detection)
        sb.tlpEndSeq = nil
        sb.tlpPending = false
        if sb.lossTimer != .none { sb.lossTimer = .none; c.timers[.reorder] = nil }   // the loss timer, either kind
        c.inRTORecovery = true
        _ = sb.computePipe()
        return true
    }
}

extension TCPStack {
    /// Puts the SACK option on an ACK-bearing segment of a SACK connection (RFC 2018 §3–4): a
    /// D-SACK block first when a duplicate arrived (RFC 2883 §4), then the block holding the most
    /// recently received segment, then the other held ranges, most recently received first, as
    /// many as fit beside the other options (4 alone, 3 with timestamps).
    /// On a data segment the blocks must fit beside the payload within the MSS (RFC 6691 §3), so a
    /// full-sized segment carries none.
    mutating func addSACKBlocks(_ c: inout Connection, _ h: inout TCPHeader, payloadLength: Int) {
        guard c.sackOK, c.state.isSynchronized, h.flags.contains(.ack), !h.flags.contains(.syn), !h.flags.contains(.rst) else { return }
        var free = 40 - h.options.encodedLength
        if payloadLength > 0 {
            // Data plus options may fill the peer's MSS. `sendMSS` already left out the 12 bytes
            // the timestamps take on every segment (TCPStack+RFC7323), and `encodedLength` counts
            // them again: add them back once.
            let segmentLimit = c.sendMSS + (c.timestampsOn ? 12 : 0)
            free = min(free, segmentLimit - payloadLength - h.options.encodedLength)
        }
        free -= 4   // NOP, NOP, kind, length
        let room = min(SACKBlocks.capacity, max(0, free / 8))
        guard room > 0, c.sackReport.dsack != nil || !c.assembler.isEmpty else { return }
        var blocks = SACKBlocks()
        if let d = c.sackReport.dsack {
            blocks.append(SACKBlock(left: d.left, right: d.right))
            c.sackReport.dsack = nil
            statistics.dsacksSent += 1
        }
        func add(_ r: (start: UInt32, end: UInt32)) {
            guard blocks.count < room else { return }
            let b = SACKBlock(left: c.rcvNxt + Int(r.start), right: c.rcvNxt + Int(r.end))
            if blocks.contains(b) { return }
            blocks.append(b)
        }
        for i in 0..<c.sackReport.anchorCount {
            let a = c.sackReport.anchor(i)
            guard a >= c.rcvNxt else { continue }
            if let r = c.assembler.range(containing: UInt32(a - c.rcvNxt)) { add(r) }
        }
        for i in 0..<c.assembler.count { add(c.assembler.range(i)) }
        h.options.sackBlocks = blocks
    }
}
