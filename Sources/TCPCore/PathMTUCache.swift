import TCPWire

/// Path MTUs learned from ICMP, per destination (RFC 1191 §6.3, RFC 8201 §5.3): bounded, each
/// entry expiring after `TCPConfiguration.pathMTUTimeout`. New connections to a destination start
/// with its entry. Consulted once per connection (at the SYN), never per segment.
struct PathMTUCache {
    struct Entry { var mtu: Int; var expires: Instant }
    private(set) var entries: [IPAddress: Entry] = [:]

    /// The path MTU known for `destination`, nil when none or expired (RFC 1191 §6.3: the
    /// estimate goes back up to the first hop's MTU; `lower` removes expired entries).
    func mtu(for destination: IPAddress, now: Instant) -> Int? {
        guard let e = entries[destination], e.expires > now else { return nil }
        return e.mtu
    }

    /// Records `mtu` for `destination` when lower than what is known (a message can only lower
    /// the estimate, RFC 1191 §6.1). A full cache gives up the entry that expires first.
    mutating func lower(_ destination: IPAddress, to mtu: Int, expires: Instant, capacity: Int, now: Instant) {
        if let known = self.mtu(for: destination, now: now), known <= mtu { return }
        if entries[destination] == nil, entries.count >= max(1, capacity) {
            entries = entries.filter { $0.value.expires > now }
            if entries.count >= max(1, capacity), let oldest = entries.min(by: { $0.value.expires < $1.value.expires }) {
                entries[oldest.key] = nil
            }
        }
        entries[destination] = Entry(mtu: mtu, expires: expires)
    }

    var count: Int { entries.count }
}
