import TCPWire

// Per-destination route metrics (RouteMetrics.swift), as a routing table gives them to Linux's
// TCP: new connections to the destination read them when they open (announced MSS, send-MSS cap,
// initial window), and a change of the route's MTU resizes the connections already open to it
// (Linux resynchronises the MSS with the route's MTU on the next send, tcp_current_mss).

extension TCPStack {
    /// The metrics set for `destination`, nil when none are.
    public func routeMetrics(for destination: IPAddress) -> RouteMetrics? {
        routes.isEmpty ? nil : routes[destination]
    }

    /// Sets (or with nil removes) the route metrics of `destination`. Connections open to it whose
    /// handshake is done follow a new MTU at once: the send MSS cap becomes what the route's MTU
    /// allows (never above the peer's MSS option or the application's TCP_MAXSEG). Without path
    /// MTU probing the send MSS becomes that cap, up or down; with probing the send MSS only goes
    /// down to it, and the search's upper bound moves to it, so that a larger MTU is used once a
    /// probe has shown that it gets through (RFC 4821 §7.2). The announced MSS and the initial
    /// window are read by connections opened afterwards only.
    public mutating func setRouteMetrics(_ metrics: RouteMetrics?, for destination: IPAddress, now: Instant) {
        let before = routes[destination]?.mtu
        routes[destination] = metrics
        guard metrics?.mtu != before else { return }
        for i in slots.indices {
            guard let c = slots[i].connection, c.remote.address == destination, c.state.isSynchronized else { continue }
            let p = take(i)
            resizeForRoute(&p.pointee)
            commit(i, p, now)
        }
    }

    /// The largest send MSS the route and the peer allow (before the timestamps' 12 bytes, which
    /// `negotiateRFC7323` takes off), nil when no route MTU is set for the peer.
    func routeMSSCap(_ c: borrowing Connection) -> Int? {
        guard !routes.isEmpty, let mtu = routes[c.remote.address]?.mtu else { return nil }
        var cap = max(64, mtu - (c.remote.address.isIPv6 ? 40 : 20) - 20)
        if c.userMSS != 0 { cap = min(cap, Int(c.userMSS)) }
        return cap
    }

    /// A new connection reads its route: the MSS it announces (advmss, under TCP_MAXSEG).
    func applyRouteAtOpen(_ c: inout Connection) {
        guard let adv = routeAnnouncedMSS(c.remote.address) else { return }
        c.announcedMSS = c.userMSS != 0 ? min(adv, Int(c.userMSS)) : adv
        c.sendMSS = min(c.announcedMSS, c.local.address.isIPv6 ? 1220 : 536)
    }

    /// The route's initial window for a connection (initcwnd segments), nil without one.
    func routeInitialWindow(_ c: borrowing Connection) -> Int? {
        guard !routes.isEmpty, let n = routes[c.remote.address]?.initialWindowSegments else { return nil }
        return max(1, n) * c.sendMSS
    }

    /// ICMP may not lower a locked route MTU (Linux ignores PMTU updates for such a route).
    func routeMTULocked(_ destination: IPAddress) -> Bool {
        !routes.isEmpty && routes[destination]?.mtuLocked == true
    }

    private func resizeForRoute(_ c: inout Connection) {
        let ipv6 = c.remote.address.isIPv6
        let mtu = routes[c.remote.address]?.mtu ?? configuration.mtu
        var cap = mss(forPathMTU: mtu, c)
        // The peer's MSS option (RFC 9293 §3.7.1) bounds it too; the timestamps come out of both.
        let peer = c.pathMTUSearch.peerMSS != 0 ? Int(c.pathMTUSearch.peerMSS) : (ipv6 ? 1220 : 536)
        cap = min(cap, max(64, peer - (c.timestampsOn ? 12 : 0)))
        if c.userMSS != 0 { cap = min(cap, Int(c.userMSS)) }
        if !sourceRoutes.isEmpty { cap = max(64, cap - sourceRouteBytes(&c)) }
        if c.pathMTUSearch.enabled {
            let bound = UInt16(clamping: cap)
            c.pathMTUSearch.ceiling = bound
            c.pathMTUSearch.high = bound
            c.pathMTUSearch.low = min(c.pathMTUSearch.low, bound)
            if c.pathMTUSearch.probeSize > bound { c.pathMTUSearch.probeSize = 0 }
            c.sendMSS = min(c.sendMSS, cap)
        } else {
            c.sendMSS = cap
        }
    }
}

extension TCPStack {
    /// The MSS a SYN to `destination` announces by its route (advmss, else from the route's MTU).
    func routeAnnouncedMSS(_ destination: IPAddress) -> Int? {
        guard !routes.isEmpty, let r = routes[destination] else { return nil }
        if let adv = r.advertisedMSS { return max(64, adv) }
        return r.mtu.map { max(64, $0 - (destination.isIPv6 ? 60 : 40)) }
    }
}
