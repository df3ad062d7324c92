// Initial sequence numbers, RFC 6528 §3 (and RFC 9293 §3.4.1):
//   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
// with M a timer ticking every 4 µs and F a keyed hash (SipHash-2-4 here) under a secret drawn from
// the generator the stack is given. Not "usually 1": Wireshark's relative numbers start at 0.

import Testing
import TCPWire
import TCPCore

@Suite("ISN (RFC 6528)")
struct ISNTests {
    /// The ISN of a connection from `local` to `remote` opened at `t` on a stack made from `seed`.
    static func isn(seed: UInt64, at t: Instant = .zero, localPort: UInt16 = ourPort,
                    remote: SocketAddress = SocketAddress(peerIP, peerPort)) -> SequenceNumber {
        var rng = SplitMix64(seed: seed)
        var stack = TCPStack(addresses: [ourIP, ourIP6], random: &rng, secrets: .seeded)
        _ = try! stack.connect(to: remote, localPort: localPort, now: t)
        var buffer = [UInt8](repeating: 0, count: 1500)
        let n = buffer.withUnsafeMutableBytes { stack.pollTransmit(now: t, into: $0) }!
        let syn = buffer.withUnsafeBytes { parseSent(UnsafeRawBufferPointer(rebasing: $0[0..<n]), time: t) }
        #expect(syn.seg.flags == .syn)
        return syn.seg.seq
    }

    @Test("the same seed gives the same ISN")
    func sameSeed() {
        #expect(Self.isn(seed: 42) == Self.isn(seed: 42))
        #expect(Self.isn(seed: 7, at: seconds(3)) == Self.isn(seed: 7, at: seconds(3)))
    }

    @Test("different seeds (secret keys) give different ISNs")
    func differentSeeds() {
        let isns = Set((1...20).map { Self.isn(seed: UInt64($0)) })
        #expect(isns.count == 20)
    }

    @Test("for one 4-tuple the ISN grows with time at 1 per 4 µs", arguments: [
        (0.000_004, 1), (0.004, 1000), (1.0, 250_000), (100.0, 25_000_000),
    ])
    func clock(_ dt: Double, _ ticks: Int) {
        let start = Self.isn(seed: 3, at: seconds(10))
        let later = Self.isn(seed: 3, at: seconds(10 + dt))
        #expect(later - start == Int32(ticks))
    }

    @Test("the clock wraps modulo 2^32 (after 4.77 hours)")
    func clockWraps() {
        let period = 4e-6 * 4_294_967_296   // 17179.869184 s
        #expect(Self.isn(seed: 3, at: seconds(5)) == Self.isn(seed: 3, at: seconds(5 + period)))
    }

    @Test("different 4-tuples at the same moment get unrelated ISNs")
    func fourTuples() {
        let remotes = [
            SocketAddress(peerIP, peerPort), SocketAddress(peerIP, peerPort + 1),
            SocketAddress(.v4(IPv4Address(10, 0, 0, 3)), peerPort), SocketAddress(peerIP, 443),
        ]
        var isns = remotes.map { Self.isn(seed: 9, remote: $0) }
        isns.append(Self.isn(seed: 9, localPort: ourPort + 1))
        #expect(Set(isns).count == isns.count)
        // Not just offset by the port difference: the hash mixes everything.
        #expect(isns[1] - isns[0] != 1 && isns[1] - isns[0] != -1)
    }

    @Test("the ISN is not a small number like 0 or 1")
    func notSmall() {
        for seed in UInt64(1)...10 {
            #expect(Self.isn(seed: seed).rawValue > 1000)
        }
    }

    @Test("the passive side's ISN comes from the same function (the SYN-ACK)")
    func passiveISN() {
        let a = Harness.synReceived(), b = Harness.synReceived()
        #expect(a.iss == b.iss)                             // same seed, 4-tuple and time
        var later = Harness.listen()
        later.send(Seg(.syn, seq: later.irs), at: 0.004)
        #expect(later.takeSent().first?.seq == a.iss + 1000)   // 4 ms later: 1000 ticks
        var otherSeed = Harness(configuration: Harness.configuration(), seed: 2)
        otherSeed.listener = try! otherSeed.stack.listen(port: ourPort)
        otherSeed.send(Seg(.syn, seq: otherSeed.irs), at: 0)
        #expect(otherSeed.takeSent().first?.seq != a.iss)
    }
}
