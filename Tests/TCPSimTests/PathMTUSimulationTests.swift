import Testing
import TCPCore
import TCPSim
import TCPWire

/// A link whose path MTU (1280) is smaller than the hosts' (1500): with ICMP the sender learns
/// it at once (classic PMTUD, RFC 1191 / RFC 8201); without, the large packets vanish (a black
/// hole) and only packetization-layer PMTUD (RFC 4821) gets the data through; with that off too,
/// nothing gets through. Every run is bounded (`livenessBound`: 120 s of simulated time, 60 for the black hole).
@Suite struct PathMTUSimulationTests {
    static func options(icmp: Bool, probing: PathMTUProbing = .afterBlackHole, ipv6: Bool = false) -> SimulationOptions {
        var o = SimulationOptions()
        o.bytes = 1 << 20
        o.ipv6 = ipv6
        var link = LinkModel(delay: .milliseconds(20))
        link.bandwidthBitsPerSecond = 100e6
        link.pathMTU = 1280
        link.sendsPacketTooBig = icmp
        o.link = link
        o.configuration.pathMTUProbing = probing
        o.livenessBound = .seconds(120)   // TIME-WAIT (60 s) included
        return o
    }

    static func expectIntact(_ r: SimulationResult) {
        #expect(r.failures == [])
        #expect(r.intact)
        #expect(r.directions.allSatisfy { $0.delivered == $0.bytes && $0.endOfStream })
        #expect(r.finalStates == ["client": .closed, "server": .closed])
    }

    @Test("with ICMP: the first packet too big brings Fragmentation Needed / Packet Too Big, the MSS drops, the transfer completes intact",
          arguments: [false, true])
    func icmpDriven(ipv6: Bool) {
        let r = Simulation.run(Self.options(icmp: true, ipv6: ipv6))
        Self.expectIntact(r)
        let up = r.link["client→server"]!
        #expect(up.tooBig > 0 && up.packetTooBigSent == up.tooBig)
        let client = r.statistics["client"]!
        #expect(client.icmpReceived == up.packetTooBigSent)
        #expect(client.pathMTUReductions == 1)
        #expect(client.pathMTUBlackHoles == 0)
        // Recovered within about one round trip: no retransmission timeout.
        #expect(client.retransmissionTimeouts == 0)
    }

    @Test("without ICMP, probing on (the default): the black hole is detected and the transfer completes intact",
          arguments: [false, true])
    func probingRecovers(ipv6: Bool) {
        let r = Simulation.run(Self.options(icmp: false, ipv6: ipv6))
        Self.expectIntact(r)
        let up = r.link["client→server"]!
        #expect(up.tooBig > 0 && up.packetTooBigSent == 0)
        let client = r.statistics["client"]!
        #expect(client.icmpReceived == 0)
        #expect(client.pathMTUBlackHoles == 1)
        // IPv4: the base (1024) is below the path's size and the search goes up; IPv6: the base
        // is the 1280-byte minimum MTU (RFC 8200 §5), the path's size, and every probe is lost.
        if ipv6 { #expect(client.pathMTUProbesLost >= 1) } else { #expect(client.pathMTUProbesAcknowledged >= 1) }
        // The search ended just below the path's 1280 bytes (IPv4 40 / IPv6 60 header bytes and 12 of timestamps).
        let pathMSS = 1280 - (ipv6 ? 60 : 40) - 12
        #expect(r.finalInfo["client"].map { $0.sendMSS <= pathMSS && $0.sendMSS > pathMSS - 8 } == true)
    }

    @Test("without ICMP and probing off: a black hole; the data never gets through and the run fails within its bound")
    func blackHoleWithoutProbing() {
        var o = Self.options(icmp: false, probing: .off)
        o.livenessBound = .seconds(60)
        let r = Simulation.run(o)
        #expect(!r.intact)
        #expect(r.directions.allSatisfy { $0.delivered == 0 })
        #expect(!r.failures.isEmpty)
        #expect(r.endedAt <= .seconds(61))
        #expect(r.statistics["client"]!.pathMTUBlackHoles == 0)
        #expect(r.link["client→server"]!.tooBig > 0)
    }

    @Test("tcpkit simulate --path-mtu 1280 --no-icmp: read, checked and replayed")
    func arguments() throws {
        var a = SimulationArguments()
        a.pathMTU = "1280"
        a.icmp = false
        let o = try a.options(seed: 1)
        #expect(o.forward.pathMTU == 1280 && o.reverse.pathMTU == 1280)
        #expect(!o.forward.sendsPacketTooBig)
        #expect(a.replayCommand(seed: 1).hasSuffix("--path-mtu 1280 --no-icmp"))
        #expect(o.forward.summary.hasSuffix("path MTU 1280 (no ICMP)"))
        a.pathMTU = "20"
        #expect(throws: SimulationArguments.Error.value(.tooSmall(option: "--path-mtu", minimum: 68, unit: "bytes"))) { try a.check() }
        a.pathMTU = "big"
        #expect(throws: SimulationArguments.Error.self) { try a.check() }
        a.pathMTU = "1280"
        a.faults = .random
        #expect(throws: SimulationArguments.Error.overriddenByRandomFaults(["--path-mtu", "--no-icmp"])) { try a.check() }
    }
}
