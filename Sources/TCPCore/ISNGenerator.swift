import TCPWire

/// Initial sequence numbers per RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
/// where M is a timer ticking every 4 microseconds and F is SipHash-2-4 under a 128-bit secret.
struct ISNGenerator {
    let k0: UInt64
    let k1: UInt64

    func isn(local: SocketAddress, remote: SocketAddress, now: Instant) -> SequenceNumber {
        var h = SipHash24(k0: k0, k1: k1)
        Self.add(local.address, to: &h)
        h.add(local.port)
        Self.add(remote.address, to: &h)
        h.add(remote.port)
        let f = UInt32(truncatingIfNeeded: h.finalize())
        let m = UInt32(truncatingIfNeeded: now.nanoseconds / 4_000)   // RFC 6528: 4 µs ticks
        return SequenceNumber(f &+ m)
    }

    private static func add(_ a: IPAddress, to h: inout SipHash24) {
        switch a {
        case .v4(let v): h.add(v.rawValue)
        case .v6(let v): h.add(v.high); h.add(v.low)
        }
    }
}
