import TCPWire

/// What `receive` found.
public enum ReceiveResult: Hashable, Sendable {
    /// This many bytes were copied out.
    case data(Int)
    /// Nothing buffered now; more may come.
    case wouldBlock
    /// The peer's FIN was reached: no more data will come.
    case endOfStream
}

extension TCPStack {
    // MARK: Listeners

    /// Passive OPEN (RFC 9293 §3.10.1): listens on `port` at `address` (nil: every address of the
    /// stack). `backlog` bounds the half-open connections and, separately, those waiting for
    /// `accept` (as Linux does).
    public mutating func listen(port: UInt16, address: IPAddress? = nil, backlog: Int = 128) throws(TCPError) -> ListenerID {
        guard backlog > 0 else { throw .invalidArgument("backlog must be positive") }
        if let address, !addresses.contains(address) { throw .addressNotAvailable }
        let key = ListenKey(address: address, port: port)
        guard listenerIndex[key] == nil else { throw .addressInUse }
        let l = Listener(key: key, backlog: backlog)
        let i: Int
        if let free = listenerSlots.firstIndex(where: { $0.listener == nil }) {
            listenerSlots[free].listener = l
            i = free
        } else {
            listenerSlots.append(ListenerSlot(generation: 0, listener: l))
            i = listenerSlots.count - 1
        }
        listenerIndex[key] = UInt32(i)
        return ListenerID(index: UInt32(i), generation: listenerSlots[i].generation)
    }

    func listenerSlot(_ id: ListenerID) -> Int? {
        let i = Int(id.index)
        guard i < listenerSlots.count, listenerSlots[i].generation == id.generation, listenerSlots[i].listener != nil else { return nil }
        return i
    }

    /// Stops listening. Half-open connections and those not yet accepted are reset.
    public mutating func closeListener(_ listener: ListenerID, now: Instant) throws(TCPError) {
        guard let li = listenerSlot(listener) else { throw .invalidHandle }
        let key = listenerSlots[li].listener!.key
        listenerIndex[key] = nil
        for i in slots.indices {
            guard let role = slots[i].connection?.listenerRole else { continue }
            switch role {
            case .halfOpen(listener), .queued(listener):
                let c = take(i)
                c.pointee.listenerRole = .none
                if c.pointee.state == .closed {   // a Fast Open child reset before accept(): freed
                    commit(i, c, now)
                    continue
                }
                resetAndClose(&c.pointee, id(ofSlot: i), now: now, sendRST: true, reason: nil, error: .connectionAborted)
                commit(i, c, now)
            default: break
            }
        }
        listenerSlots[li].listener = nil
        listenerSlots[li].generation &+= 1
    }

    /// Takes the next established connection from a listener's accept queue.
    public mutating func accept(_ id: ListenerID) throws(TCPError) -> ConnectionID? {
        guard let li = listenerSlot(id) else { throw .invalidHandle }
        while let cid = listenerSlots[li].listener!.acceptQueue.popFirst() {
            guard let i = connectionIndex(cid) else { continue }
            slots[i].connection!.listenerRole = .none
            slots[i].connection!.userOwned = true
            statistics.connectionsAccepted += 1
            return cid
        }
        return nil
    }

    // MARK: Options

    /// A connection's options (TCP_NODELAY, keep-alive, user timeout); nil for an unknown handle.
    public func options(of id: ConnectionID) -> ConnectionOptions? {
        connectionIndex(id).map { slots[$0].connection!.options }
    }

    /// Changes a connection's options. Turning Nagle off sends what it held back; keep-alive
    /// timing restarts from the last segment received.
    public mutating func setOptions(_ id: ConnectionID, _ options: ConnectionOptions, now: Instant) throws(TCPError) {
        guard let i = connectionIndex(id) else { throw .invalidHandle }
        let c = take(i)
        c.pointee.apply(options)
        c.pointee.timers[.keepAlive] = nil   // re-armed by commit from the new idle time
        resizeSendBuffer(c, id, now)
        commit(i, c, now)
    }

    /// Options for the connections a listener will open (like socket options set on a listening
    /// socket, which accepted sockets inherit). Connections already open keep theirs.
    public mutating func setOptions(_ id: ListenerID, _ options: ConnectionOptions) throws(TCPError) {
        guard let li = listenerSlot(id) else { throw .invalidHandle }
        listenerSlots[li].listener!.options = options
    }

    // MARK: Active open

    /// Active OPEN (RFC 9293 §3.10.1): picks a local address of the remote's family (or `from`), an
    /// ephemeral port (RFC 6056: random start), an RFC 6528 ISN, and queues the SYN.
    public mutating func connect(to remote: SocketAddress, from localAddress: IPAddress? = nil,
                                 localPort: UInt16? = nil, now: Instant) throws(TCPError) -> ConnectionID {
        guard isValidPeer(remote.address) else { throw .invalidDestination }   // MUST-46 (TCPStack+AddressChecks.swift)
        let ip: IPAddress
        if let localAddress {
            guard addresses.contains(localAddress), localAddress.isIPv6 == remote.address.isIPv6 else { throw .addressNotAvailable }
            ip = localAddress
        } else {
            guard let a = addresses.first(where: { $0.isIPv6 == remote.address.isIPv6 }) else { throw .addressNotAvailable }
            ip = a
        }
        let port: UInt16
        if let localPort {
            guard demux[FourTuple(local: SocketAddress(ip, localPort), remote: remote)] == nil else { throw .addressInUse }
            port = localPort
        } else {
            let range = configuration.ephemeralPorts
            let size = Int(range.upperBound) - Int(range.lowerBound) + 1
            let start = Int(random.next() % UInt64(size))
            var found: UInt16? = nil
            for k in 0..<size {
                let p = UInt16(Int(range.lowerBound) + (start + k) % size)
                if demux[FourTuple(local: SocketAddress(ip, p), remote: remote)] == nil,
                   listenerIndex[ListenKey(address: nil, port: p)] == nil,
                   listenerIndex[ListenKey(address: ip, port: p)] == nil {
                    found = p
                    break
                }
            }
            guard let f = found else { throw .noEphemeralPort }
            port = f
        }
        let local = SocketAddress(ip, port)
        var c = Connection(local: local, remote: remote, passive: false, userOwned: true, configuration: configuration, rings: emptyRings)
        applyRouteAtOpen(&c)   // TCPStack+RouteMetrics.swift
        initializeSend(&c, iss: isnGenerator.isn(local: local, remote: remote, now: now))
        let (i, cid) = install(&c, in: .synSent, tracedFrom: .closed, now)
        statistics.connectionsOpened += 1
        commit(i, consume c, now)
        return cid
    }

    mutating func initializeSend(_ c: inout Connection, iss: SequenceNumber) {
        c.iss = iss
        c.sndUna = iss
        c.sndNxt = iss
        c.sndMax = iss
        c.sendBufferSeq = iss + 1
        c.sndSml = iss
        c.recover = iss   // RFC 6582 §3.2: "recover" starts at the ISN
        c.congestion.roundEnd = iss
        c.congestion.hyStart.windowEnd = iss
        c.tsOffset = timestampOffset(local: c.local, remote: c.remote)   // RFC 7323 §7.1
        // RFC 6928 initial window; recomputed when the peer's MSS is known.
        c.cwnd = routeInitialWindow(c) ?? initialWindow(mss: c.sendMSS)
    }

    /// RFC 6928 §2: IW = min(10·MSS, max(2·MSS, 14600)), or the configured number of segments.
    func initialWindow(mss: Int) -> Int {
        if let n = configuration.initialWindowSegments { return max(1, n) * mss }
        return min(10 * mss, max(2 * mss, 14600))
    }

    // MARK: Data

    /// SEND (RFC 9293 §3.10.2): queues as many bytes as the send buffer takes and returns that
    /// count (0 when full: wait for `.writable`).
    public mutating func send(_ id: ConnectionID, _ bytes: UnsafeRawBufferPointer, now: Instant) throws(TCPError) -> Int {
        let i = try sendableIndex(id)
        if slots[i].connection!.fastOpen.contains(.deferred) {
            slots[i].connection!.fastOpen.remove(.deferred)   // TCP_FASTOPEN_CONNECT: the SYN carries this
            if bytes.isEmpty {
                // Nothing to carry: the SYN goes now with the cookie alone (Linux's 0-byte write).
                let c = take(i)
                commit(i, c, now)
                return 0
            }
        }
        if bytes.isEmpty { return 0 }
        let ring = ownSendBuffer(i)
        // TCP_NOTSENT_LOWAT (TCPStack+NotSentLowat.swift) may take fewer.
        let allowed: Int
        if configuration.sendBufferAccounting == .linuxTruesize {   // TCPStack+SendBufferAccounting.swift
            allowed = linuxWriteAllowance(slots[i].connection!, want: bytes.count)
            makeRingRoom(ring, for: allowed)
        } else {
            allowed = notSentAllowance(slots[i].connection!, want: bytes.count) ?? bytes.count
        }
        let n = ring.append(UnsafeRawBufferPointer(rebasing: bytes[0..<allowed]))
        if n < bytes.count { slots[i].connection!.sendBufferWasFull = true }
        if n > 0 {
            slots[i].connection!.pushPacket.left = 0   // a write starts a transmission pass (TCPStack+Push.swift)
            slots[i].connection!.sendHold.remove(.pushed)   // a push covers what was queued before it (TCPStack+Corking.swift)
            let c = take(i)
            if configuration.idleRestartAtWrite { restartAfterIdle(&c.pointee, now) }
            commit(i, c, now)
        }
        return n
    }

    /// SEND with the bytes written by `fill` straight into the send buffer's free space (one
    /// copy for producers that are not one contiguous buffer). `fill` is called with a region of
    /// free space, at most twice (the ring's free space may wrap around), and returns how many
    /// bytes it wrote at the region's start; writing fewer than offered means it has no more.
    /// Returns the number of bytes queued (0 when the buffer is full: wait for `.writable`).
    public mutating func send(_ id: ConnectionID, now: Instant, filling fill: (UnsafeMutableRawBufferPointer) -> Int) throws(TCPError) -> Int {
        let i = try sendableIndex(id)
        if slots[i].connection!.fastOpen.contains(.deferred) { slots[i].connection!.fastOpen.remove(.deferred) }   // TCP_FASTOPEN_CONNECT: the SYN carries this
        let ring = ownSendBuffer(i)
        let n = ring.append(filling: fill)
        // A full buffer: the writer may have more and waits for `.writable` (spurious when the
        // producer ended exactly at the end; harmless).
        if ring.free == 0 { slots[i].connection!.sendBufferWasFull = true }
        if n > 0 {
            slots[i].connection!.pushPacket.left = 0   // a write starts a transmission pass (TCPStack+Push.swift)
            slots[i].connection!.sendHold.remove(.pushed)   // a push covers what was queued before it (TCPStack+Corking.swift)
            let c = take(i)
            if configuration.idleRestartAtWrite { restartAfterIdle(&c.pointee, now) }
            commit(i, c, now)
        }
        return n
    }

    /// The slot of a connection that may queue data (RFC 9293 §3.10.2 SEND in each state).
    func sendableIndex(_ id: ConnectionID) throws(TCPError) -> Int {
        guard let i = connectionIndex(id) else { throw .invalidHandle }
        let c = slots[i].connection!
        guard !c.userClosed else { throw .invalidHandle }
        if let e = c.error { throw e }
        switch c.state {
        case .synSent, .synReceived, .established, .closeWait:
            guard !c.finQueued else { throw .connectionClosing }
        case .finWait1, .finWait2, .closing, .lastAck, .timeWait:
            throw .connectionClosing
        case .closed, .listen:
            throw .notConnected
        }
        return i
    }

    /// Convenience for `send` from an array.
    public mutating func send(_ id: ConnectionID, _ bytes: [UInt8], now: Instant) throws(TCPError) -> Int {
        let r: Result<Int, TCPError> = bytes.withUnsafeBytes { b in
            Result { () throws(TCPError) -> Int in try send(id, b, now: now) }
        }
        return try r.get()
    }

    /// RECEIVE (RFC 9293 §3.10.3): copies buffered bytes out. Opens the window when reading frees
    /// enough space (receiver SWS avoidance, RFC 9293 §3.8.6.2.2).
    public mutating func receive(_ id: ConnectionID, into out: UnsafeMutableRawBufferPointer, now: Instant) throws(TCPError) -> ReceiveResult {
        guard let i = connectionIndex(id) else { throw .invalidHandle }
        let c = take(i)
        let r = receive(&c.pointee, into: out, now: now)
        commit(i, c, now)
        return try r.get()
    }

    private mutating func receive(_ c: inout Connection, into out: UnsafeMutableRawBufferPointer, now: Instant) -> Result<ReceiveResult, TCPError> {
        guard !c.userClosed else { return .failure(.invalidHandle) }
        if !c.receiveBuffer.isEmpty {
            let n = c.receiveBuffer.read(into: out)
            if c.urgentSeen { urgentRead(&c) }   // TCPStack+Urgent.swift
            receiveSpaceAdjust(&c, now)   // auto-tuning may grow the buffer and so open the window
            // Window update when the right edge can move by min(RCV.BUFF / 2, MSS) (RFC 9293
            // §3.8.6.2.2, RFC 1122 §4.2.3.3); smaller openings wait (receiver SWS avoidance).
            let open = min(c.receiveBuffer.free, c.maxReceiveWindow)
            let left = Int(c.receiveWindow)
            if c.state.isSynchronized, !c.finReceived, open - left >= c.swsThreshold,
               !configuration.windowUpdateWhenDoubled || (2 * left <= min(c.receiveBuffer.capacity, c.maxReceiveWindow) && open >= 2 * left) {
                c.ackPending = true
            }
            return .success(.data(n))
        }
        if c.finReceived { return .success(.endOfStream) }
        if let e = c.error { return .failure(e) }
        if c.state == .closed { return .failure(.notConnected) }
        return .success(.wouldBlock)
    }

    /// Convenience: receives up to `maxBytes` into an array; nil at end of stream.
    public mutating func receive(_ id: ConnectionID, maxBytes: Int = 65536, now: Instant) throws(TCPError) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: maxBytes)
        let r: Result<ReceiveResult, TCPError> = buf.withUnsafeMutableBytes { b in
            Result { () throws(TCPError) -> ReceiveResult in try receive(id, into: b, now: now) }
        }
        switch try r.get() {
        case .data(let n): return Array(buf[0..<n])
        case .wouldBlock: return []
        case .endOfStream: return nil
        }
    }

    // MARK: Closing

    /// CLOSE as RFC 9293 §3.10.4 defines it: "I have no more to send". A FIN follows the queued data;
    /// the application may keep receiving until the peer closes too (a half-close).
    public mutating func shutdown(_ id: ConnectionID, now: Instant) throws(TCPError) {
        guard let i = connectionIndex(id) else { throw .invalidHandle }
        let c = take(i)
        defer { commit(i, c, now) }
        guard !c.pointee.userClosed else { throw .invalidHandle }
        closeSending(&c.pointee, id, now)
    }

    mutating func closeSending(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        switch c.state {
        case .synSent:
            // §3.10.4 SYN-SENT: delete the TCB.
            c.error = c.error ?? .notConnected
            setState(&c, id, .closed, now)
        case .synReceived:
            // §3.10.4 SYN-RECEIVED: the FIN waits until ESTABLISHED.
            c.finQueued = true
        case .established:
            c.finQueued = true
            setState(&c, id, .finWait1, now)
        case .closeWait:
            c.finQueued = true
            setState(&c, id, .lastAck, now)
        default:
            break   // already closing: nothing more to do
        }
    }

    /// Full close, like close() on a socket: CLOSE, and the application gives up the handle.
    /// RFC 1122 §4.2.2.13: closing with unread data sends RST (the data was lost), and so does data
    /// arriving later. A connection already CLOSED is released at once.
    public mutating func close(_ id: ConnectionID, now: Instant) throws(TCPError) {
        guard let i = connectionIndex(id) else { throw .invalidHandle }
        let c = take(i)
        defer { commit(i, c, now) }
        guard !c.pointee.userClosed else { throw .invalidHandle }
        c.pointee.userClosed = true
        if !c.pointee.receiveBuffer.isEmpty && c.pointee.state != .closed {
            resetAndClose(&c.pointee, id, now: now, sendRST: true, reason: nil, error: .connectionAborted)
            return
        }
        closeSending(&c.pointee, id, now)
        if c.pointee.state == .finWait2 && c.pointee.timers[.finWait2] == nil { c.pointee.timers[.finWait2] = now + configuration.finWait2Timeout }
    }

    /// ABORT (RFC 9293 §3.10.5): RST to the peer if it knows of us, everything dropped, handle released.
    public mutating func abort(_ id: ConnectionID, now: Instant) throws(TCPError) {
        guard let i = connectionIndex(id) else { throw .invalidHandle }
        let c = take(i)
        c.pointee.userClosed = true
        if c.pointee.state != .closed {
            // RFC 9293 §3.10.5: RST in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2 and CLOSE-WAIT only;
            // SYN-SENT has nothing to reset, and CLOSING, LAST-ACK and TIME-WAIT just delete the TCB
            // (both sides have sent their FIN: there is no data to tell the peer was lost).
            let sendRST: Bool = switch c.pointee.state {
            case .synReceived, .established, .finWait1, .finWait2, .closeWait: true
            default: false
            }
            resetAndClose(&c.pointee, id, now: now, sendRST: sendRST, reason: nil, error: .connectionAborted)
        }
        commit(i, c, now)
    }

    /// Sends RST (optionally), flushes the queues, enters CLOSED and tells the application.
    mutating func resetAndClose(_ c: inout Connection, _ id: ConnectionID, now: Instant, sendRST: Bool,
                                reason: ResetReason?, error: TCPError) {
        if sendRST {
            let synchronized = c.state.isSynchronized || c.state == .synReceived
            // <SEQ=SND.NXT><CTL=RST> (RFC 9293 §3.10.5). The RFC's SND.NXT never goes back; ours
            // does after a retransmission timeout (go-back to SND.UNA), so the RFC's SND.NXT is our
            // SND.MAX. A peer that got everything has RCV.NXT = SND.MAX, and RFC 5961 §3.2 makes it
            // accept a RST only exactly there (anything else earns a challenge ACK, and the peer
            // keeps a half-open connection).
            queueControl(local: c.local, remote: c.remote, seq: c.sndMax,
                         ack: synchronized ? c.rcvNxt : SequenceNumber(0), flags: synchronized ? [.rst, .ack] : [.rst],
                         timestamp: c.timestampsOn ? TCPTimestamp(value: timestampValue(c, now), echoReply: c.tsRecent) : nil,
                         trafficClass: c.dscp << 2)
        }
        c.sendBuffer.removeAll()
        c.receiveBuffer.removeAll()
        c.assembler.removeAll()
        c.pendingFIN = nil
        c.finReceived = false
        c.error = error
        setState(&c, id, .closed, now)
        if let reason, c.userOwned || c.listenerRole != .none { emit(.reset(id, reason), now) }
    }

    mutating func queueControl(local: SocketAddress, remote: SocketAddress, seq: SequenceNumber, ack: SequenceNumber, flags: TCPFlags,
                               timestamp: TCPTimestamp? = nil, trafficClass: UInt8 = 0) {
        controlQueue.append(ControlSegment(local: local, remote: remote, seq: seq, ack: ack, flags: flags, timestamp: timestamp,
                                           trafficClass: trafficClass))
    }

    // MARK: Bookkeeping after every change

    /// Ends processing connection `i` in place (`take`): frees what CLOSED leaves behind,
    /// schedules its timers and queues it for output. `c` (from `take(i)`) is dead afterwards.
    mutating func commit(_ i: Int, _ c: UnsafeMutablePointer<Connection>, _ now: Instant) {
        defer { pruneTimers() }
        if c.pointee.state == .closed {
            let key = FourTuple(local: c.pointee.local, remote: c.pointee.remote)
            if demux[key] == UInt32(i) {
                demux[key] = nil
                if !sourceRoutes.isEmpty { sourceRoutes[key] = nil }
            }
            // A Fast Open child reset before accept() stays queued (TCPStack+FastOpen.swift).
            var staysQueued = false
            switch c.pointee.listenerRole {
            case .halfOpen(let l):
                if let li = listenerSlot(l) { listenerSlots[li].listener!.halfOpen -= 1 }
            case .queued(let l):
                if let li = listenerSlot(l) {
                    let cid = ConnectionID(index: UInt32(i), generation: slots[i].generation)
                    staysQueued = c.pointee.fastOpen.contains(.resetBeforeAccept)
                        && listenerSlots[li].listener!.acceptQueue.contains { $0 == cid }
                    if !staysQueued { listenerSlots[li].listener!.acceptQueue.removeAll { $0 == cid } }
                }
            case .none: break
            }
            if !staysQueued { c.pointee.listenerRole = .none }
            c.pointee.scoreboard = nil
            c.pointee.timers.cancelAll()
            c.pointee.scheduledDeadline = nil
            c.pointee.ackPending = false
            if (c.pointee.userOwned && !c.pointee.userClosed) || staysQueued {
                slots.endInPlace(i)     // the handle stays until the application closes it
            } else {
                releaseBuffers(&c.pointee)
                slots.endInPlace(i)
                slots.removeConnection(i)
                freeSlots.append(UInt32(i))
            }
            return
        }
        updateSendChrono(&c.pointee, now)
        armPersistTimer(&c.pointee, now)
        if c.pointee.scoreboard != nil {
            if c.pointee.state == .timeWait { c.pointee.scoreboard = nil } else { armLossProbe(&c.pointee, now) }
        }
        armKeepAlive(&c.pointee)
        clampToUserTimeout(&c.pointee)
        if let d = c.pointee.timers.earliest, d != c.pointee.scheduledDeadline {
            timers.push(.init(deadline: d, slot: UInt32(i), generation: slots[i].generation))
            c.pointee.scheduledDeadline = d
        } else if c.pointee.timers.earliest == nil {
            c.pointee.scheduledDeadline = nil
        }
        if !c.pointee.queuedForOutput && wantsToSend(inPlace: &c.pointee) {
            c.pointee.queuedForOutput = true
            outputQueue.append(UInt32(i))
        }
        slots.endInPlace(i)
    }

    /// `commit` for a new connection (`install`): moves it into its empty slot, then as above.
    mutating func commit(_ i: Int, _ c: consuming Connection, _ now: Instant) {
        slots.putConnection(i, c)
        commit(i, take(i), now)
    }

    /// Pops stale entries (timers since cancelled or moved, connections gone) off the top of the
    /// heap, so that `nextDeadline` is a time when `handleTimeout` really has work to do rather
    /// than an old deadline (a driver would otherwise wake for nothing, e.g. at the cancelled FIN
    /// timer of a connection sitting in TIME-WAIT).
    mutating func pruneTimers() {
        while let top = timers.first {
            let i = Int(top.slot)
            if i < slots.count, slots[i].generation == top.generation,
               let d = slots[i].connection?.scheduledDeadline, d == top.deadline { return }
            _ = timers.pop()
        }
    }
}
