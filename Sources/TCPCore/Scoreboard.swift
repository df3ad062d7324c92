import TCPWire

/// One transmission of sent data still outstanding: [start, end) in sequence space (a FIN counts
/// as the last sequence number), when it last went out, and what the peer told us about it.
struct SentSegment {
    var start: SequenceNumber
    var end: SequenceNumber
    /// Time of the latest (re)transmission (RFC 8985 §6.1 Segment.xmit_ts).
    var sentAt: Instant
    var flags: Flags

    struct Flags: OptionSet {
        var rawValue: UInt8
        /// Covered by a SACK block (RFC 2018); kept until the cumulative ACK passes it (§8: reneging).
        static let sacked = Flags(rawValue: 1)
        /// Deemed lost (RFC 6675 IsLost, RFC 8985 RACK, or an RTO). It stays set when the record
        /// is retransmitted: pipe (RFC 6675 §4 SetPipe) counts a lost segment's octets only
        /// for the retransmission in flight. Due for retransmission: `.lost` without `.retransmitted`.
        static let lost = Flags(rawValue: 2)
        /// A retransmission of it is in flight (RFC 6675 pipe counts it again).
        static let retransmitted = Flags(rawValue: 4)
        /// Retransmitted at least once (RFC 8985 Segment.retransmitted: no unambiguous RTT).
        static let everRetransmitted = Flags(rawValue: 8)
        /// The last sequence number is our FIN.
        static let fin = Flags(rawValue: 16)
        /// SACKed at some time (kept when the SACK mark is forgotten after reneging): its bytes
        /// are in `everSACKedBytes` already.
        static let everSACKed = Flags(rawValue: 32)
    }

    var length: Int { Int(end - start) }
    var sacked: Bool { flags.contains(.sacked) }
}

/// The sender's view of its outstanding data for SACK loss recovery (RFC 6675 §3 "scoreboard")
/// and RACK-TLP (RFC 8985 §6.1): a ring of sent-segment records covering SND.UNA..SND.MAX without
/// gaps, in sequence order. Allocated once per connection the first time data goes out on a
/// connection that negotiated SACK, with a fixed capacity, so the hot path allocates nothing and
/// an idle connection pays nothing but the reference. When the ring is full, a new transmission is
/// merged into the last record (it is then retransmitted in MSS-sized pieces, split off as needed).
final class Scoreboard {
    private(set) var capacity: Int
    private var storage: UnsafeMutablePointer<SentSegment>
    private var head = 0
    private(set) var count = 0
    /// Records carrying a mark the per-ACK scans look for (SACKed, lost, retransmitted now or
    /// ever; `scanMarks`). While there are none, every record is a first transmission and the
    /// records went out in sequence order, so SetPipe, IsLost and RACK's loss detection need not
    /// visit them all on every ACK (`computePipe`, `markLostBySACK`, `rackDetectLoss`). Kept by the
    /// subscript's setter and by the few places that place or drop records directly.
    private(set) var markedRecords = 0
    private static let scanMarks: SentSegment.Flags = [.sacked, .lost, .retransmitted, .everRetransmitted]
    private static func marked(_ r: SentSegment) -> Int { r.flags.isDisjoint(with: scanMarks) ? 0 : 1 }

    /// SACK block edges not applied because the ring was full (CVE-2019-11477/8; the stack adds
    /// them to `TCPStatistics.sackScoreboardLimitHits`).
    private(set) var limitHits = 0
    /// Records visited by `sack` and by the per-ACK scans (IsLost, SetPipe, RACK): the work a
    /// peer's ACKs cost, which tests bound per ACK (a counter, no timing).
    private(set) var visits = 0

    /// Bytes covered by SACK blocks and not yet cumulatively acknowledged.
    private(set) var sackedBytes = 0
    /// Bytes SACKed for the first time, summed over the connection (each byte once, even when
    /// reneging makes the receiver SACK it again): the source of `TCPInfo.sackedBytes`.
    private(set) var everSACKedBytes = 0
    private(set) var sackedSegments = 0
    /// The highest sequence number SACKed (RFC 6675 HighACK's role in NextSeg: holes lie below it).
    private(set) var highestSACKed: SequenceNumber?
    /// RFC 6675 pipe, recomputed on each ACK (SetPipe) and grown on each transmission.
    var pipe = 0

    // RACK (RFC 8985 §6.1), times in nanoseconds.
    var rackXmit = Instant.zero
    var rackEndSeq = SequenceNumber(0)
    var rackHasDelivery = false
    var rackRTT: Int64 = 0
    var minRTT: Int64 = .max
    /// Highest end sequence delivered (acknowledged or SACKed): RACK.fack.
    var fack = SequenceNumber(0)
    var reorderingSeen = false
    var reoWndMult = 1
    var reoWndPersist = 0
    var dsackRound: SequenceNumber?

    // TLP (RFC 8985 §7).
    var tlpEndSeq: SequenceNumber?
    var tlpIsRetransmission = false
    /// A probe is due (the PTO fired): send one segment outside cwnd.
    var tlpPending = false
    /// SND.UNA and SND.MAX when the probe timer was armed (re-armed when either moves).
    var ptoUna = SequenceNumber(0)
    var ptoMax = SequenceNumber(0)

    /// RFC 6675 §5 step (4.3): the first retransmission on entering recovery goes out whatever
    /// pipe says.
    var entryRetransmit = false
    /// Undoing a spurious recovery (RFC 3708 §3 detection with D-SACK, RFC 4015's response):
    /// SND.UNA when the last recovery began (nil: nothing to undo), cwnd and ssthresh before its
    /// reduction, and its retransmissions no D-SACK has yet shown to be duplicates.
    var undoMarker: SequenceNumber?
    var undoCwnd = 0
    var undoSsthresh = 0
    var undoRetransmissions = 0

    /// RFC 6675 §4 NextSeg rule (4): this recovery's one rescue retransmission has gone (the
    /// RFC's RescueRxt, which is set to RecoveryPoint; a new recovery allows another).
    var rescueSent = false

    /// The rescue retransmission's candidate: the last unSACKed record (it holds the highest
    /// outstanding unSACKed sequence number) — unless a retransmission of it is in flight, or it
    /// was sent after recovery began (it ends past `recoveryPoint`): the rescue is for the tail
    /// that was outstanding when the loss was found, not for data just sent.
    func rescueCandidate(recoveryPoint: SequenceNumber) -> Int? {
        var i = count - 1
        while i >= 0 && self[i].sacked { i -= 1 }
        guard i >= 0, !self[i].flags.contains(.retransmitted), self[i].end <= recoveryPoint else { return nil }
        return i
    }

    /// RFC 6675 §4 NextSeg rule (3): the first unSACKed record below the highest SACKed one that
    /// has not been retransmitted (sent when neither a lost segment nor new data can go).
    func nextUnSACKedBelowHighest() -> Int? {
        guard let h = highestSACKed else { return nil }
        for i in 0..<count {
            let r = self[i]
            if r.start >= h { return nil }
            if !r.sacked && !r.flags.contains(.retransmitted) { return i }
        }
        return nil
    }

    /// What the connection's loss timer (`Connection.Timers`, `.reorder` or `.lossProbe`) is armed for.
    enum LossTimer { case none, reorder, probe }
    var lossTimer = LossTimer.none

    init(capacity: Int) {
        self.capacity = max(capacity, 4)
        storage = .allocate(capacity: self.capacity)
    }
    deinit {
        storage.deinitialize(count: 0)
        storage.deallocate()
    }

    /// Room for `newCapacity` records, the records kept in order (the send buffer grew: one
    /// allocation, as rare as the buffer's growth).
    func grow(capacity newCapacity: Int) {
        guard newCapacity > capacity else { return }
        let s = UnsafeMutablePointer<SentSegment>.allocate(capacity: newCapacity)
        for i in 0..<count { (s + i).initialize(to: self[i]) }
        storage.deinitialize(count: 0)
        storage.deallocate()
        storage = s
        head = 0
        capacity = newCapacity
    }

    /// Records for a connection whose send buffer holds `bufferBytes` and sends `mss`-byte
    /// segments: room for every full segment the buffer can have outstanding, twice over for
    /// short writes, bounded.
    /// `limit` is `TCPConfiguration.sackScoreboardLimit` (CVE-2019-11477/8: the most records a
    /// peer's SACK blocks can fragment the outstanding data into).
    static func capacity(bufferBytes: Int, mss: Int, limit: Int = 8192) -> Int {
        min(max(2 * bufferBytes / max(mss, 1) + 8, 32), max(limit, 4))
    }

    var isEmpty: Bool { count == 0 }

    /// Record `i` (0 ≤ i < count).
    subscript(i: Int) -> SentSegment {
        get { storage[(head + i) % capacity] }
        set {
            let slot = storage + (head + i) % capacity
            markedRecords += Self.marked(newValue) - Self.marked(slot.pointee)
            slot.pointee = newValue
        }
    }

    /// Writes `r` at position `i` over a slot that holds no live record (or a copy of one that
    /// moved): the mark count takes `r` as new.
    private func place(_ r: SentSegment, at i: Int) {
        storage[(head + i) % capacity] = r
        markedRecords += Self.marked(r)
    }

    var last: SentSegment? { count == 0 ? nil : self[count - 1] }

    func removeAll() {
        head = 0; count = 0; markedRecords = 0
        sackedBytes = 0; sackedSegments = 0; highestSACKed = nil; pipe = 0
        tlpEndSeq = nil; tlpPending = false; entryRetransmit = false
    }

    // MARK: Transmissions

    /// New data [start, end) went out at `now` (it must start where the last record ends).
    func append(start: SequenceNumber, end: SequenceNumber, fin: Bool, now: Instant) {
        guard start < end else { return }
        if let l = last, l.end != start {
            // Not contiguous (the caller went back): restart the records from here.
            removeAll()
        }
        if count == capacity {
            // Full: the newest record grows (see the type's comment).
            var l = self[count - 1]
            l.end = end
            l.sentAt = now
            if fin { l.flags.insert(.fin) }
            self[count - 1] = l
            return
        }
        count += 1
        place(SentSegment(start: start, end: end, sentAt: now, flags: fin ? [.fin] : []), at: count - 1)
    }

    /// Splits record `i` so that a record ends at `seq` (start < seq < end). Returns false, changing
    /// nothing, when the ring is full.
    @discardableResult
    func split(_ i: Int, at seq: SequenceNumber) -> Bool {
        let r = self[i]
        guard r.start < seq, seq < r.end else { return true }
        guard count < capacity else { return false }
        // Moves, not new records: the mark count is unchanged by them; `right` is one more.
        var j = count
        while j > i + 1 { storage[(head + j) % capacity] = self[j - 1]; j -= 1 }
        count += 1
        var left = r, right = r
        left.end = seq
        left.flags.remove(.fin)
        right.start = seq
        self[i] = left
        place(right, at: i + 1)
        return true
    }

    // MARK: Acknowledgments

    /// The cumulative ACK moved to `una`: records wholly below it go; one straddling it is trimmed.
    /// Calls `delivered` for each record (or part) acknowledged that was not SACKed before.
    func acknowledge(upTo una: SequenceNumber, _ delivered: (SentSegment) -> Void) {
        while count > 0 {
            var r = self[0]
            if r.end <= una {
                if r.sacked { sackedBytes -= r.length; sackedSegments -= 1 } else { delivered(r) }
                markedRecords -= Self.marked(r)
                head = (head + 1) % capacity
                count -= 1
                continue
            }
            if r.start < una {
                if r.sacked { sackedBytes -= Int(una - r.start) } else {
                    var part = r; part.end = una; delivered(part)
                }
                r.start = una
                self[0] = r
            }
            break
        }
        if count == 0 { head = 0 }
        if let h = highestSACKed, h <= una { highestSACKed = nil }
    }

    /// Marks what [left, right) covers as SACKed, splitting records at its edges. Returns the
    /// bytes newly SACKed; `delivered` sees each newly SACKed record.
    /// With `wholeSegments` (an MSS), a record is split only `wholeSegments` bytes at a time from
    /// its start, so that a block marks whole segments and no part of one (as Linux's
    /// tcp_match_skb_to_sack); a block inside a single segment marks nothing.
    func sack(_ left: SequenceNumber, _ right: SequenceNumber, wholeSegments: Int? = nil, _ delivered: (SentSegment) -> Void) -> Int {
        var newly = 0
        var i = firstIndex(endingAfter: left)
        while i < count {
            visits &+= 1
            var r = self[i]
            if r.start >= right { break }
            if r.start < left {
                var at = left
                if let mss = wholeSegments, mss > 0 {
                    // Round the cut up to a whole number of segments; none left: not SACKed.
                    let cut = (Int(left - r.start) + mss - 1) / mss * mss
                    guard cut < r.length else { i += 1; continue }
                    at = r.start + cut
                }
                if !split(i, at: at) { limitHits += 1 }   // full: the straddling record stays unSACKed
                i += 1
                continue
            }
            if r.end > right {
                var at = right
                if let mss = wholeSegments, mss > 0 {
                    // Round the cut down; less than one segment covered: not SACKed.
                    let cut = Int(right - r.start) / mss * mss
                    guard cut > 0 else { break }
                    at = r.start + cut
                }
                guard split(i, at: at) else { limitHits += 1; break }   // full: leave the straddling record unSACKed
                r = self[i]
            }
            if !r.sacked {
                r.flags.insert(.sacked)
                r.flags.remove(.lost)
                if r.flags.contains(.retransmitted) { r.flags.remove(.retransmitted) }
                if !r.flags.contains(.everSACKed) {
                    r.flags.insert(.everSACKed)
                    everSACKedBytes += r.length
                }
                self[i] = r
                newly += r.length
                sackedBytes += r.length
                sackedSegments += 1
                delivered(r)
                if highestSACKed.map({ r.end > $0 }) ?? true { highestSACKed = r.end }
            }
            i += 1
        }
        return newly
    }

    /// The first record whose end lies past `seq`.
    func firstIndex(endingAfter seq: SequenceNumber) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid].end <= seq { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// RFC 2018 §8: the receiver may renege on SACKed data. Forget every SACK mark (the data was
    /// never freed), as after an RTO whose left edge was SACKed.
    func clearSACKs() {
        for i in 0..<count {
            var r = self[i]
            r.flags.remove(.sacked)
            self[i] = r
        }
        sackedBytes = 0
        sackedSegments = 0
        highestSACKed = nil
    }

    // MARK: RFC 6675 loss detection and pipe

    /// RFC 6675 §4 IsLost for every unSACKed record below the highest SACK: lost when DupThresh
    /// discontiguous SACKed segments, or more than (DupThresh − 1)·SMSS SACKed bytes, lie above
    /// it. Returns the number of records newly marked lost.
    func markLostBySACK(mss: Int, dupThresh: Int = 3) -> Int {
        // Nothing SACKed: nothing lies above any record (and no record carries a mark).
        guard markedRecords > 0 else { return 0 }
        visits &+= count
        var above = 0, aboveSegments = 0, marked = 0
        var i = count - 1
        while i >= 0 {
            var r = self[i]
            if r.sacked {
                above += r.length
                aboveSegments += 1
            } else if !r.flags.contains(.lost) && !r.flags.contains(.retransmitted)
                        && (aboveSegments >= dupThresh || above > (dupThresh - 1) * mss) {
                r.flags.insert(.lost)
                self[i] = r
                marked += 1
            }
            i -= 1
        }
        return marked
    }

    /// Every unSACKed record is lost (RFC 6298 §5.4 timeout; RFC 6675 §5.1): retransmissions in
    /// flight are forgotten too.
    func markAllLost() {
        for i in 0..<count {
            var r = self[i]
            guard !r.sacked else { continue }
            r.flags.insert(.lost)
            r.flags.remove(.retransmitted)
            self[i] = r
        }
    }

    /// RFC 6675 §4 SetPipe: each unSACKed octet counts once if not lost and once more if
    /// retransmitted — a lost segment resent counts once (its retransmission), one resent
    /// without being deemed lost (rescue, rule 3, a probe) twice.
    func computePipe() -> Int {
        // No record SACKed, lost or retransmitted: every octet counts once, and the records cover
        // SND.UNA..SND.MAX without gaps.
        if markedRecords == 0 {
            pipe = count == 0 ? 0 : Int(self[count - 1].end - self[0].start)
            assert(pipe == scannedPipe(), "Scoreboard: pipe without marks differs from SetPipe's scan")
            return pipe
        }
        pipe = scannedPipe()
        return pipe
    }

    /// SetPipe visiting every record.
    private func scannedPipe() -> Int {
        visits &+= count
        var p = 0
        for i in 0..<count {
            let r = self[i]
            guard !r.sacked else { continue }
            if !r.flags.contains(.lost) { p += r.length }
            if r.flags.contains(.retransmitted) { p += r.length }
        }
        return p
    }

    /// RFC 6675 §4 NextSeg rule 1: the first lost, unSACKed record not yet retransmitted (in fast
    /// recovery only holes below the highest SACKed sequence number qualify; after an RTO, all).
    func nextLost(belowHighestSACK: Bool) -> Int? {
        for i in 0..<count {
            let r = self[i]
            if belowHighestSACK, let h = highestSACKed, r.start >= h { return nil }
            if !r.sacked && r.flags.contains(.lost) && !r.flags.contains(.retransmitted) { return i }
        }
        return nil
    }

    /// Whether the record at SND.UNA is deemed lost and not yet resent (RFC 6675 §5 recovery
    /// entry: IsLost(HighACK + 1)).
    var firstIsLost: Bool { count > 0 && self[0].flags.contains(.lost) && !self[0].flags.contains(.retransmitted) }

    /// The number of records currently marked lost and not retransmitted.
    var lostCount: Int {
        var n = 0
        for i in 0..<count where self[i].flags.contains(.lost) && !self[i].flags.contains(.retransmitted) && !self[i].sacked { n += 1 }
        return n
    }

    // MARK: RACK (RFC 8985 §6)

    /// RFC 8985 §6.2 steps 1–3 for one delivered record.
    /// `echoedTS` is the ACK's TSecr and `tsOffset` the connection's TSval offset, when
    /// timestamps are on (TSval = milliseconds + offset, as TCPStack+RFC7323 sends it).
    func rackDelivered(_ r: SentSegment, now: Instant, echoedTS: UInt32? = nil, tsOffset: UInt32 = 0) {
        let sentTS = echoedTS.map { _ in UInt32(truncatingIfNeeded: r.sentAt.nanoseconds / 1_000_000) &+ tsOffset }
        let rtt = now.nanoseconds(since: r.sentAt)
        if r.flags.contains(.everRetransmitted) {
            // Step 2: an ACK that may answer an earlier transmission gives no RTT: with timestamps,
            // when it echoes a TSval older than the retransmission's; without, when the sample
            // is shorter than min_RTT.
            if let e = echoedTS, let t = sentTS {
                if Int32(bitPattern: e &- t) < 0 { return }
            } else if rtt < minRTT {
                return
            }
        }
        if rtt >= 0 { minRTT = min(minRTT, rtt) }
        // Step 2: RACK.rtt and RACK.xmit_ts/end_seq follow the most recently sent delivered segment.
        if !rackHasDelivery || sentAfter(r.sentAt, r.end, rackXmit, rackEndSeq) {
            rackRTT = max(rtt, 0)
            rackXmit = r.sentAt
            rackEndSeq = r.end
            rackHasDelivery = true
        }
        // Step 3: delivered below the highest delivered and never retransmitted: reordering.
        if r.end < fack {
            if !r.flags.contains(.everRetransmitted) { reorderingSeen = true }
        } else {
            fack = r.end
        }
    }

    /// RFC 8985 §6.2: (t1, seq1) was sent after (t2, seq2).
    func sentAfter(_ t1: Instant, _ seq1: SequenceNumber, _ t2: Instant, _ seq2: SequenceNumber) -> Bool {
        t1 > t2 || (t1 == t2 && seq1 > seq2)
    }

    /// RFC 8985 §6.2 step 4: RACK.reo_wnd.
    func reorderWindow(srtt: Int64?, inRecovery: Bool, dupThresh: Int = 3) -> Int64 {
        if !reorderingSeen {
            if inRecovery || sackedSegments >= dupThresh { return 0 }
        }
        guard minRTT != .max else { return 0 }
        let w = Int64(reoWndMult) * minRTT / 4
        return min(w, srtt ?? w)
    }

    /// RFC 8985 §6.2 step 5: marks lost every unSACKed record sent before the most recently
    /// delivered one by more than RACK.rtt + reo_wnd. Returns the records newly marked lost and
    /// the time left until the next one would be (nil: none waiting).
    func rackDetectLoss(now: Instant, reoWnd: Int64) -> (marked: Int, timeout: Int64?) {
        guard rackHasDelivery else { return (0, nil) }
        var marked = 0
        var timeout: Int64? = nil
        // No marks: first transmissions, sent in sequence order at times that never go back, so
        // (sentAt, end) grows with the index and those sent before RACK.xmit_ts are a prefix.
        let inSendOrder = markedRecords == 0
        visits &+= count
        for i in 0..<count {
            var r = self[i]
            if r.sacked { continue }
            if r.flags.contains(.lost) && !r.flags.contains(.retransmitted) { continue }
            guard sentAfter(rackXmit, rackEndSeq, r.sentAt, r.end) else {
                if inSendOrder {
                    assert(!(i..<count).contains { sentAfter(rackXmit, rackEndSeq, self[$0].sentAt, self[$0].end) },
                           "Scoreboard: records without marks out of send order")
                    break
                }
                continue
            }
            let remaining = (r.sentAt - now).nanoseconds + rackRTT + reoWnd
            if remaining <= 0 {
                r.flags.insert(.lost)
                r.flags.remove(.retransmitted)   // a lost retransmission is due again
                self[i] = r
                marked += 1
            } else {
                timeout = max(timeout ?? 0, remaining)
            }
        }
        return (marked, timeout)
    }
}
