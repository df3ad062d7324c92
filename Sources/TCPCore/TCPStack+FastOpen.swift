import TCPWire

/// TCP Fast Open (RFC 7413), as Linux behaves where its packetdrill scripts show it.
///
/// Client (§4.1.3, §4.2.1): an active open with Fast Open (`connect(to:fastOpenData:...)`, the
/// socket layer's sendto(MSG_FASTOPEN); or `connect(to:deferringSYN...)`, TCP_FASTOPEN_CONNECT)
/// sends the cached cookie and data in its SYN, or an empty option that asks for a cookie. The
/// SYN-ACK's cookie and MSS are cached per server address. Data the SYN-ACK does not acknowledge
/// goes again at once after the handshake; a retransmitted SYN is a plain SYN (no option, no
/// data). A server that ignores the kind-34 request is asked with the experimental option next.
///
/// Server (§4.1.2, §4.2.2): a listener with Fast Open (TCP_FASTOPEN, or every listener) answers a
/// cookie request, or a SYN with an invalid cookie, with a SYN-ACK carrying the valid cookie (in
/// the request's option form) and acknowledges only the SYN; a SYN with a valid cookie (or any
/// SYN, with `serverWithoutCookie`) makes a connection at once: its data is readable, it is
/// queued for accept, and it may send before the handshake completes.
extension TCPStack {
    // MARK: Keys and cookies

    /// The key cookies are made with when neither the settings nor the listener name one.
    public var fastOpenKey: FastOpenKey { fastOpen.key ?? fastOpenDrawnKey }

    /// TCP_FASTOPEN on a listener: Fast Open for its connections with a queue of at most
    /// `queueLength` (0 turns it off; `FastOpenSettings.serverForAllListeners` turns it on for
    /// every listener).
    public mutating func setFastOpen(_ listener: ListenerID, queueLength: Int) throws(TCPError) {
        guard let li = listenerSlot(listener) else { throw .invalidHandle }
        guard queueLength >= 0 else { throw .invalidArgument("Fast Open queue length must not be negative") }
        listenerSlots[li].listener!.fastOpenQueue = queueLength
    }

    /// TCP_FASTOPEN_KEY on a listener: its own cookie key (nil: the stack's).
    public mutating func setFastOpenKey(_ listener: ListenerID, _ key: FastOpenKey?) throws(TCPError) {
        guard let li = listenerSlot(listener) else { throw .invalidHandle }
        listenerSlots[li].listener!.fastOpenKey = key
    }

    /// The cookie a listener gives a client at `client` that connects to `server`.
    public func fastOpenCookie(client: IPAddress, server: IPAddress, listener: ListenerID? = nil) -> FastOpenCookie {
        let own = listener.flatMap { listenerSlot($0) }.flatMap { listenerSlots[$0].listener!.fastOpenKey }
        return (own ?? fastOpenKey).cookie(source: client, destination: server)
    }

    /// Forgets every cached cookie (`ip tcp_metrics flush`).
    public mutating func flushFastOpenCache() { fastOpenCache.removeAll() }

    /// The connection is a Fast Open child still in SYN-RECEIVED, which may send already, or a
    /// deferred Fast Open connect: the socket layer lets the application write to it.
    public func fastOpenAcceptsWrites(_ id: ConnectionID) -> Bool {
        guard let i = connectionIndex(id) else { return false }
        let c = slots[i].connection!
        return c.fastOpen.contains(.passive) || c.fastOpen.contains(.deferred)
    }

    /// The bytes a deferred TCP_FASTOPEN_CONNECT's SYN will carry (nil: the connection is not
    /// such a one): what a non-blocking first write takes, as Linux returns the SYN's share.
    public func fastOpenDeferredSYNRoom(_ id: ConnectionID) -> Int? {
        guard let i = connectionIndex(id), let c = slots[i].connection, c.fastOpen.contains(.deferred),
              c.fastOpen.contains(.synData) else { return nil }
        return fastOpenSYNDataSpace(c)
    }

    // MARK: Client

    /// Active OPEN with Fast Open (sendto with MSG_FASTOPEN): with a cookie for the server in the
    /// cache (or `clientWithoutCookie`), the SYN carries the first bytes of `data` — at most the
    /// server's cached MSS (else ours) less 40 bytes of option room, as Linux — otherwise it asks
    /// for a cookie and carries none. `queueAll` (a blocking socket) queues all of `data` (what
    /// the SYN cannot carry follows the handshake); otherwise only what the SYN carries. Returns
    /// the connection and the bytes queued. With the client side off, a plain `connect`.
    /// `options` (the socket's, e.g. a `maximumSegmentSize` that limits what the SYN carries)
    /// apply before the data is queued; nil: the configuration's.
    public mutating func connect(to remote: SocketAddress, from localAddress: IPAddress? = nil, localPort: UInt16? = nil,
                                 fastOpenData data: UnsafeRawBufferPointer, queueAll: Bool,
                                 options: ConnectionOptions? = nil,
                                 now: Instant) throws(TCPError) -> (id: ConnectionID, queued: Int) {
        let id = try connect(to: remote, from: localAddress, localPort: localPort, now: now)
        let i = connectionIndex(id)!
        if let options { slots[i].connection!.apply(options) }
        var queue = queueAll ? data.count : 0
        if fastOpen.client {
            let mode = fastOpenClientMode(remote.address)
            slots[i].connection!.fastOpen = mode
            if mode.contains(.synData) && !queueAll { queue = min(data.count, fastOpenSYNDataSpace(slots[i].connection!)) }
        }
        var queued = 0
        if queue > 0 { queued = ownSendBuffer(i).append(UnsafeRawBufferPointer(rebasing: data[..<queue])) }
        return (id, queued)
    }

    /// Active OPEN with TCP_FASTOPEN_CONNECT: with a cookie at hand the SYN waits for the first
    /// `send`, which it then carries (returns true: the open is deferred); without one the SYN
    /// goes now and asks for a cookie.
    public mutating func connect(to remote: SocketAddress, from localAddress: IPAddress? = nil, localPort: UInt16? = nil,
                                 deferringSYN: Bool, now: Instant) throws(TCPError) -> (id: ConnectionID, deferred: Bool) {
        let id = try connect(to: remote, from: localAddress, localPort: localPort, now: now)
        guard fastOpen.client, deferringSYN else { return (id, false) }
        let i = connectionIndex(id)!
        var mode = fastOpenClientMode(remote.address)
        let deferred = mode.contains(.synData)
        if deferred { mode.insert(.deferred) }
        slots[i].connection!.fastOpen = mode
        return (id, deferred)
    }

    /// The data a Fast Open SYN not yet sent was to carry could not be read (the socket layer's
    /// copy from a bad buffer failed): as Linux's tcp_send_syn_data falls back, the SYN carries
    /// no data and asks for a new cookie instead of sending the cached one.
    public mutating func fastOpenDataUnreadable(_ id: ConnectionID) {
        guard let i = connectionIndex(id), let c = slots[i].connection, c.fastOpen.contains(.synData),
              c.state == .synSent, c.sndNxt == c.iss else { return }
        slots[i].connection!.fastOpen = c.fastOpen.intersection([.attempted, .experimental]).union([.attempted, .requestCookie])
    }

    /// The flags of a client's SYN from what the cache holds for the server.
    func fastOpenClientMode(_ server: IPAddress) -> FastOpenFlags {
        let e = fastOpenCache[server] ?? FastOpenCacheEntry()
        if fastOpen.clientWithoutCookie { return [.attempted, .synData] }
        if !e.cookie.isEmpty { return e.experimental ? [.attempted, .sendCookie, .synData, .experimental] : [.attempted, .sendCookie, .synData] }
        return e.tryExperimental == 1 ? [.attempted, .requestCookie, .experimental] : [.attempted, .requestCookie]
    }

    /// Bytes a SYN may carry: the server's cached MSS (else ours) less the 40 bytes of option
    /// space Linux keeps free for middleboxes that add options (tcp_send_syn_data).
    func fastOpenSYNDataSpace(_ c: Connection) -> Int {
        let cached = Int(fastOpenCache[c.remote.address]?.mss ?? 0)
        return max(0, (cached > 0 ? min(cached, c.announcedMSS) : c.announcedMSS) - 40)
    }

    /// The first SYN of a Fast Open client: its option, and how many bytes of data it carries
    /// (from the front of the send buffer). Retransmitted SYNs are plain (as Linux's).
    mutating func fastOpenSYN(_ c: inout Connection, _ h: inout TCPHeader) -> Int {
        guard c.retries == 0 else { return 0 }
        let experimental = c.fastOpen.contains(.experimental)
        if c.fastOpen.contains(.requestCookie) {
            h.options.fastOpen = FastOpenOption(experimental: experimental)
        } else if c.fastOpen.contains(.sendCookie), let e = fastOpenCache[c.remote.address], !e.cookie.isEmpty {
            h.options.fastOpen = FastOpenOption(cookie: e.cookie, experimental: experimental)
        }
        guard c.fastOpen.contains(.synData) else { return 0 }
        return min(c.sendBuffer.count, fastOpenSYNDataSpace(c))
    }

    /// The SYN-ACK of a Fast Open client's SYN has been processed (ACK taken): caches what it
    /// says of the server, and sends again at once the data it did not acknowledge
    /// (Linux's tcp_rcv_fastopen_synack).
    mutating func fastOpenSYNACKArrived(_ c: inout Connection, _ h: TCPHeader, synTimedOut: Bool) {
        guard c.fastOpen.contains(.attempted) else { return }
        var e = fastOpenCache[c.remote.address] ?? FastOpenCacheEntry()
        if let mss = h.options.mss { e.mss = mss }
        // A cookie our SYN did not ask for (it carried no option: the cookie-less mode) is not
        // cached (Linux ignores an unsolicited cookie).
        let solicited = c.fastOpen.contains(.requestCookie) || c.fastOpen.contains(.sendCookie)
        let cookie = solicited ? h.options.fastOpen.flatMap { $0.cookie.isEmpty ? nil : $0 } : nil
        // Data the SYN actually carried (Linux's syn_data): a SYN with a cookie and no data (an
        // empty sendto) is no Fast Open data exchange, for TCPI_OPT_SYN_DATA or the cache.
        let dataSent = c.fastOpen.contains(.synData) && c.sndMax - c.iss > 1
        if let cookie {
            e.cookie = cookie.cookie
            e.experimental = cookie.experimental
        } else if !synTimedOut && !dataSent && c.fastOpen.contains(.requestCookie) {
            // Asked and got nothing: try the other option form next time (Linux's try_exp).
            let next: UInt8 = c.fastOpen.contains(.experimental) ? 2 : 1
            if next > e.tryExperimental && e.cookie.isEmpty { e.tryExperimental = next }
        }
        if synTimedOut && cookie == nil && dataSent { e.synLosses &+= 1 } else { e.synLosses = 0 }
        fastOpenCache[c.remote.address] = e
        guard dataSent else { return }
        if c.sndUna < c.sndMax && c.sendBuffer.count > 0 {
            // RFC 7413 §4.2.1: "the client SHOULD ... retransmit the data not acknowledged":
            // go back to SND.UNA; the data carries the ACK of the SYN-ACK.
            c.sndNxt = c.sndUna
            c.rttSeq = nil
            statistics.fastOpen.activeFailures += 1
        } else {
            c.fastOpen.insert(.synDataAcknowledged)
            statistics.fastOpen.activeOpens += 1
        }
    }

    /// Data of our SYN that the SYN-ACK left unacknowledged went again (`fastOpenSYNACKArrived`
    /// sent SND.NXT back): the SYN had no scoreboard record, the resent bytes get one now, marked
    /// lost and retransmitted, as Linux marks them (tcp_mark_skb_lost before the retransmission;
    /// tcp_info's tcpi_lost and tcpi_retrans count them, and RACK times them from now).
    mutating func fastOpenSYNDataResent(_ c: inout Connection, seq: SequenceNumber) {
        guard c.fastOpen.contains(.synData), !c.fastOpen.contains(.synDataAcknowledged),
              let sb = c.scoreboard else { return }
        var i = sb.count - 1
        while i >= 0 && sb[i].start >= seq {   // one record, or one per segment of a large send
            var r = sb[i]
            r.flags.insert([.lost, .retransmitted, .everRetransmitted])
            sb[i] = r
            i -= 1
        }
    }

    // MARK: Server

    /// What a listener does with the Fast Open side of a SYN (Linux's tcp_try_fastopen), on the
    /// new connection `c` (not yet installed). Returns true when `c` is a Fast Open child: the
    /// SYN's data is taken into its receive buffer and it goes to the accept queue at once.
    mutating func fastOpenListenerSYN(_ c: inout Connection, _ li: Int, _ seg: TCPSegmentView, _ now: Instant) -> Bool {
        let listener = listenerSlots[li].listener!
        let option = seg.header.options.fastOpen
        if option?.cookie.isEmpty == true { statistics.fastOpen.cookieRequests += 1 }
        let enabled = fastOpen.server && (listener.fastOpenQueue > 0 || fastOpen.serverForAllListeners)
        guard enabled, !seg.payload.isEmpty || option != nil else { return false }
        var accept = fastOpen.serverWithoutCookie
        if !accept, let option {
            let valid = (listener.fastOpenKey ?? fastOpenKey).cookie(source: c.remote.address, destination: c.local.address)
            if option.cookie.isEmpty {
                c.fastOpen.insert(.offerCookie)
            } else if option.cookie == valid {
                accept = true
            } else {
                statistics.fastOpen.passiveFailures += 1
                c.fastOpen.insert(.offerCookie)   // §4.2.2: only the SYN is acknowledged
            }
            if option.experimental { c.fastOpen.insert(.experimental) }
        }
        guard accept else { return false }
        statistics.fastOpen.passiveOpens += 1
        c.fastOpen.insert(.passive)
        if !seg.payload.isEmpty {
            // As data arriving in order would be (TCPStack+Input.swift processText): the
            // receiver MSS estimate and quick ACKs start from it.
            if seg.payload.count > Int(c.rcvMSS) { largeSegmentArriving(&c, payload: seg.payload.count) }
            dataArriving(&c, now)
            let n = min(seg.payload.count, c.receiveBuffer.capacity)
            ownReceiveBuffer(&c)
            c.receiveBuffer.write(at: 0, UnsafeRawBufferPointer(rebasing: seg.payload[seg.payload.startIndex..<(seg.payload.startIndex + n)]))
            c.receiveBuffer.commit(n)
            c.rcvNxt += n
            c.rcvAcked = c.rcvNxt
            c.counters.bytesReceived &+= UInt64(n)
            c.fastOpen.insert(.synDataAcknowledged)
        }
        return true
    }

    /// A RST in SYN-RECEIVED for a Fast Open child, which is already the application's (or, with
    /// `resetChildStaysQueued`, for any connection still in the accept queue): reset like a
    /// synchronized connection (Linux: ECONNRESET), the data it received still readable before
    /// the error (as Linux's socket keeps its receive queue).
    mutating func fastOpenChildReset(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        c.sendBuffer.removeAll()
        c.error = .connectionReset
        if case .queued = c.listenerRole { c.fastOpen.insert(.resetBeforeAccept) }
        setState(&c, id, .closed, now)
        if c.userOwned || c.listenerRole != .none { emit(.reset(id, .peerReset), now) }
    }

    /// The cookie a server's SYN-ACK offers (first transmission only, as Linux).
    func fastOpenSYNACKOption(_ c: Connection) -> FastOpenOption? {
        guard c.fastOpen.contains(.offerCookie), c.retries == 0 else { return nil }
        var own: FastOpenKey? = nil
        switch c.listenerRole {
        case .halfOpen(let l), .queued(let l): own = listenerSlot(l).flatMap { listenerSlots[$0].listener!.fastOpenKey }
        case .none: break
        }
        return FastOpenOption(cookie: (own ?? fastOpenKey).cookie(source: c.remote.address, destination: c.local.address),
                              experimental: c.fastOpen.contains(.experimental))
    }
}

extension Connection {
    /// A Fast Open child in SYN-RECEIVED whose SYN-ACK went out may send data (RFC 7413 §4.2.2).
    @inline(__always) var fastOpenMaySend: Bool {
        state == .synReceived && fastOpen.contains(.passive) && sndNxt != iss
    }
}
