import TCPWire

// ICMP input (RFC 9293 §3.9.2.2, RFC 1122 §4.2.3.9, RFC 5927), classic path MTU discovery
// (RFC 1191, RFC 8201) and the soft errors the application hears of (RFC 9293 §3.8.3).

extension TCPStack {
    /// Takes one IP packet carrying ICMP or ICMPv6 (`handle(ipPacket:)` passes them here too).
    /// Malformed messages and informational ones are counted and traced as drops.
    public mutating func handle(icmpPacket packet: UnsafeRawBufferPointer, now: Instant) {
        let m: ICMPMessage
        do {
            m = try ICMPMessage.parse(packet)
        } catch {
            statistics.malformed[error, default: 0] += 1
            let reason: DropReason = switch error {
            case .badICMPChecksum: .badChecksum
            case .notICMPError: .icmpNotError
            default: .malformed
            }
            drop(reason, now, nil, nil)
            return
        }
        handle(icmp: m, now: now)
    }

    /// Convenience for `handle(icmpPacket:)` from an array.
    public mutating func handle(icmpPacket: [UInt8], now: Instant) {
        icmpPacket.withUnsafeBytes { handle(icmpPacket: $0, now: now) }
    }

    /// Acts on a parsed ICMP error message (MUST-54).
    public mutating func handle(icmp m: ICMPMessage, now: Instant) {
        statistics.icmpReceived += 1
        guard addresses.contains(m.destination), addresses.contains(m.quotedSource.address) else {
            drop(.notOurAddress, now, nil, nil)
            return
        }
        switch m.kind {
        case .sourceQuench:
            // MUST-55 (RFC 6633 §2): Source Quench is discarded silently.
            drop(.icmpSourceQuench, now, nil, nil)
            return
        case .redirect:
            drop(.icmpRedirect, now, nil, nil)
            return
        default:
            break
        }
        // The quoted segment is one we sent: its source is our side.
        guard let slot = demux[FourTuple(local: m.quotedSource, remote: m.quotedDestination)].map({ Int($0) }) else {
            drop(.icmpNoConnection, now, nil, nil)
            return
        }
        let c = take(slot)
        connectionICMP(&c.pointee, id(ofSlot: slot), m, now)
        commit(slot, c, now)
    }

    /// `handle(icmp:)` for the connection the message quotes.
    mutating func connectionICMP(_ c: inout Connection, _ cid: ConnectionID, _ m: ICMPMessage, _ now: Instant) {
        guard c.state != .timeWait && c.state != .closed else {
            drop(.icmpNoConnection, now, cid, nil)   // nothing left to tell or to resend (as Linux)
            return
        }
        // RFC 5927 §4.1: act only if SND.UNA <= SEG.SEQ <= SND.NXT (ours: SND.MAX, the highest
        // sent), so that an off-path attacker must guess a sequence number in the window.
        let seq = m.quotedSequence
        guard c.sndUna <= seq && seq <= c.sndMax else {
            drop(.icmpOutOfWindow, now, cid, nil)
            return
        }
        let ipv6 = m.destination.isIPv6
        switch m.kind {
        case .packetTooBig(let mtu):
            pathMTUTooBig(&c, cid, mtu: mtu, now)
        case .destinationUnreachable(let code):
            networkError(&c, cid, .destinationUnreachable(code: code, ipv6: ipv6), now)
        case .timeExceeded:
            networkError(&c, cid, .timeExceeded, now)
        case .parameterProblem:
            networkError(&c, cid, .parameterProblem, now)
        case .sourceQuench, .redirect:
            break
        }
    }

    /// A hard error aborts the connection (SHLD-26), in SYN-SENT failing the connect; anything
    /// else is a soft error: recorded and reported, never an abort (MUST-56, SHLD-25).
    mutating func networkError(_ c: inout Connection, _ id: ConnectionID, _ e: NetworkError, _ now: Instant) {
        if e.isHard {
            statistics.icmpHardErrors += 1
            resetAndClose(&c, id, now: now, sendRST: false, reason: .unreachable, error: .unreachable(e))
            return
        }
        statistics.icmpSoftErrors += 1
        softError(&c, id, e, now)
    }

    /// Records a soft error for SO_ERROR and tells the application unless it turned that off
    /// (RFC 9293 §3.8.3 SHLD-9, SHLD-20; RFC 1122 §4.2.4.1 MUST-47).
    mutating func softError(_ c: inout Connection, _ id: ConnectionID, _ e: NetworkError, _ now: Instant) {
        c.softError = e
        if c.reportSoftErrors && c.userOwned { emit(.softError(id, e), now) }
    }

    /// R1 retransmissions without progress (RFC 9293 §3.8.3): negative advice to IP (MUST-20)
    /// and a soft error for the application (SHLD-9). Called from the retransmission timeout.
    /// A half-open passive connection (no application yet) gives none: its SYN-ACK going
    /// unanswered is what a SYN flood from forged addresses looks like, and advice per forged
    /// source would only add work for the driver.
    mutating func retransmissionThresholdReached(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        statistics.retransmissionThresholdsReached += 1
        guard c.userOwned else { return }
        emit(.negativeAdvice(id, remote: c.remote.address), now)
        softError(&c, id, .retransmissionThreshold, now)
    }

    /// R1, at least 3 (SHLD-10).
    var retransmissionThreshold: Int { max(3, configuration.retransmissionThreshold) }

    /// Fragmentation Needed (RFC 1191 §4) or Packet Too Big (RFC 8201 §4): lower the send MSS for
    /// this destination and resend what no longer fits, at once.
    mutating func pathMTUTooBig(_ c: inout Connection, _ id: ConnectionID, mtu reported: Int, _ now: Instant) {
        let ipv6 = c.remote.address.isIPv6
        if c.pathMTUDiscoveryOff {   // IP_PMTUDISC_DONT: what it sends may be fragmented
            drop(.icmpMTUDiscoveryOff, now, id, nil)
            return
        }
        if routeMTULocked(c.remote.address) {   // `mtu lock` (TCPStack+RouteMetrics.swift)
            drop(.icmpMTULocked, now, id, nil)
            return
        }
        // RFC 8201 §4: never below IPv6's 1280; IPv4: the configured floor (see `minimumPathMTU`).
        let floor = ipv6 ? 1280 : max(68, configuration.minimumPathMTU)
        let mtu = max(floor, reported)
        if mtu < configuration.mtu {
            pathMTUCache.lower(c.remote.address, to: mtu, expires: now + configuration.pathMTUTimeout,
                               capacity: configuration.pathMTUCacheSize, now: now)
        }
        if c.state == .synSent && c.fastOpen.contains(.synData) && c.sndMax != c.iss && c.retries == 0 {
            fastOpenSYNTooBig(&c, mtu: mtu, now)
            return
        }
        let mss = mss(forPathMTU: mtu, c)
        // RFC 1191 §6.1: a message that does not lower the size in use changes nothing.
        guard mss < c.sendMSS else {
            drop(.icmpMTUNotSmaller, now, id, nil)
            return
        }
        c.sendMSS = mss
        pathMTUSearchClamp(&c)   // probing stays below it (TCPStack+PathMTUProbing.swift)
        statistics.pathMTUReductions += 1
        simpleRetransmit(&c, now)
    }

    /// A Fast Open SYN with data did not fit the path: as Linux (tcp_simple_retransmit for a SYN
    /// with data), the SYN goes again at once as a plain retransmission (no data, no cookie; the
    /// data follows the handshake), announcing an MSS that fits the path (Linux's advertised MSS
    /// follows the route's MTU).
    mutating func fastOpenSYNTooBig(_ c: inout Connection, mtu: Int, _ now: Instant) {
        c.announcedMSS = min(c.announcedMSS, max(64, mtu - (c.remote.address.isIPv6 ? 40 : 20) - 20))
        c.sendMSS = min(c.sendMSS, c.announcedMSS)
        statistics.pathMTUReductions += 1
        c.retries += 1                 // a retransmitted SYN is plain (fastOpenSYN)
        c.fastOpen.insert(.synResentForPathMTU)   // but no loss (becameEstablished)
        c.sndNxt = c.iss
        c.rttSeq = nil                 // Karn: no sample from a retransmission
        c.timers[.retransmit] = nil    // restarted when the SYN goes out
    }

    /// The send MSS a path MTU allows: IP and TCP headers and the timestamps every segment
    /// carries come out of it (RFC 6691, as `negotiateRFC7323` does for the peer's MSS).
    func mss(forPathMTU mtu: Int, _ c: Connection) -> Int {
        max(64, mtu - (c.remote.address.isIPv6 ? 40 : 20) - 20 - (c.timestampsOn ? 12 : 0))
    }

    /// A new connection's SYN options are in: the send MSS also fits the path MTU known for the
    /// destination (RFC 1191 §6.3).
    func applyPathMTU(_ c: inout Connection, _ now: Instant) {
        guard let mtu = pathMTUCache.mtu(for: c.remote.address, now: now) else { return }
        c.sendMSS = min(c.sendMSS, mss(forPathMTU: mtu, c))
    }

    /// The segments in flight were sent larger than the path takes and are lost: send them again
    /// now at the new size, as Linux's tcp_simple_retransmit. Not a congestion signal (RFC 1191
    /// §6.5, RFC 8201 §5.4): cwnd and ssthresh stay as they are.
    mutating func simpleRetransmit(_ c: inout Connection, _ now: Instant) {
        guard c.state.isSynchronized, c.sndUna != c.sndMax else { return }
        // With a SACK scoreboard every segment not SACKed is marked lost and resent from it
        // (split to the new MSS); without one, go back to SND.UNA.
        if !sackRetransmitTimeout(&c) { c.sndNxt = c.sndUna }
        c.recover = c.sndMax
        c.inFastRecovery = false
        c.duplicateACKs = 0
        c.retransmitFirst = false
        c.rttSeq = nil                                  // Karn: no sample from a retransmission
        c.timers[.retransmit] = nil                     // restarted when the segment goes out
    }

    // MARK: Application side

    /// Reads and clears the connection's soft error, as SO_ERROR does on Linux: the last ICMP
    /// soft error or R1 report (RFC 1122 §4.2.4.1 MUST-47). A hard error is the connection's
    /// `error` (`ConnectionInfo.error`, the next call's `TCPError`).
    public mutating func takeSoftError(_ id: ConnectionID) throws(TCPError) -> NetworkError? {
        guard let i = connectionIndex(id) else { throw .invalidHandle }
        let e = slots[i].connection!.softError
        slots[i].connection!.softError = nil
        return e
    }

    /// The path MTU learned from ICMP for `destination`, nil when none is known or it expired.
    public func pathMTU(to destination: IPAddress, now: Instant) -> Int? {
        pathMTUCache.mtu(for: destination, now: now)
    }
}
