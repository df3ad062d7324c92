// Route metrics per destination (TCPStack.setRouteMetrics) and path MTU discovery off per
// connection (ConnectionOptions.pathMTUDiscovery): the API's round trip, and DF cleared with a
// header checksum that still verifies.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Route metrics and IP_PMTUDISC_DONT")
struct RouteMetricsTests {
    @Test("metrics set for a destination are returned; nil removes them")
    func setAndRemove() {
        var rng = SplitMix64(seed: 1)
        var stack = TCPStack(addresses: [IPAddress("192.168.0.1")!], random: &rng, secrets: .seeded)
        let d = IPAddress("192.0.2.1")!
        #expect(stack.routeMetrics(for: d) == nil)
        let m = RouteMetrics(mtu: 1400, mtuLocked: true, advertisedMSS: 1000, initialWindowSegments: 4)
        stack.setRouteMetrics(m, for: d, now: .zero)
        #expect(stack.routeMetrics(for: d) == m)
        #expect(stack.routeMTULocked(d) && !stack.routeMTULocked(IPAddress("192.0.2.2")!))
        #expect(stack.routeAnnouncedMSS(d) == 1000)
        stack.setRouteMetrics(nil, for: d, now: .zero)
        #expect(stack.routeMetrics(for: d) == nil)
    }

    @Test("the option survives the TCB's packing: DSCP and path MTU discovery read back as set",
          arguments: [(UInt8(46), true), (UInt8(46), false), (UInt8(0), false), (UInt8(63), true)])
    func optionRoundTrip(dscp: UInt8, pmtud: Bool) {
        var o = ConnectionOptions()
        o.dscp = dscp
        o.pathMTUDiscovery = pmtud
        var c = TCPConfiguration()
        c.connectionOptions = o
        var rng = SplitMix64(seed: 2)
        let stack = TCPStack(addresses: [IPAddress("192.168.0.1")!], configuration: c, random: &rng, secrets: .seeded)
        let conn = Connection(local: SocketAddress(IPAddress("192.168.0.1")!, 1), remote: SocketAddress(IPAddress("192.0.2.1")!, 2),
                              passive: false, userOwned: true, configuration: c, rings: stack.emptyRings)
        #expect(conn.options.dscp == dscp && conn.options.pathMTUDiscovery == pmtud)
        #expect(conn.dscp << 2 == dscp << 2)   // the flag bit never reaches the TOS byte
    }

    @Test("DF cleared: the header still parses with a valid checksum, everything else unchanged")
    func dontFragmentCleared() throws {
        var h = IPv4Header(source: IPv4Address(192, 168, 0, 1), destination: IPv4Address(192, 0, 2, 1), identification: 0x1234)
        h.totalLength = 20
        var bytes = [UInt8](repeating: 0, count: 20)
        _ = try bytes.withUnsafeMutableBytes { try h.emit(into: $0) }
        #expect(bytes[6] & 0x40 != 0)
        let before = bytes
        bytes.withUnsafeMutableBytes { TCPStack.clearDontFragment($0, length: 20) }
        let parsed = try bytes.withUnsafeBytes { try IPv4Header.parse($0) }
        #expect(!parsed.dontFragment && parsed.identification == 0x1234)
        #expect(bytes[6] & 0x40 == 0)
        #expect(Array(bytes[0..<6]) == Array(before[0..<6]) && Array(bytes[12...]) == Array(before[12...]))
    }
}
