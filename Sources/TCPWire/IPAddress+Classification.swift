/// Address classes TCP must refuse as a connection's endpoint (RFC 9293 §3.9.1.2 and §3.10.7.2,
/// RFC 1122 §4.2.3.10 and §3.2.1.3).
extension IPAddress {
    /// 0.0.0.0 or `::` (RFC 1122 §3.2.1.3 (a), RFC 4291 §2.5.2): "this host", never a peer.
    public var isUnspecified: Bool {
        switch self {
        case .v4(let a): a.rawValue == 0
        case .v6(let a): a.high == 0 && a.low == 0
        }
    }

    /// 224.0.0.0/4 (RFC 5771) or ff00::/8 (RFC 4291 §2.7).
    public var isMulticast: Bool {
        switch self {
        case .v4(let a): a.rawValue >> 28 == 0xe
        case .v6(let a): a.high >> 56 == 0xff
        }
    }

    /// 255.255.255.255, the limited broadcast address (RFC 1122 §3.2.1.3 (c)). Directed
    /// broadcasts depend on the interface's prefix and are configured, not recognised here.
    public var isLimitedBroadcast: Bool {
        if case .v4(let a) = self { return a.rawValue == 0xffff_ffff }
        return false
    }
}
