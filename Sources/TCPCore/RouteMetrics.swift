/// What a route to one destination says about TCP over it (Linux's route metrics, set with
/// `ip route change DEST ... advmss N mtu [lock] N initcwnd N`), given to the stack with
/// `TCPStack.setRouteMetrics(_:for:now:)`. Every value nil: the configuration's.
public struct RouteMetrics: Sendable, Hashable {
    /// The route's MTU: the path MTU the connections to the destination start from, and the cap
    /// of their send MSS (RFC 1191 §3: the first hop's MTU is the first estimate). A changed value
    /// resizes the connections open to the destination (see `setRouteMetrics`).
    public var mtu: Int?
    /// `mtu lock`: path MTU discovery never lowers the route's MTU (ICMP Fragmentation Needed /
    /// Packet Too Big for the destination are ignored, as Linux does for a locked MTU).
    public var mtuLocked: Bool
    /// The MSS announced in SYNs to the destination (Linux's advmss; nil: from the MTU).
    public var advertisedMSS: Int?
    /// The initial congestion window, in segments (Linux's initcwnd; RFC 6928 otherwise).
    public var initialWindowSegments: Int?

    public init(mtu: Int? = nil, mtuLocked: Bool = false, advertisedMSS: Int? = nil, initialWindowSegments: Int? = nil) {
        self.mtu = mtu
        self.mtuLocked = mtuLocked
        self.advertisedMSS = advertisedMSS
        self.initialWindowSegments = initialWindowSegments
    }
}
