// Address checks (RFC 9293 §3.9.1.2 MUST-46, §3.10.7.2 MUST-57 and MUST-63; RFC 1122 §4.2.3.10):
// no OPEN to an unspecified, broadcast or multicast address, and segments from or to such an
// address (SYNs to a listener first of all) are discarded silently: no SYN-ACK, no RST, no
// connection, a counted and traced drop.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Address checks: unspecified, broadcast and multicast addresses")
struct AddressCheckTests {
    static let directed = IPAddress("10.0.0.255")!
    static func configuration() -> TCPConfiguration {
        Harness.configuration { $0.directedBroadcasts = [directed] }
    }

    static let invalidPeers = ["0.0.0.0", "255.255.255.255", "224.0.0.1", "239.255.255.250", "10.0.0.255", "::", "ff02::1", "ff0e::1"]

    @Test("connect to an unspecified, broadcast or multicast address fails with invalidDestination and sends nothing (MUST-46)",
          arguments: invalidPeers)
    func connectRefused(address: String) {
        var h = Harness(configuration: Self.configuration())
        let remote = SocketAddress(IPAddress(address)!, 80)
        #expect(throws: TCPError.invalidDestination) { _ = try h.stack.connect(to: remote, now: h.now) }
        h.expectNothingSent()
        #expect(h.stack.connectionCount == 0)
    }

    @Test("without the directed broadcast configured, its address is an ordinary peer; the other classes never are")
    func directedNeedsConfiguration() throws {
        var h = Harness()
        let c = try h.stack.connect(to: SocketAddress(Self.directed, 80), now: h.now)
        #expect(h.stack.state(of: c) == .synSent)
        #expect(h.takeSent().count == 1)
        #expect(throws: TCPError.invalidDestination) { _ = try h.stack.connect(to: SocketAddress(IPAddress("224.1.2.3")!, 80), now: h.now) }
    }

    @Test("a SYN from an unspecified, broadcast or multicast source is discarded silently and counted (MUST-63)",
          arguments: invalidPeers)
    func synFromInvalidSource(address: String) {
        var h = Harness.listen(Self.configuration(), ipv6: address.contains(":"))
        let source = SocketAddress(IPAddress(address)!, peerPort)
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0, from: source)
        h.expectNothingSent()
        #expect(h.stack.connectionCount == 0)
        #expect(h.drops(.invalidSourceAddress) == 1)
        #expect(h.stack.statistics.invalidAddressSegments == 1)
        #expect(h.dropLog == [.invalidSourceAddress])
    }

    @Test("an ACK from a multicast source to a closed port gets no RST")
    func noResetToMulticast() {
        var h = Harness.closed(Self.configuration())
        h.send(Seg(.ack, seq: h.irs, ack: SequenceNumber(5)), at: 0, from: SocketAddress(IPAddress("224.0.0.251")!, peerPort))
        h.expectNothingSent()
        #expect(h.drops(.invalidSourceAddress) == 1)
        #expect(h.drops(.noConnection) == 0)
    }

    @Test("a SYN to a broadcast or multicast address is discarded silently and counted (MUST-57)",
          arguments: ["255.255.255.255", "224.0.0.1", "10.0.0.255", "ff02::1"])
    func synToBroadcast(address: String) {
        let ipv6 = address.contains(":")
        var h = Harness.listen(Self.configuration(), ipv6: ipv6)
        let seg = Seg(.syn, seq: h.irs, mss: 1460)
        h.send(packet: seg.packet(from: h.peer, to: SocketAddress(IPAddress(address)!, ourPort)), at: 0)
        h.expectNothingSent()
        #expect(h.stack.connectionCount == 0)
        #expect(h.drops(.broadcastDestination) == 1)
        #expect(h.drops(.notOurAddress) == 0)
        #expect(h.stack.statistics.invalidAddressSegments == 1)
    }

    @Test("an ordinary SYN still opens a connection")
    func ordinarySYN() {
        var h = Harness.listen(Self.configuration())
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0)
        #expect(h.takeSent().map(\.flags) == [[.syn, .ack]])
        #expect(h.stack.statistics.invalidAddressSegments == 0)
    }

    @Test("address classes", arguments: [
        ("0.0.0.0", true, false, false), ("::", true, false, false), ("224.0.0.0", false, true, false),
        ("239.255.255.255", false, true, false), ("223.255.255.255", false, false, false), ("240.0.0.1", false, false, false),
        ("ff00::", false, true, false), ("fe80::1", false, false, false), ("255.255.255.255", false, false, true),
        ("10.0.0.1", false, false, false),
    ])
    func classes(_ text: String, _ unspecified: Bool, _ multicast: Bool, _ broadcast: Bool) {
        let a = IPAddress(text)!
        #expect(a.isUnspecified == unspecified)
        #expect(a.isMulticast == multicast)
        #expect(a.isLimitedBroadcast == broadcast)
    }

    @Test("the counter is summed across engines")
    func sum() {
        var a = TCPStatistics(), b = TCPStatistics()
        a.invalidAddressSegments = 2
        b.invalidAddressSegments = 3
        a.add(b)
        #expect(a.invalidAddressSegments == 5)
    }
}
