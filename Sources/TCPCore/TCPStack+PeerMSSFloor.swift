/// CVE-2019-11479: a peer announcing a tiny MSS (1, 48, ...) would make every byte cost a segment
/// and a scoreboard record. Its option is raised to `minimumPeerMSS` (IPv4) or `minimumPeerMSSv6`
/// before our own limits (MTU, route, options) cap the send MSS, as Linux's tcp_min_snd_mss.
extension TCPStack {
    /// The peer's MSS option as the send MSS starts from: at least the configured floor.
    mutating func flooredPeerMSS(_ mss: UInt16, _ c: Connection) -> Int {
        let floor = c.remote.address.isIPv6 ? configuration.minimumPeerMSSv6 : configuration.minimumPeerMSS
        guard Int(mss) < floor else { return Int(mss) }
        statistics.peerMSSRaised += 1
        return floor
    }
}
