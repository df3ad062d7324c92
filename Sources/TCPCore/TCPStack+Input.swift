import TCPWire

extension TCPStack {
    /// Takes one IP packet from the network. Malformed packets and bad checksums are counted and
    /// traced as drops, never trapped on. `verifyChecksum: false` is for a driver whose device has
    /// verified the TCP checksum, or whose packet never crossed a wire and carries only the
    /// pseudo-header sum in it (a TUN device with offloads: virtio NEEDS_CSUM).
    /// ICMP and ICMPv6 packets go to `handle(icmpPacket:)` (their checksum is always verified).
    public mutating func handle(ipPacket: UnsafeRawBufferPointer, now: Instant, verifyChecksum: Bool = true) {
        if ICMPMessage.isICMP(ipPacket) {
            handle(icmpPacket: ipPacket, now: now)
            return
        }
        let seg: TCPSegmentView
        do {
            seg = try TCPPacket.parse(ipPacket, verifyChecksum: verifyChecksum)
        } catch {
            statistics.malformed[error, default: 0] += 1
            drop(error == .badTCPChecksum ? .badChecksum : .malformed, now, nil, nil)
            return
        }
        if ipPacket[0] & 0x0f > 5 && ipPacket[0] >> 4 == 4 {
            // IPv4 options (rare): a source route is dropped or adopted (TCPStack+SourceRoute.swift).
            let route = receivedSourceRoute(ipPacket, seg, now)
            if case .dropped = route { return }
            handle(segment: seg, now: now)
            if case .route(let r) = route { adoptReturnRoute(r, for: seg) }
            return
        }
        handle(segment: seg, now: now)
    }

    /// Convenience for `handle(ipPacket:)` from an array.
    public mutating func handle(ipPacket: [UInt8], now: Instant) {
        ipPacket.withUnsafeBytes { handle(ipPacket: $0, now: now) }
    }

    /// Takes one parsed segment (checksum already verified by the caller).
    public mutating func handle(segment seg: TCPSegmentView, now: Instant) {
        statistics.segmentsReceived += 1
        let key = FourTuple(local: seg.destinationSocket, remote: seg.sourceSocket)
        let known = demux[key].map { Int($0) }
        trace(now, known.map { id(ofSlot: $0) },
              .receive(SegmentSummary(source: seg.sourceSocket, destination: seg.destinationSocket, header: seg.header, payloadLength: seg.payload.count)))
        // MUST-57, MUST-63 (TCPStack+AddressChecks.swift): only for segments no connection owns,
        // since no connection has such an address (`connect` refuses them, and so does LISTEN).
        if known == nil, let reason = invalidAddress(seg) {
            statistics.invalidAddressSegments += 1
            drop(reason, now, nil, seg)
            return
        }
        guard addresses.contains(seg.destination) else {
            drop(.notOurAddress, now, nil, seg)
            return
        }
        if configuration.dropSYNFIN, seg.header.flags.contains([.syn, .fin]) {
            drop(.synFIN, now, known.map { id(ofSlot: $0) }, seg)
            return
        }
        if let i = known {
            let c = take(i)
            let cid = id(ofSlot: i)
            c.pointee.counters.segmentsReceived &+= 1
            // Any segment shows the peer is alive (RFC 1122 §4.2.3.6; Linux resets its probe count).
            c.pointee.keepAliveProbesOut = 0
            let outcome: InputOutcome = c.pointee.state == .synSent
                ? synSentSegmentArrives(&c.pointee, cid, seg, now)
                : segmentArrives(&c.pointee, cid, seg, now)
            c.pointee.lastReceivedAt = now
            commit(i, c, now)
            guard outcome == .newIncarnation else { return }
            // The TIME-WAIT connection is gone; the SYN opens a new one (RFC 6191).
        }
        if let li = findListener(seg.destinationSocket) {
            listenSegmentArrives(li, seg, now)
            return
        }
        // RFC 9293 §3.10.7.1, CLOSED: everything is discarded; a non-RST gets an RST, unless the
        // configuration blackholes closed ports (FreeBSD's net.inet.tcp.blackhole).
        drop(.noConnection, now, nil, seg)
        switch configuration.closedPortResets {
        case .all: replyRST(to: seg)
        case .exceptSYN: if !seg.header.flags.contains(.syn) { replyRST(to: seg) }
        case .none: break
        }
    }

    func findListener(_ local: SocketAddress) -> Int? {
        if let i = listenerIndex[ListenKey(address: local.address, port: local.port)] { return Int(i) }
        if let i = listenerIndex[ListenKey(address: nil, port: local.port)] { return Int(i) }
        return nil
    }

    /// RFC 9293 §3.10.7.1: "If the ACK bit is off, sequence number zero is used,
    /// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; if the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>".
    mutating func replyRST(to seg: TCPSegmentView) {
        let h = seg.header
        guard !h.flags.contains(.rst) else { return }
        if h.flags.contains(.ack) {
            queueControl(local: seg.destinationSocket, remote: seg.sourceSocket, seq: h.acknowledgmentNumber, ack: SequenceNumber(0), flags: [.rst])
        } else {
            let len = seg.payload.count + (h.flags.contains(.syn) ? 1 : 0) + (h.flags.contains(.fin) ? 1 : 0)
            queueControl(local: seg.destinationSocket, remote: seg.sourceSocket, seq: SequenceNumber(0), ack: h.sequenceNumber + len, flags: [.rst, .ack])
        }
    }

    enum InputOutcome: Equatable { case done, newIncarnation }

    // MARK: LISTEN (RFC 9293 §3.10.7.2)

    mutating func listenSegmentArrives(_ li: Int, _ seg: TCPSegmentView, _ now: Instant) {
        let h = seg.header
        // First, check for a RST: ignore it.
        if h.flags.contains(.rst) { drop(.listenRST, now, nil, seg); return }
        // Second, an ACK is bad in LISTEN: <SEQ=SEG.ACK><CTL=RST> — unless it returns one of our
        // SYN cookies (RFC 4987 §3.6), when it completes a handshake the listener kept no state for.
        if h.flags.contains(.ack) {
            if !h.flags.contains(.syn), cookieACKArrives(li, seg, now) { return }
            drop(.listenACK, now, nil, seg)
            replyRST(to: seg)
            return
        }
        // Fourth, anything but a SYN is dropped.
        guard h.flags.contains(.syn) else { drop(.listenNoSYN, now, nil, seg); return }
        let listener = listenerSlots[li].listener!
        let lid = ListenerID(index: UInt32(li), generation: listenerSlots[li].generation)
        // The backlog bounds the half-open connections and, separately, the accept queue (as
        // Linux does: a SYN is dropped when either is full). A combined bound would make the
        // accept queue unable to fill while a half-open connection exists, so the accept-queue
        // check on the final ACK (SYN-RECEIVED, fifth check) could never apply. A full accept
        // queue drops the SYN even when cookies are on (as Linux): the connection a cookie would
        // make could not be queued.
        guard listener.acceptQueue.count < listener.backlog else {
            drop(.backlogFull, now, nil, seg)
            return
        }
        // SYN cookies (RFC 4987 §3.6) when the half-open queue is full, or always. Not for a SYN
        // that ends TIME-WAIT (RFC 6191): its ISN must lie above the old connection's (Linux
        // makes the same exception).
        let halfOpenFull = listener.halfOpen >= listener.backlog
        let successor = timeWaitSuccessorISN[FourTuple(local: seg.destinationSocket, remote: seg.sourceSocket)] != nil
        switch configuration.synCookies {
        case .always where !successor, .whenQueueFull where halfOpenFull && !successor:
            sendSYNCookie(li, seg, now)
            return
        default:
            break
        }
        guard !halfOpenFull else {
            drop(.backlogFull, now, nil, seg)
            return
        }
        var c = Connection(local: seg.destinationSocket, remote: seg.sourceSocket, passive: true, userOwned: false, configuration: configuration, rings: emptyRings)
        c.listenerRole = .halfOpen(lid)
        if let o = listener.options { c.apply(o) }
        applyRouteAtOpen(&c)   // TCPStack+RouteMetrics.swift
        c.lastReceivedAt = now
        c.counters.segmentsReceived = 1   // the SYN
        listenerSlots[li].listener!.halfOpen += 1
        // RCV.NXT <- SEG.SEQ+1, IRS <- SEG.SEQ; ISS selected; SYN,ACK queued.
        c.irs = h.sequenceNumber
        c.rcvNxt = h.sequenceNumber + 1
        c.rcvAcked = c.rcvNxt
        applySYNOptions(&c, h, now)
        ecnSYNArrives(&c, seg)   // RFC 3168 §6.1.1 (TCPStack+ECN.swift)
        initializeSend(&c, iss: isnGenerator.isn(local: c.local, remote: c.remote, now: now))
        if let previous = timeWaitSuccessorISN.removeValue(forKey: FourTuple(local: c.local, remote: c.remote)) {
            // A new incarnation after TIME-WAIT starts well above the old one (as Linux does).
            initializeSend(&c, iss: previous)
        }
        c.sndWnd = UInt32(h.window)   // the SYN's window is never scaled (RFC 7323 §2.2)
        c.maxSndWnd = c.sndWnd
        c.sndWl1 = h.sequenceNumber
        c.sndWl2 = h.acknowledgmentNumber
        // TCP Fast Open (RFC 7413 §4.2.2; TCPStack+FastOpen.swift): a child with the SYN's data,
        // accepted at once.
        let fastOpenChild = fastOpenListenerSYN(&c, li, seg, now)
        if fastOpenChild {
            listenerSlots[li].listener!.halfOpen -= 1
            c.listenerRole = .queued(lid)
        }
        let (i, cid) = install(&c, in: .synReceived, tracedFrom: .listen, now)
        if fastOpenChild {
            listenerSlots[li].listener!.acceptQueue.append(cid)
            emit(.connectionAvailable(lid), now)
            if !c.receiveBuffer.isEmpty { emit(.readable(cid), now) }
        } else if !seg.payload.isEmpty {
            // Data or FIN on a SYN is not queued without Fast Open; the peer will send it again.
            drop(.synDataIgnored, now, cid, seg)
        }
        commit(i, consume c, now)
    }

    mutating func applySYNOptions(_ c: inout Connection, _ h: TCPHeader, _ now: Instant) {
        // RFC 2018 §2: SACK is used only when both SYNs carried SACK-permitted.
        c.sackOK = configuration.sack && h.options.sackPermitted
        // RFC 9293 §3.7.1: send MSS = min(peer's MSS option, what our MTU allows); default 536/1220.
        if let mss = h.options.mss, mss > 0 {
            c.pathMTUSearch.peerMSS = mss
            // A route's MTU caps it instead of what we announce (TCPStack+RouteMetrics.swift).
            c.sendMSS = max(64, min(flooredPeerMSS(mss, c), routeMSSCap(c) ?? c.announcedMSS))   // CVE-2019-11479 (TCPStack+PeerMSSFloor.swift)
        }
        negotiateRFC7323(&c, h, now)
        applyPathMTU(&c, now)
        // RFC 9293 §3.7.1: IP options come out of the MSS too (an application's source route,
        // given before the handshake ended; one received is adopted after, by `setRoute`).
        if !sourceRoutes.isEmpty { c.sendMSS = max(64, c.sendMSS - sourceRouteBytes(&c)) }
        startPathMTUSearchIfAlways(&c)   // RFC 4821 (TCPStack+PathMTUProbing.swift)
        c.cwnd = routeInitialWindow(c) ?? initialWindow(mss: c.sendMSS)
    }

    // MARK: SYN-SENT (RFC 9293 §3.10.7.3)

    mutating func synSentSegmentArrives(_ c: inout Connection, _ id: ConnectionID, _ seg: TCPSegmentView, _ now: Instant) -> InputOutcome {
        let h = seg.header
        let f = h.flags
        // First, check the ACK bit.
        if f.contains(.ack) {
            let ack = h.acknowledgmentNumber
            if ack <= c.iss || ack > c.sndMax {
                drop(.synSentBadACK, now, id, seg)
                if !f.contains(.rst) {
                    queueControl(local: c.local, remote: c.remote, seq: ack, ack: SequenceNumber(0), flags: [.rst], trafficClass: c.dscp << 2)
                }
                return .done
            }
            if synACKEchoRejected(&c, h, now) {   // TCPStack+SYNACKTimestamp.swift
                drop(.paws, now, id, seg)
                if !f.contains(.rst) {
                    queueControl(local: c.local, remote: c.remote, seq: ack, ack: SequenceNumber(0), flags: [.rst], trafficClass: c.dscp << 2)
                }
                return .done
            }
        }
        // Second, check the RST bit: only with an acceptable ACK (RFC 5961 §3.2) is it "refused".
        if f.contains(.rst) {
            guard f.contains(.ack) else { drop(.synSentRSTWithoutACK, now, id, seg); return .done }
            resetAndClose(&c, id, now: now, sendRST: false, reason: .refused, error: .connectionRefused)
            return .done
        }
        // Fourth, check the SYN bit.
        guard f.contains(.syn) else { drop(.synSentNoSYN, now, id, seg); return .done }
        c.irs = h.sequenceNumber
        c.rcvNxt = h.sequenceNumber + 1
        c.rcvAcked = c.rcvNxt
        applySYNOptions(&c, h, now)
        ecnSYNAnswered(&c, h)   // RFC 3168 §6.1.1 (TCPStack+ECN.swift)
        // acknowledge() clears the retry count, which RFC 6298 §5.7 still needs below.
        let synTimedOut = c.retries > 0
        // RFC 5681 §3.1's one-segment initial window and RFC 6298 §5.7's 3 s RTO are for a SYN
        // that was lost; one resent for the path MTU (TCPStack+ICMP.swift) was not (RFC 1191 §6.5).
        let synLost = c.retries > (c.fastOpen.contains(.synResentForPathMTU) ? 1 : 0)
        if f.contains(.ack) {
            // After SYN timeouts the SYN-ACK's TSecr may name our first SYN while the SYN-ACK is
            // the peer's late retransmission: no sample, RFC 6298 §5.7's 3 s RTO instead.
            if !synTimedOut { timestampRTTSample(&c, h, now) }
            acknowledge(&c, id, h.acknowledgmentNumber, now)
        }
        c.sndWnd = UInt32(h.window)
        c.maxSndWnd = max(c.maxSndWnd, c.sndWnd)
        c.sndWl1 = h.sequenceNumber
        c.sndWl2 = h.acknowledgmentNumber
        if c.sndUna > c.iss {
            // Our SYN is acknowledged: ESTABLISHED, and <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
            setState(&c, id, .established, now)
            becameEstablished(&c, id, now, synTimedOut: synLost)
            c.ackPending = true
            if !c.fastOpen.isEmpty { fastOpenSYNACKArrived(&c, h, synTimedOut: synTimedOut) }   // TCPStack+FastOpen.swift
            interactiveSYNACKArrived(&c, now)   // TCPStack+InteractiveACK.swift
            // "If there are other controls or text in the segment, continue processing at the
            // sixth step": data and FIN on a SYN-ACK are taken.
            if !seg.payload.isEmpty || f.contains(.fin) {
                processText(&c, id, seg, dataSeq: h.sequenceNumber + 1, now)
                processFIN(&c, id, seg, dataSeq: h.sequenceNumber + 1, now)
            }
        } else {
            // Simultaneous open: SYN-RECEIVED, and <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
            setState(&c, id, .synReceived, now)
            c.sndNxt = c.iss
            // Karn (RFC 6298 §3): the SYN,ACK resends sequence number ISS, so an ACK of it is
            // ambiguous between our SYN and the SYN,ACK; take no RTT sample from it.
            c.rttSeq = nil
            if !seg.payload.isEmpty { drop(.synDataIgnored, now, id, seg) }
        }
        return .done
    }

    /// Things that happen once per connection when the handshake completes.
    mutating func becameEstablished(_ c: inout Connection, _ id: ConnectionID, _ now: Instant, synTimedOut: Bool = false) {
        // RFC 6298 §5.7: after a SYN timeout with no RTT sample, RTO restarts at 3 s.
        if c.srtt == nil && (c.retries > 0 || synTimedOut) { c.rto = Duration.seconds(3).nanoseconds }
        // RFC 5681 §3.1: when the SYN or SYN,ACK was lost, the initial window is one segment.
        // (Linux waits for a second retransmission before it does this.)
        if c.retries > 0 || synTimedOut { c.cwnd = c.sendMSS }
        c.retries = 0
        if configuration.receiveBufferRoundedToMSS { roundReceiveBufferToMSS(&c) }
        if c.ecn.active { statistics.ecnConnections += 1 }
        emit(.established(id), now)
        if c.finQueued && c.state == .established {
            // A CLOSE issued in SYN-RECEIVED (RFC 9293 §3.10.4) now takes effect.
            setState(&c, id, .finWait1, now)
        }
    }

    // MARK: Other states (RFC 9293 §3.10.7.4)

    mutating func segmentArrives(_ c: inout Connection, _ id: ConnectionID, _ seg: TCPSegmentView, _ now: Instant) -> InputOutcome {
        let h = seg.header
        let f = h.flags
        let seq = h.sequenceNumber
        let segLen = seg.payload.count + (f.contains(.syn) ? 1 : 0) + (f.contains(.fin) ? 1 : 0)
        endPushPacket(&c)   // an arriving segment starts a transmission pass (TCPStack+Push.swift)
        c.sendHold.remove(.more)   // MSG_MORE holds until the next segment arrives (TCPStack+Corking.swift)

        // A SYN to a connection in TIME-WAIT may open a new incarnation: with a higher sequence
        // number (RFC 1122 §4.2.2.13) or a newer timestamp (RFC 6191; `timeWaitAcceptsSYN`).
        if c.state == .timeWait, configuration.timeWaitReuse, f.contains(.syn), !f.contains(.ack), !f.contains(.rst),
           timeWaitAcceptsSYN(c, h), findListener(c.local) != nil {
            timeWaitSuccessorISN[FourTuple(local: c.local, remote: c.remote)] = c.sndNxt + 65535 + 2
            setState(&c, id, .closed, now)
            emit(.closed(id), now)
            return .newIncarnation
        }
        // A retransmitted SYN in SYN-RECEIVED means our SYN-ACK was lost: send it again (as Linux
        // does; the RFC's first check would only answer with an ACK).
        if c.state == .synReceived, f.contains(.syn), !f.contains(.ack), !f.contains(.rst), seq == c.irs {
            c.sndNxt = c.iss
            // Karn (RFC 6298 §3): this SYN,ACK is a retransmission; the ACK that completes the
            // handshake could answer either copy, so it must not give an RTT sample.
            c.rttSeq = nil
            return .done
        }

        // RFC 9293 §3.5 Figure 7, simultaneous open: in SYN-RECEIVED (reached from SYN-SENT) the peer's
        // SYN,ACK acknowledges our SYN and the connection is ESTABLISHED. Its SYN lies at IRS, just
        // before RCV.NXT, so the first check below would reject it and only send an ACK (an extra
        // round trip the figure does not have); like Linux, take it as the ACK of our SYN.
        if c.state == .synReceived, !c.passive, f.contains(.syn), f.contains(.ack), !f.contains(.rst), seq == c.irs,
           c.sndUna < h.acknowledgmentNumber, h.acknowledgmentNumber <= c.sndMax {
            c.sndWnd = UInt32(h.window)
            c.maxSndWnd = max(c.maxSndWnd, c.sndWnd)
            c.sndWl1 = seq
            c.sndWl2 = h.acknowledgmentNumber
            setState(&c, id, .established, now)
            becameEstablished(&c, id, now)
            timestampRTTSample(&c, h, now)
            acknowledge(&c, id, h.acknowledgmentNumber, now)
            // `simultaneousOpenACK` (Linux): its SYN is old (at IRS), so an ACK answers it (as
            // RFC 9293's first check would), reporting the duplicate in a D-SACK block (RFC 2883 §4).
            if configuration.simultaneousOpenACK {
                c.ackPending = true
                if c.sackOK && configuration.dsack { c.sackReport.dsack = (seq, seq + 1) }
            }
            return .done
        }

        // RFC 7323 §5.3 R1 (PAWS) and §3.2 (missing TSopt) come before the sequence number check.
        guard timestampCheck(&c, id, seg, now) else { return .done }

        // First, check the sequence number: the four cases of RCV.WND and SEG.LEN.
        let rcvWnd = c.receiveWindow
        let windowEnd = c.rcvNxt + rcvWnd
        var acceptable: Bool
        if segLen == 0 {
            // The table says RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND; like Linux (tcp_sequence) a
            // segment without text may also sit at the right edge, SEG.SEQ = RCV.NXT+RCV.WND: the
            // peer's SND.NXT once it filled the window we offered with text we could not keep
            // (a window rounded up to the scale's unit). Refusing those would discard every ACK
            // the peer sends until its next window probe (found against Linux over TUN). Only a bare ACK: RST, SYN and FIN keep the strict test.
            acceptable = rcvWnd == 0 ? seq == c.rcvNxt : seq.isInHalfOpenRange(c.rcvNxt, windowEnd)
                || (seq == windowEnd && f == [.ack])
        } else {
            acceptable = rcvWnd == 0 ? false
                : seq.isInHalfOpenRange(c.rcvNxt, windowEnd) || (seq + (segLen - 1)).isInHalfOpenRange(c.rcvNxt, windowEnd)
        }
        // "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be
        // made to accept valid ACKs, URGs, and RSTs": a segment at RCV.NXT keeps its ACK and RST.
        // Not its SYN: with RFC 5961 §4 off that SYN is simply unacceptable (an ACK, RFC 793's
        // rule); with it on the SYN is challenged whatever its sequence number.
        var textAllowed = acceptable
        if !acceptable && rcvWnd == 0 && seq == c.rcvNxt && (!f.contains(.syn) || configuration.rfc5961SYN) {
            acceptable = true
            textAllowed = false
        }
        if !acceptable {
            if c.sackOK && configuration.dsack && !seg.payload.isEmpty && !f.contains(.rst) && seq < c.rcvNxt {
                // RFC 2883 §4: a segment wholly received before is reported in a D-SACK block.
                c.sackReport.dsack = (seq, SequenceNumber.min(seq + seg.payload.count, c.rcvNxt))
            }
            if !f.contains(.rst) {
                // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, then drop (without text: at most one per
                // `invalidSegmentACKInterval`, TCPStack+InvalidSegmentRateLimit.swift).
                if outOfWindowACKAllowed(&c, segLen: segLen, syn: f.contains(.syn), now) { c.ackPending = true }
                if !seg.payload.isEmpty && seq < c.rcvNxt { interactiveModeLeft(&c) }   // old data again (TCPStack+InteractiveACK.swift)
                // TIME-WAIT: a retransmitted FIN is acknowledged and restarts the 2×MSL timeout.
                if c.state == .timeWait && f.contains(.fin) && seq + segLen == c.rcvNxt {
                    c.timers[.timeWait] = now + configuration.msl * 2
                    trace(now, id, .timer(.timeWait))
                }
            }
            drop(f.contains(.rst) ? .rstOutOfWindow : .unacceptableSequence, now, id, seg)
            return .done
        }
        // Linux: a segment acknowledging unsent data is discarded before TS.Recent moves.
        if !(configuration.discardACKOfUnsentData && f.contains(.ack) && c.state != .synReceived && c.state != .timeWait
             && h.acknowledgmentNumber > c.sndMax) {
            recordTimestamp(&c, h, now)   // RFC 7323 §5.3 R3
        }

        // Second, check the RST bit.
        if f.contains(.rst) {
            if c.state == .timeWait && configuration.ignoreRSTInTimeWait {
                drop(.rstInTimeWait, now, id, seg)   // RFC 1337: TIME-WAIT assassination hazards
                return .done
            }
            if configuration.rfc5961RST && seq != c.rcvNxt {
                // RFC 5961 §3.2: in the window but not exactly RCV.NXT: challenge ACK.
                challengeACK(&c, id, seg, now)
                drop(.rstChallenged, now, id, seg)
                return .done
            }
            switch c.state {
            case .synReceived:
                if c.fastOpen.contains(.passive) {
                    fastOpenChildReset(&c, id, now)   // TCPStack+FastOpen.swift
                } else if c.passive {
                    // Passive OPEN: "return this connection to the LISTEN state" (the listener keeps listening).
                    setState(&c, id, .closed, now)
                } else {
                    resetAndClose(&c, id, now: now, sendRST: false, reason: .refused, error: .connectionRefused)
                }
            case .established, .finWait1, .finWait2, .closeWait:
                if configuration.resetChildStaysQueued, case .queued = c.listenerRole {
                    fastOpenChildReset(&c, id, now)   // stays queued, data readable (TCPStack+FastOpen.swift)
                } else {
                    resetAndClose(&c, id, now: now, sendRST: false, reason: .peerReset, error: .connectionReset)
                }
            default:  // CLOSING, LAST-ACK, TIME-WAIT
                resetAndClose(&c, id, now: now, sendRST: false, reason: .peerReset, error: .connectionReset)
            }
            return .done
        }

        // Fourth, check the SYN bit (third, security, does not apply).
        if f.contains(.syn) {
            if c.state == .synReceived && c.passive {
                setState(&c, id, .closed, now)   // return to LISTEN
                return .done
            }
            if configuration.rfc5961SYN {
                // RFC 5961 §4.2: any SYN in a synchronized state gets a challenge ACK.
                challengeACK(&c, id, seg, now)
                drop(.synChallenged, now, id, seg)
                return .done
            }
            // RFC 793: an in-window SYN is an error; reset the connection.
            replyRST(to: seg)
            resetAndClose(&c, id, now: now, sendRST: false, reason: .peerReset, error: .connectionReset)
            return .done
        }

        // Fifth, check the ACK field.
        guard f.contains(.ack) else { drop(.noACKFlag, now, id, seg); return .done }
        let ack = h.acknowledgmentNumber
        if c.state == .synReceived {
            guard c.sndUna < ack && ack <= c.sndMax else {
                // <SEQ=SEG.ACK><CTL=RST>
                drop(.badACKInSynReceived, now, id, seg)
                replyRST(to: seg)
                return .done
            }
            if case .halfOpen(let lid) = c.listenerRole {
                guard let li = listenerSlot(lid) else { setState(&c, id, .closed, now); return .done }
                guard listenerSlots[li].listener!.acceptQueue.count < listenerSlots[li].listener!.backlog else {
                    // Like Linux: leave it half-open; a later ACK or our SYN-ACK retransmission tries again.
                    drop(.acceptQueueFull, now, id, seg)
                    return .done
                }
                listenerSlots[li].listener!.halfOpen -= 1
                listenerSlots[li].listener!.acceptQueue.append(id)
                c.listenerRole = .queued(lid)
            }
            c.sndWnd = UInt32(h.window) << c.sndWindShift   // RFC 7323 §2.3: scaled except on a SYN
            c.maxSndWnd = max(c.maxSndWnd, c.sndWnd)
            c.sndWl1 = seq
            c.sndWl2 = ack
            setState(&c, id, .established, now)
            interactiveDataReceived(&c, now, data: false)   // TCPStack+InteractiveACK.swift
            if case .queued(let lid) = c.listenerRole, !c.fastOpen.contains(.passive) { emit(.connectionAvailable(lid), now) }
            becameEstablished(&c, id, now)
        }

        // ESTABLISHED and the states after it.
        if c.state != .synReceived {
            if ack > c.sndMax {
                // RFC 9293 / RFC 5961 §5.2: it acks something not yet sent: send an ACK, drop.
                if configuration.discardACKOfUnsentData && c.state != .timeWait {
                    // Linux's tcp_ack: discarded, no ACK in reply (`discardACKOfUnsentData`).
                } else if configuration.rfc5961ACK { challengeACK(&c, id, seg, now) } else { c.ackPending = true }
                drop(.ackOfUnsentData, now, id, seg)
                return .done
            }
            if configuration.rfc5961ACK && ack < c.sndUna - c.maxSndWnd {
                // RFC 5961 §5.2: older than any ACK the peer could legitimately send.
                challengeACK(&c, id, seg, now)
                drop(.ackTooOld, now, id, seg)
                return .done
            }
            c.probesUnanswered = 0   // an acceptable ACK: the peer is alive (RFC 1122 §4.2.2.17)
            // RFC 3168 §6.1.2: ECE on an ACK that is not old, with data outstanding (TCPStack+ECN.swift).
            let ecnEcho = f.contains(.ece) && c.ecn.active && ack >= c.sndUna && c.sndMax != c.sndUna
            // RFC 5681 §2: a duplicate ACK acknowledges nothing new, carries no data, SYN or FIN,
            // leaves the window as it was, and comes while data is outstanding.
            let duplicate = ack == c.sndUna && seg.payload.isEmpty && !f.contains(.syn) && !f.contains(.fin)
                && UInt32(h.window) << c.sndWindShift == c.sndWnd && c.sndMax != c.sndUna
            if c.sackRecovery {
                sackACKArrives(&c, id, h, classicDuplicate: duplicate, now)   // RFC 6675, RFC 8985
            } else {
                let oldUna = c.sndUna, oldNxt = c.sndNxt
                if duplicate {
                    duplicateACK(&c, id, now)
                } else if c.sndUna < ack {
                    timestampRTTSample(&c, h, now)
                    acknowledge(&c, id, ack, now)
                }
                // F-RTO (RFC 5682 §3, TCPStack+ForwardRTORecovery.swift).
                if c.frto.phase != .off { forwardRTOACK(&c, h, oldUna: oldUna, oldNxt: oldNxt, duplicate: duplicate, now) }
            }
            // Window update (RFC 9293 §3.10.7.4): only from a segment newer than the last one used.
            if c.sndUna <= ack && (c.sndWl1 < seq || (c.sndWl1 == seq && c.sndWl2 <= ack)) {
                c.sndWnd = UInt32(h.window) << c.sndWindShift   // RFC 7323 §2.3: SND.WND = SEG.WND << Snd.Wind.Shift
                c.maxSndWnd = max(c.maxSndWnd, c.sndWnd)
                c.sndWl1 = seq
                c.sndWl2 = ack
                if c.sndWnd > 0 { c.timers[.persist] = nil; c.persistBackoff = 0 }
            }
            if ecnEcho { ecnEchoArrives(&c, now) }
            switch c.state {
            case .finWait1:
                if c.finAcked { setState(&c, id, .finWait2, now) }
            case .closing:
                if c.finAcked { setState(&c, id, .timeWait, now) }
            case .lastAck:
                if c.finAcked {
                    setState(&c, id, .closed, now)
                    if c.userOwned { emit(.closed(id), now) }
                    return .done
                }
            default:
                break
            }
        }

        // Sixth, the URG bit (TCPStack+Urgent.swift); with the window shut too (MUST-66).
        if f.contains(.urg) { urgentArrives(&c, id, seq: seq, pointer: h.urgentPointer, now) }
        // Seventh, the segment text; eighth, the FIN bit.
        if textAllowed {
            processText(&c, id, seg, dataSeq: seq, now)
            if c.state != .closed { processFIN(&c, id, seg, dataSeq: seq, now) }
        } else if !seg.payload.isEmpty || f.contains(.fin) {
            // Zero window: data or a FIN (SEG.LEN > 0) is not acceptable; only its ACK was taken.
            // Tell the peer where we stand (RFC 9293 §3.10.7.4 first check).
            c.ackPending = true
            drop(.beyondWindow, now, id, seg)
        }
        return .done
    }

    /// New data acknowledged (SND.UNA < SEG.ACK <= SND.MAX). Returns the data bytes acknowledged;
    /// with `deferGrowth` the caller grows cwnd (`newDataAcknowledged`) once it knows what the
    /// ACK's SACK blocks delivered.
    @discardableResult
    mutating func acknowledge(_ c: inout Connection, _ id: ConnectionID, _ ack: SequenceNumber, _ now: Instant, deferGrowth: Bool = false) -> Int {
        let synAcknowledged = c.sndUna < c.sendBufferSeq   // SND.UNA is still the ISS
        var ackedData = 0
        if ack > c.sendBufferSeq {
            ackedData = min(Int(ack - c.sendBufferSeq), c.sendBuffer.count)
            c.sendBuffer.discard(ackedData)
            c.sendBufferSeq += ackedData
        }
        // Data acknowledged with the SYN rode on it (Fast Open): one segment in all.
        c.counters.segmentsDelivered &+= synAcknowledged ? 1 : UInt32(clamping: (ackedData + max(1, c.sendMSS) - 1) / max(1, c.sendMSS))
        c.sndUna = ack
        c.progressAt = now   // forward progress: the user timeout starts again
        if c.sndNxt < c.sndUna { c.sndNxt = c.sndUna }
        // RFC 6298 §2: a sample from a segment never retransmitted (Karn).
        if let timed = c.rttSeq, ack > timed {
            sampleRTT(&c, now - c.rttStart)
            c.rttSeq = nil
        }
        c.retries = 0
        if c.pathMTUSearch.probeSize > 0 { pathMTUProbeAcknowledged(&c, now) }   // RFC 4821 §7.6.1
        if ackedData > 0 {
            c.counters.bytesAcked &+= UInt64(ackedData)
            c.counters.sampleDeliveryRate(now, srtt: c.srtt)
        }
        // Only data counts for cwnd: the ACK of our SYN or FIN opens nothing (RFC 5681 §3.1 counts bytes).
        if ackedData > 0 && !deferGrowth { newDataAcknowledged(&c, ackedData, now) }
        // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, otherwise restart it —
        // in NewReno recovery only on the first partial ACK (RFC 6582 §3.2 step 4, §4): with
        // many holes the timeout then repairs them faster than one per round trip.
        let keepTimer = c.inFastRecovery && c.partialACKs > 1 && c.timers[.retransmit] != nil
        if !keepTimer { c.timers[.retransmit] = c.sndUna == c.sndMax ? nil : now.advanced(byNanoseconds: c.rto) }
        if c.sendBufferWasFull && ackedData > 0 { expandSendBuffer(&c, now) }
        if c.sendBufferWasFull && ackedData > 0 && !deferGrowth { wakeWriter(&c, id, now) }
        return ackedData
    }

    /// RFC 6298 §2.2–2.3, with G = 1 ms of clock granularity.
    mutating func sampleRTT(_ c: inout Connection, _ sample: Duration) {
        let r = max(sample.nanoseconds, 0)
        if c.congestion.inSlowStart { c.congestion.hyStart.onRTTSample(r) }
        if let srtt = c.srtt {
            c.rttvar = (3 * c.rttvar + abs(srtt - r)) / 4
            c.srtt = (7 * srtt + r) / 8
        } else {
            c.srtt = r
            c.rttvar = r / 2
        }
        // Linux keeps its variance term at least TCP_RTO_MIN (tcp_rtt_estimator's rttvar_us), so
        // its floor lies on top of SRTT (`rtoMinBoundsVariance`).
        let variance = max(1_000_000, 4 * c.rttvar)
        let rto = c.srtt! + (configuration.rtoMinBoundsVariance ? max(variance, configuration.rtoMin.nanoseconds) : variance)
        c.rto = min(max(rto, configuration.rtoMin.nanoseconds), configuration.rtoMax.nanoseconds)
    }

    /// Seventh step: segment text (RFC 9293 §3.10.7.4). Bytes before RCV.NXT are trimmed, bytes past
    /// the window dropped; what lies past a gap waits in the receive ring until the gap fills. Every
    /// data segment is acknowledged at once: in order, out of order (a duplicate ACK, RFC 5681 §4.2)
    /// or filling a gap.
    mutating func processText(_ c: inout Connection, _ id: ConnectionID, _ seg: TCPSegmentView, dataSeq: SequenceNumber, _ now: Instant) {
        guard !seg.payload.isEmpty else { return }
        switch c.state {
        case .established, .finWait1, .finWait2:
            break
        default:
            // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: a FIN has been received; ignore the text.
            drop(.textAfterFIN, now, id, seg)
            return
        }
        // RFC 1122 §4.2.2.13: *new* data after the application closed is lost; say so with RST.
        // A retransmission of bytes already received (e.g. old data riding with the FIN) is not.
        if c.userClosed && dataSeq + seg.payload.count > c.rcvNxt {
            drop(.dataAfterClose, now, id, seg)
            // Linux answers the segment (<SEQ=SEG.ACK><CTL=RST>, tcp_v4_send_reset) rather than
            // aborting with <SEQ=SND.NXT><CTL=RST,ACK> (`resetDataAfterCloseAsReply`).
            let reply = configuration.resetDataAfterCloseAsReply && seg.header.flags.contains(.ack)
            if reply {
                queueControl(local: c.local, remote: c.remote, seq: seg.header.acknowledgmentNumber, ack: SequenceNumber(0),
                             flags: [.rst], trafficClass: c.dscp << 2)
            }
            resetAndClose(&c, id, now: now, sendRST: !reply, reason: .localAbort, error: .connectionAborted)
            return
        }
        if seg.payload.count > Int(c.rcvMSS) { largeSegmentArriving(&c, payload: seg.payload.count) }
        dataArriving(&c, now)
        ecnCWRArrives(&c, seg)   // RFC 3168 §6.1.3 (TCPStack+ECN.swift)
        // Offsets from RCV.NXT: trim what is old, clip what lies past the window.
        let skip = max(0, Int(c.rcvNxt - dataSeq))
        if skip > 0 && c.sackOK && configuration.dsack {
            // RFC 2883 §4: the part at or below RCV.NXT arrived before; report it first.
            c.sackReport.dsack = (dataSeq, dataSeq + min(skip, seg.payload.count))
        }
        guard skip < seg.payload.count else {
            c.ackPending = true   // all old: the ACK is the answer
            interactiveModeLeft(&c)   // the peer missed an ACK (TCPStack+InteractiveACK.swift)
            return
        }
        ecnDataArrives(&c, seg)   // a CE mark on new text (RFC 3168 §6.1.3, §6.1.5)
        let offset = max(0, Int(dataSeq - c.rcvNxt))
        let room = c.receiveBuffer.free - offset
        let length = min(seg.payload.count - skip, room)
        if length < seg.payload.count - skip {
            c.ackPending = true   // tell the peer where the window ends
            drop(.beyondWindow, now, id, seg)
        }
        guard length > 0 else { return }
        if offset > 0 {
            // Out of order: a duplicate ACK at once (RFC 5681 §4.2, RFC 9293 §3.8.6.3).
            c.ackPending = true
            if c.sackOK {
                // RFC 2883 §4: a copy of data already held past a gap is a duplicate too.
                if configuration.dsack, let d = c.assembler.overlap(start: UInt32(offset), end: UInt32(offset + length)) {
                    c.sackReport.dsack = (c.rcvNxt + Int(d.start), c.rcvNxt + Int(d.end))
                }
                c.sackReport.received(c.rcvNxt + offset)   // RFC 2018 §4: its block goes first
            }
            guard c.assembler.add(start: UInt32(offset), end: UInt32(offset + length)) else {
                drop(.outOfOrder, now, id, seg)
                return
            }
            statistics.outOfOrderSegments += 1
            c.counters.outOfOrderSegments &+= 1
            let start = seg.payload.startIndex + skip
            ownReceiveBuffer(&c)
            c.receiveBuffer.write(at: offset, UnsafeRawBufferPointer(rebasing: seg.payload[start..<(start + length)]))
            return
        }
        let start = seg.payload.startIndex + skip
        ownReceiveBuffer(&c)
        c.receiveBuffer.write(at: 0, UnsafeRawBufferPointer(rebasing: seg.payload[start..<(start + length)]))
        // Data filling all or part of a gap is acknowledged at once (RFC 5681 §4.2).
        let fillsGap = !c.assembler.isEmpty
        if !c.assembler.add(start: 0, end: UInt32(length)) {
            // Every slot holds a range past a gap and this one touches none of them. In-order
            // bytes come first: keeping data past a gap is optional (RFC 9293 §3.10.7.4, seventh:
            // such segments "may be held"), so the highest range is given up for the sender to
            // repeat. Without this the bytes at RCV.NXT would be lost on every retransmission.
            c.assembler.removeLast()
            drop(.outOfOrder, now, id, nil)
            _ = c.assembler.add(start: 0, end: UInt32(length))
        }
        let wasEmpty = c.receiveBuffer.isEmpty
        let contiguous = c.assembler.takeFront()
        c.receiveBuffer.commit(contiguous)
        c.rcvNxt += contiguous
        c.counters.bytesReceived &+= UInt64(contiguous)
        if contiguous > 0 { interactiveDataReceived(&c, now) }   // TCPStack+InteractiveACK.swift
        receiverRTTSample(&c, seg.header, now)
        if fillsGap { c.ackPending = true } else { inOrderDataTaken(&c, now) }
        if contiguous > 0 && wasEmpty && (c.userOwned || c.listenerRole != .none) { emit(.readable(id), now) }
        // A FIN that waited behind the gap now counts.
        if let fin = c.pendingFIN, fin == c.rcvNxt {
            c.pendingFIN = nil
            finArrived(&c, id, now)
        }
    }

    /// Eighth step: the FIN bit. A FIN counts only when everything before it has arrived; one past
    /// a gap (inside the window) waits for the gap to fill.
    mutating func processFIN(_ c: inout Connection, _ id: ConnectionID, _ seg: TCPSegmentView, dataSeq: SequenceNumber, _ now: Instant) {
        guard seg.header.flags.contains(.fin), !c.finReceived, c.state != .closed else { return }
        let finSeq = dataSeq + seg.payload.count
        guard finSeq == c.rcvNxt else {
            if finSeq > c.rcvNxt {
                // Past a gap: an out-of-order segment. Keep the FIN's place if the data before it
                // fits; the duplicate ACK (RFC 5681 §4.2) tells the peer where we are.
                c.ackPending = true
                if Int(finSeq - c.rcvNxt) <= c.receiveBuffer.free {
                    c.pendingFIN = finSeq
                    if seg.payload.isEmpty {
                        statistics.outOfOrderSegments += 1
                        c.counters.outOfOrderSegments &+= 1
                    }
                } else if seg.payload.isEmpty {
                    drop(.beyondWindow, now, id, seg)
                }
            }
            return
        }
        finArrived(&c, id, now)
    }

    /// The peer's FIN, in order: RCV.NXT moves past it, the application learns the stream ends,
    /// and the state moves on (RFC 9293 §3.10.7.4 eighth step).
    mutating func finArrived(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        c.rcvNxt += 1
        if c.rcvAdv > c.rcvNxt - 1 { c.rcvAdv += 1 }   // the FIN's sequence number takes no buffer space
        c.finReceived = true
        c.pendingFIN = nil
        c.assembler.removeAll()
        c.ackPending = true
        if c.userOwned || c.listenerRole != .none { emit(.peerClosed(id), now) }
        switch c.state {
        case .synReceived, .established:
            setState(&c, id, .closeWait, now)
        case .finWait1:
            // Our FIN acknowledged too: TIME-WAIT; otherwise both sides closed at once: CLOSING.
            setState(&c, id, c.finAcked ? .timeWait : .closing, now)
        case .finWait2:
            setState(&c, id, .timeWait, now)
        default:
            break
        }
    }

    /// RFC 5961: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, at most `challengeACKLimit` a second (§7).
    mutating func challengeACK(_ c: inout Connection, _ id: ConnectionID, _ seg: TCPSegmentView, _ now: Instant) {
        // RFC 5961 §10: the connection's own limit first (TCPStack+InvalidSegmentRateLimit.swift).
        guard invalidSegmentAnswerAllowed(&c, now) else {
            statistics.challengeACKsLimitedPerConnection += 1
            drop(.challengeACKRateLimited, now, id, seg)
            return
        }
        if now - challengeWindowStart >= .seconds(1) {
            challengeWindowStart = now
            challengeTokens = challengeBudget()
        }
        guard challengeTokens > 0 else {
            statistics.challengeACKsLimitedGlobally += 1
            drop(.challengeACKRateLimited, now, id, seg)
            return
        }
        challengeTokens -= 1
        statistics.challengeACKsSent += 1
        c.ackPending = true
    }
}
