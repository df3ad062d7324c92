import TCPWire

/// IPv4 source routes (RFC 791 §3.1 LSRR/SSRR; RFC 1122 §3.3.5 and §4.2.3.8; RFC 9293 MUST-51,
/// MUST-52, MUST-53, SHLD-24).
///
/// - Off by default (`TCPConfiguration.acceptSourceRoute`): a source-routed segment is dropped and
///   counted, as Linux does with accept_source_route = 0.
/// - On: a segment that arrives along a completed source route gives its connection a return
///   route, the reverse of the recorded one (MUST-53); a later segment with a different route
///   replaces it (SHLD-24).
/// - The application may give a connection a route (`setSourceRoute`, MUST-51); it overrides any
///   route received (MUST-52), whatever the configuration says about received ones.
///
/// A route is kept per four-tuple beside the TCB, not in it: routes are rare, and the dictionary
/// is looked at only when it is not empty. Every segment of the connection carries the route, its
/// control segments (a RST) too; the send MSS shrinks by the option's bytes (RFC 9293 §3.7.1:
/// Eff.snd.MSS subtracts the IP options), and such packets go without TSO or checksum offload.
struct SourceRouteEntry {
    var route: IPv4SourceRoute
    /// Given by the application: a received route does not replace it (MUST-52).
    var fromApplication: Bool
}

extension TCPStack {
    /// Gives a connection an IPv4 source route (MUST-51): every segment it sends goes to the first
    /// hop, through the others, to the remote address (loose or strict, RFC 791). `nil` or an
    /// empty route removes the application's route. Set it right after `connect` to route the SYN.
    public mutating func setSourceRoute(_ id: ConnectionID, _ route: IPv4SourceRoute?) throws(TCPError) {
        guard let i = connectionIndex(id) else { throw .invalidHandle }
        let c = slots[i].connection!
        let key = FourTuple(local: c.local, remote: c.remote)
        guard let route, !route.hops.isEmpty else {
            if sourceRoutes[key]?.fromApplication == true { setRoute(key, nil) }
            return
        }
        guard !c.remote.address.isIPv6 else { throw .invalidArgument("a source route is an IPv4 option") }
        guard route.hops.count <= IPv4SourceRoute.maximumHops else {
            throw .invalidArgument("a source route holds at most \(IPv4SourceRoute.maximumHops) hops")
        }
        setRoute(key, SourceRouteEntry(route: route, fromApplication: true))
    }

    /// The connection's source route: the application's or the return route of what it received.
    public func sourceRoute(of id: ConnectionID) -> IPv4SourceRoute? {
        guard !sourceRoutes.isEmpty, let i = connectionIndex(id) else { return nil }
        let c = slots[i].connection!
        return sourceRoutes[FourTuple(local: c.local, remote: c.remote)]?.route
    }

    /// Sets or removes the route of a four-tuple and moves its connection's send MSS by the
    /// difference in IP header bytes.
    mutating func setRoute(_ key: FourTuple, _ entry: SourceRouteEntry?) {
        let before = sourceRoutes[key]?.route.headerBytes ?? 0
        sourceRoutes[key] = entry
        let change = (entry?.route.headerBytes ?? 0) - before
        if change != 0, let i = demux[key].map({ Int($0) }) {
            slots[i].connection!.sendMSS = max(64, slots[i].connection!.sendMSS - change)
        }
    }

    /// The IP header bytes a connection's route adds (0 without one). `inout` only so that the
    /// TCB is not copied to pass it.
    func sourceRouteBytes(_ c: inout Connection) -> Int {
        guard !sourceRoutes.isEmpty else { return 0 }
        return sourceRoutes[FourTuple(local: c.local, remote: c.remote)]?.route.headerBytes ?? 0
    }

    /// An IPv4 packet with options (IHL > 5, as the caller checked): its source route, if it has
    /// one. `.dropped` when the segment must be dropped (counted and traced here).
    enum ReceivedRoute { case none, dropped, route(IPv4SourceRoute.Received) }

    mutating func receivedSourceRoute(_ packet: UnsafeRawBufferPointer, _ seg: TCPSegmentView, _ now: Instant) -> ReceivedRoute {
        let ihl = Int(packet[0] & 0x0f) * 4
        let found: IPv4SourceRoute.Received?
        do {
            found = try IPv4SourceRoute.find(inOptions: UnsafeRawBufferPointer(rebasing: packet[20..<ihl]))
        } catch {
            statistics.malformed[error, default: 0] += 1
            drop(.malformed, now, nil, seg)
            return .dropped
        }
        guard let found else { return .none }
        guard configuration.acceptSourceRoute else {
            drop(.sourceRouted, now, nil, seg)
            return .dropped
        }
        // RFC 791: a route not yet travelled to its end names other hops still to visit; the
        // datagram is not ours to take (and its reverse would not lead back).
        guard found.complete else {
            drop(.sourceRouteIncomplete, now, nil, seg)
            return .dropped
        }
        return .route(found)
    }

    /// After a segment that travelled a source route was handled: its connection (an existing
    /// one, or the one its SYN opened) answers along the reverse route (MUST-53), a later route
    /// replacing an earlier one (SHLD-24), unless the application gave one (MUST-52).
    mutating func adoptReturnRoute(_ received: IPv4SourceRoute.Received, for seg: TCPSegmentView) {
        let key = FourTuple(local: seg.destinationSocket, remote: seg.sourceSocket)
        guard !received.recorded.isEmpty, received.recorded.count <= IPv4SourceRoute.maximumHops,
              demux[key] != nil, sourceRoutes[key]?.fromApplication != true else { return }
        let route = received.returnRoute
        if sourceRoutes[key]?.route != route { setRoute(key, SourceRouteEntry(route: route, fromApplication: false)) }
    }
}
