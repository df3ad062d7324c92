import TCPWire

extension TCPStack {
    /// What a connection sends next.
    struct OutgoingSegment {
        var header: TCPHeader
        var payloadOffset: Int   // into the send buffer
        var payloadLength: Int
        /// 0: one segment; else the payload per wire segment (the send MSS) of a TSO segment
        /// (TCPStack+Offload.swift).
        var segmentSize = 0
        /// New data: sent ECN-capable when the connection uses ECN (TCPStack+ECN.swift).
        var newData = false
    }

    /// Writes the next IP packet to send into `buffer` and returns its length, or nil when there
    /// is nothing to send. Call until nil after every input, timeout or application call.
    public mutating func pollTransmit(now: Instant, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        transmit(now: now, into: buffer, offload: .none)?.length
    }

    /// `pollTransmit`'s work, with what the device finishes (TCPStack+Offload.swift).
    mutating func transmit(now: Instant, into buffer: UnsafeMutableRawBufferPointer, offload: TransmitOffload) -> TransmittedPacket? {
        while true {
            if let ctl = controlQueue.popFirst() {
                var h = TCPHeader(sourcePort: ctl.local.port, destinationPort: ctl.remote.port,
                                  sequenceNumber: ctl.seq, acknowledgmentNumber: ctl.ack, flags: ctl.flags, window: ctl.window)
                if let o = ctl.options { h.options = o }
                if let t = ctl.timestamp { h.options.timestamp = t }
                statistics.resetsSent += ctl.flags.contains(.rst) ? 1 : 0
                // A source-routed packet's IP header is longer: no checksum offload for it.
                let partial = offload.checksum && (sourceRoutes.isEmpty || sourceRoutes[FourTuple(local: ctl.local, remote: ctl.remote)] == nil)
                if let n = write(h, from: ctl.local, to: ctl.remote, payloadLength: 0, ring: nil, offset: 0, into: buffer, now: now, id: nil,
                                 partialChecksum: partial, trafficClass: ctl.trafficClass) {
                    return TransmittedPacket(length: n, checksumPartial: partial, isIPv6: ctl.local.address.isIPv6,
                                             transportHeaderLength: (ctl.local.address.isIPv6 ? 40 : 20) + h.encodedLength)
                }
                continue
            }
            guard let slot = outputQueue.first else { return nil }
            let i = Int(slot)
            guard slots[i].connection != nil, slots[i].connection!.queuedForOutput else {
                _ = outputQueue.popFirst()
                outputTurnBytes = 0
                continue
            }
            let c = take(i)
            let cid = id(ofSlot: i)
            let ipHeader = c.pointee.local.address.isIPv6 ? 40 : 20
            // A source route lengthens the IP header (TCPStack+SourceRoute.swift); such packets
            // go whole, with their checksum, without offloads.
            let routeBytes = sourceRouteBytes(&c.pointee)
            let offload = routeBytes == 0 ? offload : TransmitOffload.none
            // An IPv4 packet's total length, and an IPv6 payload's, is at most 65535 bytes.
            let maxPayload = max(0, min(buffer.count, 65535 + ipHeader - 20) - ipHeader - 60 - routeBytes)
            // Urgent mode: no TSO, so that every wire segment gets its own urgent pointer.
            let urgent = c.pointee.sendingUrgent && c.pointee.sndUna < c.pointee.sndUp
            // A segment that carries CWR goes alone, not as a TSO segment whose every piece would copy it.
            let single = urgent || c.pointee.ecn.flags.contains(.cwrPending)
            if var seg = nextSegment(&c.pointee, cid, now, maxPayload: maxPayload, segmentLimit: single ? 0 : offload.maximumSegmentBytes) {
                finishOutgoing(&seg.header, &c.pointee, now)
                let ecnBits = ecnMarkOutgoing(&seg.header, &c.pointee, newData: seg.newData)   // RFC 3168 §6.1 (TCPStack+ECN.swift)
                markUrgent(&c.pointee, &seg.header)   // RFC 9293 §3.8.5 (TCPStack+Urgent.swift)
                // After the timestamps: it fits what is left. Every piece of a TSO segment carries
                // the options, and all but the last a full MSS: no room for blocks.
                addSACKBlocks(&c.pointee, &seg.header, payloadLength: seg.segmentSize > 0 ? c.pointee.sendMSS : seg.payloadLength)
                if seg.header.flags.contains(.ack) { ackSent(&c.pointee, ack: seg.header.acknowledgmentNumber) }
                let pieces = seg.segmentSize > 0 ? (seg.payloadLength + seg.segmentSize - 1) / seg.segmentSize : 1
                let n = write(seg.header, from: c.pointee.local, to: c.pointee.remote, payloadLength: seg.payloadLength,
                              ring: c.pointee.sendBuffer, offset: seg.payloadOffset, into: buffer, now: now, id: cid,
                              partialChecksum: offload.checksum, segments: pieces, trafficClass: c.pointee.dscp << 2 | ecnBits)
                if let n, c.pointee.pathMTUDiscoveryOff { Self.clearDontFragment(buffer, length: n) }
                if n != nil {
                    if pieces > 1 { statistics.largeSegmentsSent += 1 }
                    c.pointee.counters.segmentsSent &+= UInt32(truncatingIfNeeded: pieces)
                    c.pointee.counters.bytesSent &+= UInt64(seg.payloadLength)
                }
                outputTurnBytes += seg.payloadLength
                if !wantsToSend(inPlace: &c.pointee) {
                    _ = outputQueue.popFirst()
                    c.pointee.queuedForOutput = false
                    outputTurnBytes = 0
                } else if outputTurnBytes >= Self.outputQuantum && outputQueue.count > 1 {
                    // Its turn is over: to the back of the queue (see `outputQuantum`).
                    _ = outputQueue.popFirst()
                    outputQueue.append(slot)
                    outputTurnBytes = 0
                }
                commit(i, c, now)
                if let n {
                    return TransmittedPacket(length: n, segmentSize: seg.segmentSize, checksumPartial: offload.checksum,
                                             isIPv6: ipHeader == 40, transportHeaderLength: ipHeader + seg.header.encodedLength)
                }
                continue
            }
            _ = outputQueue.popFirst()
            c.pointee.queuedForOutput = false
            outputTurnBytes = 0
            commit(i, c, now)
        }
    }

    /// The payload bytes a connection sends in one turn before the next connection with
    /// something to send takes over (round robin over `outputQueue`, a deficit round robin with
    /// whole packets). A driver that bounds the packets it sends per tick, as one whose every
    /// packet costs a system call must (`StackCore.transmitBudget`), thus shares its ticks
    /// evenly among the connections; without the rotation the head of the queue would take them
    /// all. 256 KiB: bursts long enough that the receiving host still batches its work per
    /// connection (a rotation after every packet made the kernel's receive path over TUN cost
    /// 2–3× as much per byte; 64 KiB still 1.5×).
    public static let outputQuantum = 256 * 1024

    /// Emits one packet; traces it. Returns nil (and counts nothing sent) if the buffer is too small.
    /// `segments` > 1: a TSO segment the device cuts into that many wire segments, each with its
    /// own IPv4 identification (Linux numbers the pieces up from the packet's), so the count of
    /// segments sent and the identifications are what sending them one by one would give.
    mutating func write(_ h: TCPHeader, from: SocketAddress, to: SocketAddress, payloadLength: Int, ring: ByteRing?,
                        offset: Int, into buffer: UnsafeMutableRawBufferPointer, now: Instant, id: ConnectionID?,
                        partialChecksum: Bool = false, segments: Int = 1, trafficClass: UInt8 = 0) -> Int? {
        ipIdentification &+= 1
        do {
            var n = try TCPPacket.emit(source: from.address, destination: to.address, header: h, payloadLength: payloadLength,
                                       hopLimit: configuration.hopLimit, identification: ipIdentification, trafficClass: trafficClass,
                                       checksum: partialChecksum ? .partial : .full, into: buffer) { out, sum in
                ring?.copy(from: offset, into: out, summing: &sum)
            }
            ipIdentification &+= UInt16(truncatingIfNeeded: segments - 1)
            if !sourceRoutes.isEmpty, let entry = sourceRoutes[FourTuple(local: from, remote: to)] {
                guard let routed = entry.route.insert(into: buffer, length: n) else {
                    statistics.malformed[.bufferTooSmall(needed: n + entry.route.headerBytes, available: buffer.count), default: 0] += 1
                    return nil
                }
                n = routed
            }
            statistics.segmentsSent += segments
            trace(now, id, .send(SegmentSummary(source: from, destination: to, header: h, payloadLength: payloadLength)))
            return n
        } catch {
            statistics.malformed[error, default: 0] += 1
            return nil
        }
    }

    /// True when the connection has a segment to send now.
    @inline(__always) func wantsToSend(_ c: Connection) -> Bool {
        switch c.state {
        case .closed, .listen: return false
        case .synSent, .synReceived:
            if c.sndNxt == c.iss { return !c.fastOpen.contains(.deferred) }
        default:
            break
        }
        if c.ackPending || c.probePending { return true }
        if c.retransmitFirst && c.state.isSynchronized { return true }
        guard c.state.isSynchronized || c.fastOpenMaySend else { return false }
        if sackWantsToSend(c) { return true }
        if c.unsentBytes > 0 && sendableLength(c, maxPayload: .max) > 0 { return true }
        return finSendable(c)
    }

    /// Sequence space the window (min of the peer's window and cwnd) leaves open past SND.NXT.
    /// In fast recovery with PRR the congestion side is cwnd - pipe (RFC 6937 §3 sets cwnd to
    /// pipe + sndcnt on each ACK).
    func sendRoom(_ c: Connection) -> Int {
        let peerRoom = Int(c.sndUna - c.sndNxt) + Int(c.sndWnd)
        if let room = sackSendRoom(c, windowRoom: max(0, peerRoom)) { return room }
        var inNetwork = c.inFastRecovery && configuration.proportionalRateReduction ? c.pipe
            : forwardRTOFlight(c) ?? Int(c.sndNxt - c.sndUna)
        if !c.inFastRecovery && !c.inRTORecovery && c.sndNxt == c.sndMax {
            inNetwork -= limitedTransmitAllowance(c)
        }
        return max(0, min(peerRoom, c.cwnd - inNetwork))
    }

    /// Limited transmit: on the duplicate ACKs that come before loss recovery starts, previously
    /// unsent data may go past cwnd, so a small window keeps its ACK clock until the
    /// DupThresh-th duplicate. cwnd itself is unchanged.
    /// - With SACK (RFC 6675 §5 (C) step 1): as far as cwnd − pipe, and pipe leaves out the bytes
    ///   the peer SACKed.
    /// - Without (RFC 3042 §2, RFC 5681 §3.2 step 1): one segment on each of the first two
    ///   duplicates, so the flight stays within cwnd + 2·SMSS.
    func limitedTransmitAllowance(_ c: Connection) -> Int {
        guard c.duplicateACKs > 0 else { return 0 }
        if c.sackRecovery, let sb = c.scoreboard { return sb.sackedBytes }
        return min(c.duplicateACKs, 2) * c.sendMSS
    }

    /// Our FIN is due: queued, all data before it sent, and not yet sent (or going back after a timeout).
    func finSendable(_ c: Connection) -> Bool {
        guard c.finQueued else { return false }
        switch c.state {
        case .finWait1, .closing, .lastAck: return c.sndNxt == c.finSeq
        default: return false
        }
    }

    /// Decides the next segment and advances SND.NXT, the timers and RTT timing for it.
    /// `segmentLimit` > MSS: the device segments (TSO), and data may go as one segment of up to
    /// that many bytes (`largeSegmentLength`).
    mutating func nextSegment(_ c: inout Connection, _ id: ConnectionID, _ now: Instant, maxPayload: Int,
                              segmentLimit: Int = 0) -> OutgoingSegment? {
        let window = UInt16(clamping: c.receiveWindow)   // replaced by finishOutgoing (RFC 7323 §2.3)
        func header(_ seq: SequenceNumber, _ flags: TCPFlags) -> TCPHeader {
            TCPHeader(sourcePort: c.local.port, destinationPort: c.remote.port, sequenceNumber: seq,
                      acknowledgmentNumber: flags.contains(.ack) ? c.rcvNxt : SequenceNumber(0), flags: flags, window: window)
        }
        // SYN (SYN-SENT) or SYN,ACK (SYN-RECEIVED), first time or again after a timeout.
        if (c.state == .synSent || c.state == .synReceived) && c.sndNxt == c.iss {
            if c.fastOpen.contains(.deferred) { return nil }   // TCP_FASTOPEN_CONNECT: waits for data
            // RFC 3168 §6.1.1: an ECN-setup SYN carries ECE and CWR, an ECN-setup SYN-ACK ECE.
            var h = header(c.iss, c.state == .synSent ? [.syn] : [.syn, .ack])
            if c.state == .synSent { h.flags.formUnion(ecnSYNFlags(&c)) } else if c.ecn.active { h.flags.insert(.ece) }
            h.options.mss = UInt16(clamping: c.announcedMSS)
            h.options.sackPermitted = c.state == .synSent ? configuration.sack : c.sackOK   // RFC 2018 §2
            // TCP Fast Open (TCPStack+FastOpen.swift): the option, and a client's data in its SYN.
            var synData = 0
            if !c.fastOpen.isEmpty {
                if c.state == .synSent { synData = fastOpenSYN(&c, &h) } else { h.options.fastOpen = fastOpenSYNACKOption(c) }
            }
            if c.retries > 0 { countRetransmission(&c, bytes: 0) }
            advance(&c, by: 1 + synData, from: c.iss, now: now)
            c.ackPending = false
            return OutgoingSegment(header: h, payloadOffset: 0, payloadLength: synData)
        }
        if c.state.isSynchronized, let seg = sackNextSegment(&c, now, maxPayload: maxPayload, window: window, segmentLimit: segmentLimit) {
            return seg
        }
        if c.state.isSynchronized && c.retransmitFirst,
           let seg = firstUnacknowledgedSegment(&c, now, maxPayload: maxPayload, window: window) {
            return seg
        }
        if c.state.isSynchronized || c.fastOpenMaySend {
            // Data: as much as the MSS, the window and the caller's buffer allow.
            let offset = Int(c.sndNxt - c.sendBufferSeq)
            let unsent = c.unsentBytes
            if unsent > 0 && !configuration.idleRestartAtWrite { restartAfterIdle(&c, now) }
            var length = recordLength(c, from: c.sndNxt, sendableLength(c, maxPayload: maxPayload))   // MSG_EOR: TCPStack+Corking.swift
            var segmentSize = 0
            var probe = false
            if length == c.sendMSS && c.pathMTUSearch.enabled, let size = pathMTUProbeLength(&c, now, maxPayload: maxPayload) {
                length = size   // RFC 4821 §7.3: a probe, one segment larger than the MSS (TCPStack+PathMTUProbing.swift)
                probe = true
            } else if length == c.sendMSS && segmentLimit > c.sendMSS {
                let large = recordLength(c, from: c.sndNxt, largeSegmentLength(c, limit: min(segmentLimit, maxPayload)))
                if large > c.sendMSS { length = large; segmentSize = c.sendMSS }
            }
            if length > 0 {
                var flags: TCPFlags = [.ack]
                if segmentEndPushes(c, end: c.sndNxt + length) || (c.swsOverride && c.sendHold.holdsShortSegment) { flags.insert(.psh) }
                else if configuration.pushPolicy == .linux && segmentSize == 0 && c.sndNxt == c.sndMax
                            && !c.sendHold.contains(.unpushedTail)   // MSG_MORE marks no PSH (TCPStack+Corking.swift)
                            && !probe && linuxPacketEndsWith(&c, length: length) { flags.insert(.psh) }
                c.swsOverride = false
                // A probe is a packet of its own (Linux's tcp_mtu_probe sends it before the transmit
                // loop): the next packet starts after it.
                if probe { endPushPacket(&c) }
                let carriesFIN = length == unsent && finSendableAfterData(c)
                if carriesFIN { flags.insert(.fin) }   // the FIN may ride on the last data
                let h = header(c.sndNxt, flags)
                if segmentSize > 0 {
                    countLargeSegmentRetransmissions(&c, length: length, segmentSize: segmentSize)
                } else if c.sndNxt < c.sndMax { countRetransmission(&c, bytes: length) }
                if c.inFastRecovery && configuration.proportionalRateReduction { congestionRecoverySent(&c, bytes: length) }
                c.lastDataSentAt = now
                interactiveDataSent(&c, now)   // TCPStack+InteractiveACK.swift
                let seq = c.sndNxt
                let isNewData = seq == c.sndMax
                let flightBefore = c.bytesInFlight
                advance(&c, by: length + (carriesFIN ? 1 : 0), from: seq, now: now)
                if isNewData && c.duplicateACKs > 0 && !c.inFastRecovery && !c.inRTORecovery {
                    // RFC 5681 §3.2 step 2 and RFC 6675 §5 (4.2): what limited transmit sent past
                    // cwnd stays out of the FlightSize that sets ssthresh (cwnd is unchanged
                    // meanwhile). Only this segment's part beyond cwnd counts, so a flight that
                    // was already above cwnd (cwnd cut after idle, say) is not taken for it.
                    c.limitedTransmitBytes += max(0, c.bytesInFlight - max(c.cwnd, flightBefore))
                }
                if segmentSize > 0 {
                    recordLargeTransmission(&c, seq: seq, length: length, segmentSize: segmentSize, fin: carriesFIN, now: now)
                    if !isNewData && !c.fastOpen.isEmpty { fastOpenSYNDataResent(&c, seq: seq) }   // TCPStack+FastOpen.swift
                } else {
                    recordTransmission(&c, seq: seq, length: length + (carriesFIN ? 1 : 0), fin: carriesFIN, payload: length, now: now)
                    if !isNewData && !c.fastOpen.isEmpty { fastOpenSYNDataResent(&c, seq: seq) }   // TCPStack+FastOpen.swift
                }
                // Nagle (Minshall): a short (last) segment; a probe is larger than the MSS, not short.
                if isNewData && !probe && length % c.sendMSS != 0 { c.sndSml = c.sndNxt }
                c.ackPending = false
                return OutgoingSegment(header: h, payloadOffset: offset, payloadLength: length, segmentSize: segmentSize, newData: isNewData)
            }
            if finSendable(c) {
                let h = header(c.sndNxt, [.fin, .ack])
                if c.sndNxt < c.sndMax { countRetransmission(&c, bytes: 0) }
                let seq = c.sndNxt
                advance(&c, by: 1, from: seq, now: now)
                recordTransmission(&c, seq: seq, length: 1, fin: true, payload: 0, now: now)
                c.ackPending = false
                return OutgoingSegment(header: h, payloadOffset: 0, payloadLength: 0)
            }
        }
        if c.probePending {
            // Zero-window probe: an old sequence number makes the peer answer with its window
            // (RFC 9293 §3.8.6.1; the form Linux uses).
            c.probePending = false
            c.ackPending = false
            return OutgoingSegment(header: header(c.sndUna - 1, [.ack]), payloadOffset: 0, payloadLength: 0)
        }
        if c.ackPending {
            // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> with the RFC's SND.NXT, which never goes back: ours
            // does after a timeout (go-back to SND.UNA), and an ACK numbered below what the peer
            // has received would fail its acceptability test and be dropped with its ACK field —
            // two sides both going back would then never hear each other.
            c.ackPending = false
            return OutgoingSegment(header: header(c.sndMax, [.ack]), payloadOffset: 0, payloadLength: 0)
        }
        return nil
    }

    /// RFC 5681 §4.1: with nothing in flight and no data sent for more than one RTO, the ACK
    /// clock is gone; cwnd goes back to the restart window min(IW, cwnd) before sending
    /// (Linux `tcp_slow_start_after_idle`). With `idleRestartAtWrite`, when the application
    /// writes instead (TCPStack+API.swift).
    mutating func restartAfterIdle(_ c: inout Connection, _ now: Instant) {
        guard configuration.slowStartAfterIdle, c.sndUna == c.sndMax, !c.inFastRecovery,
              c.lastDataSentAt.nanoseconds != .min, (now - c.lastDataSentAt).nanoseconds > c.rto else { return }
        c.congestion.onIdleRestart(initialWindow: routeInitialWindow(c) ?? initialWindow(mss: c.sendMSS))
        c.lastDataSentAt = now
    }

    mutating func countRetransmission(_ c: inout Connection, bytes: Int) {
        statistics.retransmissions += 1
        c.counters.segmentsRetransmitted &+= 1
        c.counters.bytesRetransmitted &+= UInt64(bytes)
    }

    func finSendableAfterData(_ c: Connection) -> Bool {
        guard c.finQueued else { return false }
        switch c.state {
        case .finWait1, .closing, .lastAck: return true
        default: return false
        }
    }

    /// Moves SND.NXT past a segment of `length` sequence numbers starting at `seq`, starts the
    /// retransmission timer (RFC 6298 §5.1) and times the segment if it is new (Karn).
    mutating func advance(_ c: inout Connection, by length: Int, from seq: SequenceNumber, now: Instant) {
        let isNew = seq == c.sndMax
        if c.sndUna == c.sndMax {
            // Sending with nothing outstanding: a new delivery-rate interval, and the user timeout
            // counts from here.
            c.counters.restartRateInterval(now)
            c.progressAt = now
        }
        c.sndNxt = seq + length
        if c.sndNxt > c.sndMax { c.sndMax = c.sndNxt }
        c.congestion.noteSent(flight: Int(c.sndMax - c.sndUna), una: c.sndUna, sndMax: c.sndMax)
        if c.timers[.retransmit] == nil { c.timers[.retransmit] = now + .nanoseconds(c.rto) }
        if isNew && c.rttSeq == nil && c.retries == 0 {
            c.rttSeq = seq
            c.rttStart = now
        }
    }

    // MARK: - Timers

    /// Runs every timer due at `now`.
    public mutating func handleTimeout(now: Instant) {
        while let top = timers.first, top.deadline <= now {
            _ = timers.pop()
            let i = Int(top.slot)
            guard i < slots.count, slots[i].generation == top.generation,
                  slots[i].connection?.scheduledDeadline == top.deadline else { continue }
            let conn = take(i)
            conn.pointee.scheduledDeadline = nil
            fireTimers(&conn.pointee, id(ofSlot: i), now)
            commit(i, conn, now)
        }
    }

    /// Runs the connection's timers that are due at `now`, once each, in
    /// `Connection.Timers.firingOrder`; none after the connection reaches CLOSED.
    mutating func fireTimers(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        // RFC 8985 §7.2: a probe scheduled at the RTO's time (`armLossProbe`) goes in its place;
        // the RTO runs again from the probe (§7.3).
        if let sb = c.scoreboard, sb.lossTimer == .probe, let probe = c.timers[.lossProbe], probe <= now,
           let rto = c.timers[.retransmit], rto <= now {
            c.timers[.retransmit] = now.advanced(byNanoseconds: c.rto)
        }
        for kind in Connection.Timers.firingOrder where c.timers.expire(kind, at: now) {
            timerFired(kind, &c, id, now)
            if c.state == .closed { return }
        }
    }

    /// One timer ran out (and is off until its handler arms it again).
    mutating func timerFired(_ kind: TimerKind, _ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        endPushPacket(&c)   // a timer starts a transmission pass (TCPStack+Push.swift)
        switch kind {
        case .timeWait, .finWait2:
            trace(now, id, .timer(kind))
            setState(&c, id, .closed, now)   // TIME-WAIT: 2×MSL have passed, delete the TCB
            if c.userOwned { emit(.closed(id), now) }
        case .delayedACK:
            delayedACKTimeout(&c, id, now)
        case .retransmit, .userTimeout:
            if userTimeoutExpired(&c, id, now) { return }
            trace(now, id, .timer(.retransmit))
            retransmitTimeout(&c, id, now)
        case .reorder, .lossProbe:
            lossTimerFired(&c, id, now)   // RACK reordering timer or tail loss probe (RFC 8985)
        case .persist:
            persistTimeout(&c, id, now)
        case .keepAlive:
            keepAliveTimeout(&c, id, now)
        }
    }

    /// The persist timer ran out: probe a zero window (RFC 9293 §3.8.6.1), or let a small usable
    /// window be used.
    mutating func persistTimeout(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        trace(now, id, .timer(.persist))
        if c.sndWnd == 0 && c.unsentBytes > 0 {
            if zeroWindowUserTimeoutExpired(&c, id, now) { return }
            c.probePending = true
            c.counters.windowProbes &+= 1
            c.persistBackoff += 1
            _ = probeGoesUnanswered(&c, id, now)
        } else if c.sndWnd > 0 && c.unsentBytes > 0 {
            // Sender SWS avoidance's override timeout (RFC 9293 §3.8.6.2.1): send what the
            // small window allows (Linux's tcp_write_wakeup does the same).
            c.swsOverride = true
        }
    }

    /// One more window probe sent without an answer since the last acceptable ACK. RFC 1122
    /// §4.2.2.17: give up (true: the connection is reset and timed out) only on a peer that stops
    /// answering the probes; one that keeps acknowledging them may keep its window shut
    /// indefinitely.
    mutating func probeGoesUnanswered(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) -> Bool {
        c.probesUnanswered += 1
        guard c.probesUnanswered > dataRetryLimit(&c) else { return false }
        resetAndClose(&c, id, now: now, sendRST: true, reason: nil, error: .timedOut)
        emitTimedOut(&c, id, now)
        return true
    }

    /// R2 for data and window probes: the connection's own (MUST-21) or the configuration's.
    /// (`inout` only so that the TCB is not copied to pass it.)
    func dataRetryLimit(_ c: inout Connection) -> Int {
        c.retransmissionLimit > 0 ? Int(c.retransmissionLimit) : configuration.dataRetries
    }

    mutating func emitTimedOut(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        if c.userOwned { emit(.timedOut(id), now) }
    }

    /// RFC 6298 §5.4–5.6: retransmit the earliest unacknowledged segment, back the timer off,
    /// and give up after the retry limit (RFC 1122 §4.2.3.5).
    mutating func retransmitTimeout(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        guard c.sndUna != c.sndMax || c.sndNxt == c.iss else { return }
        if c.state.isSynchronized && c.sndWnd == 0 {
            shrunkWindowTimeout(&c, id, now)
            return
        }
        if c.pathMTUSearch.probeSize > 0 { pathMTUProbeTimedOut(&c, now) }   // TCPStack+PathMTUProbing.swift
        c.retries += 1
        statistics.retransmissionTimeouts += 1
        // For F-RTO (TCPStack+ForwardRTORecovery.swift): the state before this timeout.
        let priorCwnd = c.cwnd, priorSsthresh = c.ssthresh, wasInFastRecovery = c.inFastRecovery
        let wasInLoss = c.inRTORecovery || c.frto.phase != .off || c.sndNxt < c.sndMax
        // R2 (RFC 9293 §3.8.3): the connection's own (MUST-21), else the configuration's.
        let stackLimit: Int = switch c.state {
        case .synSent: configuration.synRetries
        case .synReceived: configuration.synAckRetries
        default: configuration.dataRetries
        }
        var limit = c.retransmissionLimit > 0 ? Int(c.retransmissionLimit) : stackLimit
        if c.state == .synSent && c.synRetryLimit > 0 { limit = Int(c.synRetryLimit) }   // TCP_SYNCNT
        if c.retries > limit {
            if c.state == .synReceived && c.passive {
                setState(&c, id, .closed, now)   // a half-open connection just disappears
                return
            }
            // Tell the peer, so it keeps no half-open leftover (best effort); with
            // `silentSYNTimeout` not in SYN-SENT, as Linux's tcp_write_err (and RFC 9293's ABORT
            // in SYN-SENT, §3.10.5, which deletes the TCB without a RST).
            resetAndClose(&c, id, now: now, sendRST: !(configuration.silentSYNTimeout && c.state == .synSent),
                          reason: nil, error: .timedOut)
            emitTimedOut(&c, id, now)
            return
        }
        // RFC 9293 §3.8.3: R1 reached (TCPStack+ICMP.swift).
        if c.retries == retransmissionThreshold { retransmissionThresholdReached(&c, id, now) }
        pathMTUBlackHoleCheck(&c, id, now)   // RFC 4821 §7.6.2 (TCPStack+PathMTUProbing.swift)
        c.rto = min(c.rto * 2, configuration.rtoMax.nanoseconds)
        c.rttSeq = nil                                   // Karn: no sample from a retransmission
        // RFC 5681 §3.1: ssthresh from the algorithm (NewReno equation 4: max(FlightSize / 2,
        // 2*SMSS); CUBIC: cwnd·β_cubic, RFC 9438 §4.8) — held constant when the segment has
        // already been resent by the timer — and cwnd = the loss window, one segment.
        // A timeout inside fast recovery is the same loss event: ssthresh was already reduced
        // (as Linux's tcp_enter_loss keeps it while recovery is unfinished).
        if c.retries == 1 && !c.inFastRecovery {
            c.congestion.onRetransmissionTimeout(flightSize: c.bytesInFlight, mss: c.sendMSS, now: now)
            // Classic HyStart watches the slow start after a timeout too (Linux's CUBIC resets it on loss).
            if configuration.hyStart, case .classic = configuration.hyStartVariant {
                c.congestion.hyStart.phase = .classic
                c.congestion.hyStart.classicNewRound(now: now, sndNxt: c.sndNxt)
            }
        } else {
            c.cwnd = c.sendMSS
        }
        c.recoveryDeliveredEstimate = 0
        // With a SACK scoreboard the lost segments are resent from it, SACKed ones skipped
        // (RFC 6675 §5.1); without one, go back: resend from the first unacknowledged.
        if !sackRetransmitTimeout(&c) { c.sndNxt = c.sndUna }
        // RFC 6582 §3.2 step 6 / RFC 6675 §5.1: after a timeout, RecoveryPoint = the highest sent.
        c.recover = c.sndMax
        c.inFastRecovery = false
        c.duplicateACKs = 0
        c.retransmitFirst = false
        c.timers[.retransmit] = nil                             // restarted when the segment goes out
        forwardRTOTimeout(&c, newEpisode: !wasInFastRecovery && !wasInLoss, reduced: c.retries == 1 && !wasInFastRecovery,
                          priorCwnd: priorCwnd, priorSsthresh: priorSsthresh, now)
    }

    /// The retransmission timer ran out while the peer's window is zero: it shrank the window
    /// (RFC 9293 §3.8.6.2.1) with our data still outstanding past the new edge. Nothing may be
    /// resent into a shut window (SHLD-15), and the data past the edge must not time the
    /// connection out (SHLD-17, MUST-34), so the timer probes instead, as the persist timer would
    /// with nothing in flight: go back to SND.UNA (resent once the window opens, SHLD-16), send a
    /// zero-window probe now, back the timer off, and give up only when the peer stops answering
    /// the probes (RFC 1122 §4.2.2.17) — Linux's tcp_retransmit_timer does the same for a window
    /// shrunk to zero. Congestion state is untouched: this is flow control, not loss.
    mutating func shrunkWindowTimeout(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        if probeGoesUnanswered(&c, id, now) { return }
        c.counters.windowProbes &+= 1
        c.probePending = true
        c.rttSeq = nil
        // With a scoreboard nothing is marked lost (its retransmissions do not wait for the
        // window): what the peer dropped past the edge is found once the window opens, by SACK
        // loss detection or by this timer. Without one, go back.
        let scoreboardInUse = c.sackOK && !(c.scoreboard?.isEmpty ?? true)
        if !scoreboardInUse {
            c.sndNxt = c.sndUna
            c.recover = c.sndMax
            c.inFastRecovery = false
            c.duplicateACKs = 0
        }
        c.retransmitFirst = false
        c.rto = min(c.rto * 2, configuration.rtoMax.nanoseconds)
        // No segment goes out to restart the timer: it runs again, backed off, until the window
        // opens and the resent data restarts it.
        c.timers[.retransmit] = now + .nanoseconds(c.rto)
    }

    /// Arms the persist timer when the peer's window is zero and we have data but nothing in flight.
    /// `mutating` though it changes only `c`: called from `commit` for every segment, a
    /// non-mutating method made the caller copy the whole stack (~900 bytes and its references)
    /// to pass it.
    mutating func armPersistTimer(_ c: inout Connection, _ now: Instant) {
        guard c.state.isSynchronized, c.unsentBytes > 0, c.sndUna == c.sndMax,
              c.timers[.retransmit] == nil, c.timers[.persist] == nil else { return }
        if c.sndWnd > 0 {
            // Data held back by sender SWS avoidance with nothing in flight: no ACK will come to
            // open the window further, so the override timeout (0.1–1 s, RFC 9293 §3.8.6.2.1)
            // runs on the persist timer: one RTO, at most 1 s.
            guard !c.swsOverride, sendableLength(c, maxPayload: .max) == 0 else { return }
            c.timers[.persist] = now + .nanoseconds(min(c.rto, 1_000_000_000))
            return
        }
        let backoff = min(c.persistBackoff, 16)
        let delay = min(c.rto << backoff, configuration.rtoMax.nanoseconds)
        c.timers[.persist] = now + .nanoseconds(delay)
    }
}
