import TCPWire

extension TCPStack {
    /// LISTEN, a SYN, and no half-open connection to be kept for it: answer
    /// <SEQ=cookie><ACK=SEG.SEQ+1><CTL=SYN,ACK> with the options the cookie can carry, and forget
    /// the SYN (RFC 4987 §3.6).
    mutating func sendSYNCookie(_ li: Int, _ seg: TCPSegmentView, _ now: Instant) {
        let h = seg.header
        let local = seg.destinationSocket, remote = seg.sourceSocket
        let ipv6 = local.address.isIPv6
        // RFC 9293 §3.7.1: without the option the peer's MSS is 536 (IPv4) or 1220 (IPv6).
        let peerMSS = h.options.mss.map { Int($0) } ?? (ipv6 ? 1220 : 536)
        let index = SYNCookieCodec.mssIndex(forPeerMSS: peerMSS)
        let cookie = synCookies.cookie(local: local, remote: remote, irs: h.sequenceNumber, mssIndex: index, now: now)
        let receiveBuffer = max(configuration.receiveBufferBytes, 1)
        var options = TCPOptions(mss: UInt16(clamping: routeAnnouncedMSS(remote.address) ?? configuration.announcedMSS(ipv6: ipv6)))
        var flags: TCPFlags = [.syn, .ack]
        if configuration.timestamps, let ts = h.options.timestamp {
            let peerShift = configuration.windowScaling ? h.options.windowScale : nil
            let sack = configuration.sack && h.options.sackPermitted
            if peerShift != nil { options.windowScale = Self.windowShift(forBuffer: configuration.receiveBufferLimit) }   // RFC 7323 §2.2
            options.sackPermitted = sack                                                               // RFC 2018 §2
            let clock = UInt32(truncatingIfNeeded: now.nanoseconds / 1_000_000) &+ timestampOffset(local: local, remote: remote)
            // RFC 3168 §6.1.1: ECN agreed as for a kept SYN (TCPStack+ECN.swift); only the
            // timestamp can remember it (as Linux: without timestamps a cookie says no to ECN).
            let ecnMode = (listenerSlots[li].listener!.options?.ecn ?? configuration.connectionOptions.ecn) ?? configuration.ecn
            let ecn = ecnMode != .off && h.flags.contains(.ece) && h.flags.contains(.cwr) && seg.ecn == ECNCodepoint.notECT
            if ecn { flags.insert(.ece) }
            let bits = SYNCookieCodec.optionBits(peerShift: peerShift, sack: sack, ecn: ecn)
            options.timestamp = TCPTimestamp(value: SYNCookieCodec.timestampValue(clock, bits: bits), echoReply: ts.value)
        }
        controlQueue.append(ControlSegment(local: local, remote: remote, seq: cookie, ack: h.sequenceNumber + 1, flags: flags,
                                           window: UInt16(min(receiveBuffer, 65535)), options: options,
                                           trafficClass: (listenerSlots[li].listener!.options ?? configuration.connectionOptions).dscp << 2))
        statistics.synCookiesSent += 1
        listenerSlots[li].listener!.lastCookieAt = now
        // Data on a SYN is not kept here either (no TCP Fast Open); the peer sends it again.
        if !seg.payload.isEmpty { drop(.synDataIgnored, now, nil, seg) }
    }

    /// LISTEN, an ACK without SYN: if the listener sent cookies recently, the ACK may be the third
    /// segment of a handshake it answered with one. Returns false when cookies do not apply (the
    /// ordinary LISTEN rule, RST, follows); true when the ACK was taken: a connection made, or a
    /// counted drop.
    mutating func cookieACKArrives(_ li: Int, _ seg: TCPSegmentView, _ now: Instant) -> Bool {
        let listener = listenerSlots[li].listener!
        guard configuration.synCookies != .never, listener.lastCookieAt != .never,
              now - listener.lastCookieAt <= SYNCookieCodec.lifetime else { return false }
        let h = seg.header
        let local = seg.destinationSocket, remote = seg.sourceSocket
        let irs = h.sequenceNumber - 1
        let iss = h.acknowledgmentNumber - 1
        var reject: DropReason? = nil
        var mssIndex = 0
        switch synCookies.check(iss, local: local, remote: remote, irs: irs, now: now) {
        case .invalid: reject = .synCookieInvalid
        case .expired: reject = .synCookieExpired
        case .valid(let index): mssIndex = index
        }
        // With timestamps the options come back in TSecr, which must be a TSval we could have
        // sent this peer within a cookie's lifetime.
        var peerShift: UInt8? = nil, sack = false, ecn = false, timestamp: TCPTimestamp? = nil
        if reject == nil, configuration.timestamps, let ts = h.options.timestamp {
            let clock = UInt32(truncatingIfNeeded: now.nanoseconds / 1_000_000) &+ timestampOffset(local: local, remote: remote)
            let elapsed = Int64(Int32(bitPattern: clock &- ts.echoReply))
            let limit = SYNCookieCodec.lifetime.nanoseconds / 1_000_000 + Int64(SYNCookieCodec.optionMask) + 1
            if let o = SYNCookieCodec.options(fromEcho: ts.echoReply), elapsed >= 0, elapsed <= limit {
                peerShift = configuration.windowScaling ? o.peerShift : nil
                sack = configuration.sack && o.sack
                ecn = o.ecn
                timestamp = ts
            } else {
                reject = .synCookieInvalid
            }
        }
        if let reject {
            // RFC 9293 §3.10.7.2, second: an ACK in LISTEN is answered <SEQ=SEG.ACK><CTL=RST>, as
            // Linux answers a cookie that fails: the peer learns at once that no connection exists.
            statistics.synCookiesInvalid += 1
            drop(reject, now, nil, seg)
            replyRST(to: seg)
            return true
        }
        statistics.synCookiesValid += 1
        guard listener.acceptQueue.count < listener.backlog else {
            // As Linux: no room to queue the connection, so none is made; the peer's next segment
            // (data, or a retransmission) carries the same cookie and tries again.
            drop(.acceptQueueFull, now, nil, seg)
            return true
        }
        let lid = ListenerID(index: UInt32(li), generation: listenerSlots[li].generation)
        var c = Connection(local: local, remote: remote, passive: true, userOwned: false, configuration: configuration, rings: emptyRings)
        if let o = listener.options { c.apply(o) }
        applyRouteAtOpen(&c)   // TCPStack+RouteMetrics.swift
        c.irs = irs
        c.rcvNxt = irs + 1
        c.rcvAcked = c.rcvNxt
        c.lastAckSent = c.rcvNxt
        c.pathMTUSearch.peerMSS = UInt16(clamping: SYNCookieCodec.mssTable[mssIndex])
        c.sendMSS = max(64, min(Int(SYNCookieCodec.mssTable[mssIndex]), routeMSSCap(c) ?? c.announcedMSS))
        c.sackOK = sack
        if ecn && c.ecn.mode != .off { c.ecn.flags.insert(.active) }   // RFC 3168 §6.1.1, from the cookie's TSval
        if let peerShift {
            c.windowScalingOn = true
            c.sndWindShift = min(peerShift, 14)
            c.rcvWindShift = Self.windowShift(forBuffer: configuration.receiveBufferLimit)
        }
        if let timestamp {
            // TS.Recent from this ACK: the SYN's TSval is forgotten (RFC 7323 §4.3 would take the
            // SYN's; the ACK's is the same clock one round trip later).
            c.timestampsOn = true
            c.tsRecent = timestamp.value
            c.tsRecentTime = now
            c.sendMSS = max(64, c.sendMSS - 12)   // RFC 6691: the option bytes come out of the MSS
        }
        initializeSend(&c, iss: iss)
        // Our SYN is acknowledged by this very ACK. No RTT sample: the SYN-ACK's send time is
        // not remembered, and its TSval was rounded down by up to 63 ms to carry the options.
        c.sndUna = iss + 1
        c.counters.segmentsDelivered = 1   // the SYN-ACK
        c.sndNxt = iss + 1
        c.sndMax = iss + 1
        c.rcvAdv = c.rcvNxt + UInt32(min(c.receiveBuffer.free, 65535))   // what the SYN-ACK offered
        c.sndWnd = UInt32(h.window) << c.sndWindShift                    // RFC 7323 §2.3: scaled
        c.maxSndWnd = c.sndWnd
        c.sndWl1 = h.sequenceNumber
        c.sndWl2 = h.acknowledgmentNumber
        c.lastReceivedAt = now
        c.counters.segmentsReceived = 2   // the SYN and this ACK
        c.counters.segmentsSent = 1       // the SYN-ACK
        let (i, cid) = install(&c, in: .established, tracedFrom: .listen, now)
        listenerSlots[li].listener!.acceptQueue.append(cid)
        c.listenerRole = .queued(lid)
        emit(.connectionAvailable(lid), now)
        becameEstablished(&c, cid, now)
        // RFC 9293 §3.10.7.4 (SYN-RECEIVED, fifth): "continue processing" — data and a FIN that
        // ride on the cookie ACK are taken (seventh and eighth steps).
        if !seg.payload.isEmpty || h.flags.contains(.fin) {
            processText(&c, cid, seg, dataSeq: h.sequenceNumber, now)
            if c.state != .closed { processFIN(&c, cid, seg, dataSeq: h.sequenceNumber, now) }
        }
        commit(i, consume c, now)
        return true
    }
}
