import TCPWire

/// F-RTO (RFC 5682), as Linux runs it for every connection (tcp_frto = 2): §3's algorithm, with
/// §4's SACK-enhanced test where a scoreboard exists. After a retransmission timeout:
/// - step 2: when the first ACK after the timeout advances SND.UNA (the retransmission got
///   through), send new data rather than the next retransmissions (2b);
/// - step 3: if the next ACK acknowledges or SACKs data sent before the timeout and never resent,
///   the originals had arrived and the timeout was spurious: cwnd and ssthresh go back to what they
///   were and nothing more is retransmitted (3b; RFC 4015's response, Linux's tcp_try_undo_loss);
///   a duplicate ACK or one that SACKs only the new data means the loss was real, and the
///   conventional recovery goes on (3a).
/// With timestamps, an ACK that echoes a TSval older than the timeout's retransmission answers an
/// original transmission (RFC 3522 §3.2, Eifel detection): undone at once.
extension TCPStack {
    /// The retransmission timer fired and `retransmitTimeout` has taken its congestion response
    /// (step 1). `reduced`: this timeout reduced ssthresh, and `priorCwnd`/`priorSsthresh` are what
    /// it replaced. F-RTO tests a timeout that starts a new episode, or any later one in a row
    /// (Linux: new recovery, or timeouts already counted), never one during fast recovery or a
    /// path MTU probe's.
    mutating func forwardRTOTimeout(_ c: inout Connection, newEpisode: Bool, reduced: Bool,
                                    priorCwnd: Int, priorSsthresh: Int, _ now: Instant) {
        guard configuration.forwardRTORecovery, c.state.isSynchronized, newEpisode || c.retries > 1 else {
            c.frto = ForwardRTORecovery()
            return
        }
        if reduced {
            c.frto.undoCwnd = UInt32(clamping: priorCwnd)
            c.frto.undoSsthresh = UInt32(clamping: priorSsthresh)
        }
        c.frto.phase = .waitingForACK
        c.frto.sendNewData = false
        c.frto.highSeq = c.sndMax
        c.frto.retransmitFrontier = c.sndUna
        c.frto.retransmissionTSval = c.timestampsOn ? timestampValue(c, now) : 0
    }

    /// An acceptable ACK while a timeout is under test (steps 2 and 3; Linux's tcp_process_loss).
    /// Runs after the ACK's cumulative and selective parts are taken, before loss detection.
    /// `oldUna`, `oldNxt`: SND.UNA and SND.NXT before the ACK; `duplicate`: a duplicate ACK.
    mutating func forwardRTOACK(_ c: inout Connection, _ h: TCPHeader, oldUna: SequenceNumber, oldNxt: SequenceNumber,
                                duplicate: Bool, _ now: Instant) {
        guard c.frto.phase != .off else { return }
        let sacked = c.frto.ackSACKedData
        var original = c.frto.ackCoversOriginal
        c.frto.sendNewData = false
        c.frto.ackCoversOriginal = false
        c.frto.ackSACKedData = false
        let advanced = c.sndUna > oldUna
        if !c.sackRecovery {
            // Without a scoreboard, what was resent since the timeout ends at the go-back
            // frontier: an ACK past it (and not past new data only) covers original transmissions.
            let frontier = c.frto.phase == .newDataSent ? c.frto.retransmitFrontier : oldNxt
            original = frontier < c.frto.highSeq && c.sndUna > frontier
        }
        // RFC 3522 §3.2: the ACK echoes a timestamp older than the retransmission's.
        if advanced, c.timestampsOn, c.frto.retransmissionTSval != 0,
           let ecr = h.options.timestamp?.echoReply, ecr != 0,
           Int32(bitPattern: ecr &- c.frto.retransmissionTSval) < 0 {
            undoSpuriousTimeout(&c, now)
            return
        }
        // Step 3b (§4 step 3b with SACK): never-retransmitted data from before the timeout arrived.
        if original {
            undoSpuriousTimeout(&c, now)
            return
        }
        if c.sndUna >= c.frto.highSeq {
            c.frto = ForwardRTORecovery()   // everything sent before the timeout is acknowledged
            return
        }
        switch c.frto.phase {
        case .newDataSent:
            // Step 3a: a duplicate ACK, or SACK blocks for the new data: the timeout was genuine.
            if sacked || duplicate { endForwardRTO(&c) }
        case .waitingForACK:
            guard advanced else { return }
            // Step 2b: new data if the peer's window has room past SND.MAX, else step 2a's
            // conventional recovery.
            if c.unsentBytes > 0 && Int(c.sndWnd) > Int(c.sndMax - c.sndUna) {
                c.frto.phase = .newDataSent
                c.frto.sendNewData = true
                c.frto.highSeq = c.sndMax
                if !c.sackRecovery {
                    c.frto.retransmitFrontier = c.sndNxt
                    c.sndNxt = c.sndMax
                }
            } else {
                endForwardRTO(&c)
            }
        case .off:
            break
        }
    }

    /// The timeout was genuine (or cannot be tested): the conventional recovery goes on. Without a
    /// scoreboard, after new data went out, go back to SND.UNA.
    mutating func endForwardRTO(_ c: inout Connection) {
        if !c.sackRecovery && c.frto.phase == .newDataSent {
            c.sndNxt = c.sndUna
            c.rttSeq = nil   // Karn: what goes out next is resent
        }
        c.frto = ForwardRTORecovery()
    }

    /// The timeout was spurious (RFC 4015 §3.2 response, as Linux's tcp_undo_cwnd_reduction): cwnd
    /// and ssthresh back to their values before it, the segments marked lost unmarked, and SND.NXT
    /// where it was: nothing more is resent.
    mutating func undoSpuriousTimeout(_ c: inout Connection, _ now: Instant) {
        if c.frto.undoSsthresh > 0 {
            c.cwnd = max(c.cwnd, Int(c.frto.undoCwnd))
            c.ssthresh = max(c.ssthresh, Int(c.frto.undoSsthresh))
        }
        if c.sackRecovery, let sb = c.scoreboard {
            sb.unmarkLost()
            c.inRTORecovery = false
            _ = sb.computePipe()
        } else {
            c.sndNxt = c.sndMax
        }
        c.retries = 0
        c.recover = c.sndUna   // a new loss may start recovery at once (Linux: back to Open)
        c.frto = ForwardRTORecovery()
        statistics.spuriousTimeoutsUndone += 1
    }

    /// Without a scoreboard, after step 2b: the flight counted against cwnd is what was sent since
    /// the timeout (the new data, and resent data not yet acknowledged); the rest is presumed lost,
    /// as Linux counts packets in flight in its Loss state.
    @inline(__always) func forwardRTOFlight(_ c: Connection) -> Int? {   // inlined: on every send-room check
        guard c.frto.phase == .newDataSent, !c.sackRecovery else { return nil }
        return max(0, Int(c.sndNxt - c.frto.highSeq)) + max(0, Int(c.frto.retransmitFrontier - c.sndUna))
    }
}

extension Scoreboard {
    /// Undoing a spurious timeout: no record is lost any more.
    func unmarkLost() {
        for i in 0..<count where self[i].flags.contains(.lost) {
            var r = self[i]
            r.flags.remove(.lost)
            self[i] = r
        }
    }
}
