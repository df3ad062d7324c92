import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPWire

/// Bulk transfers between two engines over the simulated link (issue 4, "What must be shown"),
/// the seeded sweep (issue 5), and `tcpkit simulate` end to end.
///
/// The full matrix — 64 MiB each way at once under 0, 1, 5 and 20% loss with duplication,
/// reordering and corruption, NewReno and CUBIC — runs here by default: about 8–13 s of CPU a run
/// in a debug build (65 s for all eight, measured with the debug `tcpkit simulate`).
/// `Scripts/bulk-matrix.sh` runs the same matrix with the release build and prints the figures.
@Suite struct SimulationTests {
    /// 10 Mbit/s, 20 ms one way, a 64-packet queue, and the faults of issue 4.
    static func options(loss: Double, bytes: Int, seed: UInt64 = 1, cc: CongestionControlAlgorithm = .cubic) -> SimulationOptions {
        var o = SimulationOptions()
        o.seed = seed
        o.configuration.congestionControl = cc
        o.bytes = bytes
        o.both = true
        var link = LinkModel(delay: .milliseconds(20))
        link.bandwidthBitsPerSecond = 10e6
        link.queue = .packets(64)
        link.loss = loss
        link.duplicate = 0.01
        link.reorder = 0.01
        link.corrupt = 0.01
        o.link = link
        o.livenessBound = .seconds(3600)
        return o
    }

    static func expectClean(_ r: SimulationResult, _ o: SimulationOptions) {
        #expect(r.failures == [], "replay: tcpkit simulate --seed \(o.seed) …")
        #expect(r.intact)
        #expect(r.directions.count == 2)
        for d in r.directions {
            #expect(d.delivered == d.bytes && d.endOfStream && d.firstMismatch == nil)
            #expect(d.sha256Sent == d.sha256Received && d.sha256Sent.count == 64)
        }
        #expect(r.finalStates == ["client": .closed, "server": .closed])
        #expect(r.connectionsLeft == ["client": 0, "server": 0])
    }

    /// What every bulk run must show: byte-exact both ways, both CLOSED, every fault fired, and
    /// every corrupted packet dropped as a checksum failure (none as malformed: the checksum is
    /// verified before the header is believed, RFC 9293 §3.1).
    static func expectBulk(_ r: SimulationResult, _ o: SimulationOptions, loss: Double) {
        expectClean(r, o)
        let faults = r.link["client→server"]! + r.link["server→client"]!
        #expect(faults.duplicated > 0 && faults.reordered > 0 && faults.corrupted > 0, "every fault happened")
        if loss > 0 {
            #expect(faults.lost > 0 && r.retransmittedSegments > 0)
        }
        #expect(r.statistics.values.map { $0.dropCount(.badChecksum) }.reduce(0, +) == faults.corrupted)
        #expect(r.statistics.values.map { $0.dropCount(.malformed) }.reduce(0, +) == 0)
    }

    @Test("1 MiB each way at once over a 10 Mbit/s link with a 64-packet queue, byte-exact and both CLOSED, under loss with duplication, reordering and corruption, NewReno and CUBIC",
          arguments: [CongestionControlAlgorithm.newReno, .cubic], [0.0, 0.01, 0.05, 0.2])
    func bulkBothWays(cc: CongestionControlAlgorithm, loss: Double) {
        let o = Self.options(loss: loss, bytes: 1 << 20, cc: cc)
        Self.expectBulk(Simulation.run(o), o, loss: loss)
    }

    /// Issue 4's matrix: 100 Mbit/s, 20 ms one way, a 1000-packet queue, 1% duplication, 1%
    /// reordering and 1% corruption on top of the loss.
    @Test("64 MiB each way at once, byte-exact (SHA-256) and both CLOSED, under 0/1/5/20% loss with duplication, reordering and corruption, NewReno and CUBIC",
          arguments: [CongestionControlAlgorithm.newReno, .cubic], [0.0, 0.01, 0.05, 0.2])
    func bulk64MiB(cc: CongestionControlAlgorithm, loss: Double) {
        var o = Self.options(loss: loss, bytes: 64 << 20, cc: cc)
        o.link.bandwidthBitsPerSecond = 100e6
        o.link.queue = .packets(1000)
        o.livenessBound = .seconds(100_000)
        let r = Simulation.run(o)
        Self.expectBulk(r, o, loss: loss)
        #expect(r.directions.map(\.bytes) == [64 << 20, 64 << 20])
    }

    // MARK: Efficiency against known limits (issue 4)

    /// 100 Mbit/s, 50 ms RTT, 1 MiB buffers (more than the 625 kB bandwidth-delay product, less
    /// than it plus the 1000-packet queue, so the queue never overflows), one way, no faults.
    static func efficiency(loss: Double, seed: UInt64, cc: CongestionControlAlgorithm, bytes: Int) -> SimulationOptions {
        var o = SimulationOptions()
        o.seed = seed
        o.bytes = bytes
        o.configuration.congestionControl = cc
        o.configuration.sendBufferBytes = 1 << 20
        o.configuration.receiveBufferBytes = 1 << 20
        var link = LinkModel(delay: .milliseconds(25))
        link.bandwidthBitsPerSecond = 100e6
        link.queue = .packets(1000)
        link.loss = loss
        o.forward = link
        o.reverse = LinkModel(delay: .milliseconds(25))   // ACKs are not lost
        o.livenessBound = .seconds(3600)
        return o
    }

    @Test("no loss: goodput once slow start is over is at least 95% of a 100 Mbit/s, 50 ms RTT link",
          arguments: [CongestionControlAlgorithm.newReno, .cubic])
    func efficiencyNoLoss(cc: CongestionControlAlgorithm) {
        let r = Simulation.run(Self.efficiency(loss: 0, seed: 1, cc: cc, bytes: 16 << 20))
        #expect(r.passed && r.retransmittedSegments == 0)
        let steady = r.directions[0].steadyGoodputBitsPerSecond()
        #expect(steady >= 95e6, "steady goodput \(steady / 1e6) Mbit/s")
    }

    /// 4 MiB one way at 1% loss (data only; ACKs are not lost), the engine's defaults (or SACK
    /// off), averaged over `seeds` (1–3 unless given).
    static func mathis(_ cc: CongestionControlAlgorithm, sack: Bool = true,
                       seeds: ClosedRange<UInt64> = 1...3) -> (goodput: Double, bound: Double) {
        let bound = 1460.0 * 8 / 0.050 * 1.22 / 0.01.squareRoot()
        var sum = 0.0
        for seed in seeds {
            var o = Self.efficiency(loss: 0.01, seed: seed, cc: cc, bytes: 4 << 20)
            o.configuration.sack = sack
            let r = Simulation.run(o)
            #expect(r.passed)
            sum += r.directions[0].goodputBitsPerSecond
        }
        return (sum / Double(seeds.count), bound)
    }

    @Test("1% random loss, CUBIC (the default): goodput at least Mathis et al.'s MSS/RTT·1.22/√p (2.85 Mbit/s for MSS 1460, RTT 50 ms), averaged over 3 seeds")
    func efficiencyMathisCubic() {
        let (goodput, bound) = Self.mathis(.cubic)
        print("Mathis, CUBIC: \(goodput / 1e6) Mbit/s (bound \(bound / 1e6))")
        #expect(goodput >= bound, "goodput \(goodput / 1e6) Mbit/s, Mathis \(bound / 1e6) Mbit/s")
    }

    /// NewReno fell short here (2.56 Mbit/s) for two engine faults, both fixed: a loss of the
    /// first segment past the last RecoveryPoint could not start recovery (SND.UNA had to pass
    /// RecoveryPoint by one more sequence number), so it waited for the 1 s RTO; and no new data
    /// went on the duplicate ACKs before recovery (RFC 6675 §5 (C) limited transmit), so every
    /// loss also drained the ACK clock. (SACKTests has both as packet traces.)
    ///
    /// Averaged over 40 seeds, not 3: since ssthresh leaves out what limited transmit sent past
    /// cwnd (RFC 5681 §3.2 step 2, which RFC 6675 §5 (4.2) repeats for SACK; Linux's Reno halves
    /// cwnd, the same), seeds 1–3 make 2.62 Mbit/s and single seeds range from 2.1 to 5.8, so three
    /// of them say more about where the random losses fell than about the algorithm.
    @Test("1% random loss, NewReno: goodput at least the Mathis estimate (2.85 Mbit/s), averaged over 40 seeds")
    func efficiencyMathisNewReno() {
        let (goodput, bound) = Self.mathis(.newReno, seeds: 1...40)
        print("Mathis, NewReno: \(goodput / 1e6) Mbit/s (bound \(bound / 1e6))")
        #expect(goodput >= bound, "goodput \(goodput / 1e6) Mbit/s, Mathis \(bound / 1e6) Mbit/s")
    }

    /// Without SACK, NewReno (RFC 6582) repairs one hole per round trip and finds a loss only
    /// by three duplicate ACKs (RFC 3042 limited transmit keeps them coming in a small window).
    /// The bound here is Mathis et al.'s with their constant for delayed ACKs (an ACK every
    /// b = 2 segments): √(3/(2b)) = 0.87 instead of 1.22, 2.03 Mbit/s.
    @Test("1% random loss, NewReno without SACK: goodput at least the Mathis estimate for delayed ACKs (2.03 Mbit/s), averaged over 3 seeds")
    func efficiencyMathisNewRenoNoSACK() {
        let (goodput, bound) = Self.mathis(.newReno, sack: false)
        let delayedACKBound = bound * (0.75).squareRoot() / 1.22
        print("Mathis, NewReno without SACK: \(goodput / 1e6) Mbit/s (bound with delayed ACKs \(delayedACKBound / 1e6))")
        #expect(goodput >= delayedACKBound, "goodput \(goodput / 1e6) Mbit/s, Mathis (b = 2) \(delayedACKBound / 1e6) Mbit/s")
    }

    @Test("one sampler: a run that records nothing still samples both connections when asked, into the result and the timeline")
    func samplingWithoutRecording() {
        var o = Self.options(loss: 0.02, bytes: 100_000)
        o.sampling = .every(.milliseconds(20))
        let sim = Simulation(o)
        let r = sim.run()
        #expect(r.passed)
        #expect(sim.network.timeline.entries.isEmpty, "nothing recorded")
        #expect(r.samples == sim.network.timeline.samples)
        #expect(Set(r.samples.map(\.host)) == ["client", "server"])
        let times = Set(r.samples.map(\.time)).sorted()
        #expect(times.count > 10 && zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= .milliseconds(20) })
        #expect(r.samples.contains { $0.host == "client" && $0.info.bytesRetransmitted > 0 }, "the losses show")
        o.sampling = .off
        #expect(Simulation.run(o).samples.isEmpty)
    }

    @Test("nothing leaks: a clean run leaves only the server's listener; the check finds a connection or a handle an application kept")
    func leakCheck() {
        var o = SimulationOptions()
        o.bytes = 10_000
        o.link = LinkModel(delay: .milliseconds(10))
        let sim = Simulation(o)
        let r = sim.run()
        #expect(r.passed && Simulation.leaks(in: sim.network) == [])
        var listenerOnly = StackResources()
        listenerOnly.listeners = 1
        #expect(r.resourcesLeft == ["client": StackResources(), "server": listenerOnly])

        // Applications that do not give their connections back: the server's stays ESTABLISHED
        // with its handle; the client's is reset (the server aborts a second one) and it keeps
        // the handle of the dead connection, and with it the buffers.
        let net = SimulatedNetwork(seed: 1)
        net.addHost("client", address: IPAddress("198.18.0.1")!)
        net.addHost("server", address: IPAddress("198.18.0.2")!)
        _ = try! net.listen("server", port: 80)
        var accepted = 0
        net.onEvent = { net, host, e in
            guard case .connectionAvailable(let l) = e else { return }
            while let c = try! net.withStack(host, { s, _ in try s.accept(l) }) {
                accepted += 1
                if accepted == 2 { try! net.withStack(host) { s, now in try s.abort(c, now: now) } }
            }
        }
        for port: UInt16 in [4000, 4001] {
            net.schedule(at: .zero) { net in
                _ = try! net.withStack("client") { s, now in try s.connect(to: SocketAddress(net.address(of: "server"), 80), localPort: port, now: now) }
            }
        }
        net.run()
        #expect(Simulation.leaks(in: net) == [
            "client: leak: the stack still holds 1 connections, 2 handles, 0 armed timers, 0 listeners, 0 queued for accept, 0 segments queued, 0 events pending at the end",
            "server: leak: the stack still holds 1 connections, 1 handles, 0 armed timers, 1 listeners, 0 queued for accept, 0 segments queued, 0 events pending at the end",
        ])
    }

    @Test("the same seed replays the same run; another seed gives another")
    func determinism() {
        let o = Self.options(loss: 0.05, bytes: 100_000)
        let a = Simulation.run(o), b = Simulation.run(o)
        #expect(a.endedAt == b.endedAt && a.link["client→server"] == b.link["client→server"])
        #expect(a.retransmittedSegments == b.retransmittedSegments)
        #expect(a.statistics == b.statistics)
        var o2 = o
        o2.seed = 2
        let c = Simulation.run(o2)
        #expect(c.link["client→server"] != a.link["client→server"])
        #expect(c.directions[0].sha256Sent != a.directions[0].sha256Sent, "the data comes from the seed too")
    }

    @Test("the sweep's seeds also choose fault windows and directions: random faults that start late, and ones on one direction only")
    func sweepChoosesWindowsAndDirections() {
        var late = 0, oneWay = 0
        for seed in UInt64(1)...300 {
            let o = SimulationOptions.random(seed: seed)
            #expect(o.forward.faultsStart == o.reverse.faultsStart)
            if let start = o.forward.faultsStart {
                late += 1
                #expect(start >= .zero && start <= o.healAt!, "seed \(seed): the window starts before the network heals")
            }
            if o.forward.hasRandomFaults != o.reverse.hasRandomFaults { oneWay += 1 }
        }
        // A third of the seeds each (drawn independently), give or take.
        #expect((70...130).contains(late), "\(late) of 300 with a late start")
        #expect((50...130).contains(oneWay), "\(oneWay) of 300 with faults one way only")
    }

    @Test("a bounded sweep: seeds 1...40 with random faults all pass")
    func sweep() {
        var failed: [UInt64] = []
        for seed in UInt64(1)...40 {
            let r = Simulation.run(.random(seed: seed))
            if !r.passed {
                failed.append(seed)
                Issue.record("seed \(seed): \(r.failures); replay: tcpkit simulate --seed \(seed) --faults random")
            }
        }
        #expect(failed == [])
    }

    /// The first sweep failed seeds 299 and 356 on this: the last ACK of the close is lost, and
    /// the peer's backed-off FIN retransmission arrives after the other side's TIME-WAIT has run
    /// out, so it is answered by a RST. A clear error after all data had arrived — a note, not a
    /// failure. (Later engine changes moved those seeds' timing; the script below pins the case.)
    @Test("a reset after all data arrived (the close's last ACK lost, TIME-WAIT over) is a note, not a failure")
    func resetAfterDataIsANote() {
        var o = SimulationOptions()
        o.bytes = 1000
        o.link = LinkModel(delay: .milliseconds(10))
        // The client's pure ACKs after 35 ms (the ACK of the server's FIN) are lost, and nothing
        // from the server gets through from 31 ms to 200 s: its FIN retransmissions arrive after
        // the client's TIME-WAIT (60 s) is over.
        o.faultRule = { p in p.from == "client" && p.segment.flags == .ack && p.segment.payloadLength == 0 && p.sentAt > .seconds(0.035) ? .drop("last ACK lost") : .deliver }
        o.reverse.outages = [.init(start: .seconds(0.031), end: .seconds(200))]
        let r = Simulation.run(o)
        #expect(r.failures == [])
        #expect(r.intact)
        #expect(r.errors["server"] == .connectionReset)
        #expect(r.notes == ["server: connection reset by peer after all data had arrived both ways (its FIN's ACK was lost and the peer's TIME-WAIT ran out first)"])
        #expect(r.connectionsLeft == ["client": 0, "server": 0])
        #expect(Simulation.run(.random(seed: 299)).failures == [])
        #expect(Simulation.run(.random(seed: 356)).failures == [])
    }

    /// Seed 1048 found an engine bug: after a partition, eight out-of-order ranges filled every
    /// reassembly slot and the in-order segment was thrown away on every retransmission until the
    /// sender timed out (ReassemblyFullTests has it as a packet trace; later engine changes moved
    /// this seed's timing so that it no longer reaches that state).
    @Test("pinned sweep seed 1048: a partition with a drop-tail queue, then a full reassembly table")
    func pinned1048() {
        let r = Simulation.run(.random(seed: 1048))
        #expect(r.failures == [])
        #expect(r.intact && r.notes == [])
    }

    /// The other seeds the sweep found (docs/simulator.md, "The sweep"): 2959 (Linux's
    /// 5 SYN,ACK retries gave up within a minute of heavy loss: the sweep now retries handshakes
    /// 10 times), 444 and 1413 (an RTT sample from a timestamp echoed off an old SYN, fixed in
    /// the engine). Each must pass, and its replay command must be the one printed.
    @Test("pinned sweep seeds 444, 1413, 2959", arguments: [UInt64(444), 1413, 2959])
    func pinnedSeeds(seed: UInt64) {
        let r = Simulation.run(.random(seed: seed))
        #expect(r.failures == [], "replay: tcpkit simulate --seed \(seed) --faults random")
        #expect(r.intact && r.connectionsLeft == ["client": 0, "server": 0])
    }

    @Test("liveness: a partition that never heals ends in a clear error (connect() times out), which fails the run")
    func partitionFails() {
        var o = SimulationOptions()
        o.bytes = 1000
        var link = LinkModel(delay: .milliseconds(10))
        link.outages = [.init(start: .zero, end: .seconds(100_000))]
        o.link = link
        o.livenessBound = .seconds(1000)
        let r = Simulation.run(o)
        #expect(!r.passed)
        #expect(r.errors["client"] == .timedOut)
        #expect(r.failures.contains("client: the transfer failed: connection timed out"))
        #expect(r.connectionsLeft == ["client": 0, "server": 0])
        // SYNs at 0, 1, 3, 7, 15, 31, 63, 123 s; connect() fails 60 s (the RTO cap) after the 7th
        // retry, past the 3 minutes RFC 9293 §3.8.3 (MUST-23) asks for.
        #expect(r.endedAt == .seconds(183))
    }

    @Test("safety then liveness: 40% loss, duplication, reordering and corruption each way until 30 s, then the network heals and the transfer finishes; the same run with a bound too short is a hang, reported with each side's state")
    func safetyThenLiveness() {
        var o = SimulationOptions()
        o.bytes = 200_000
        o.both = true
        var link = LinkModel(delay: .milliseconds(10))
        (link.loss, link.duplicate, link.reorder, link.corrupt) = (0.4, 0.05, 0.05, 0.05)
        o.link = link
        o.healAt = .seconds(30)
        o.livenessBound = .seconds(600)
        // Handshakes must outlast 30 s of 40% loss (as in the sweep).
        o.configuration.synRetries = 10
        o.configuration.synAckRetries = 10
        let r = Simulation.run(o)
        Self.expectClean(r, o)
        let up = r.link["client→server"]!
        #expect(up.lost > 0 && up.corrupted > 0, "faults in the safety phase")
        #expect(r.completedAt! > .seconds(30), "still going when the network healed")
        #expect(r.endedAt <= .seconds(630))

        // The bound: 1 s after healing, nothing is over.
        o.livenessBound = .seconds(1)
        let hung = Simulation.run(o)
        #expect(!hung.passed)
        // Each side is reported: its application not finished by the bound, or (an application
        // that had written and read everything and closed) its connection short of CLOSED.
        #expect(hung.failures.contains { $0.contains(": not finished by the liveness bound at 31.000 s (the last event was at ") }, "\(hung.failures)")
        for side in ["client", "server"] {
            #expect(hung.failures.contains { $0.hasPrefix("\(side): not finished by the liveness bound at 31.000 s (the last event was at ")
                || ($0.hasPrefix("\(side): connection in ") && $0.hasSuffix(" at the end, not CLOSED")) }, "\(side): \(hung.failures)")
        }
    }

    @Test("liveness: a blackhole during the safety phase heals, and the transfer still finishes")
    func blackholeHeals() {
        var o = Self.options(loss: 0.01, bytes: 200_000)
        o.forward.outages = [.init(start: .seconds(0.3), end: .seconds(20))]
        o.healAt = .seconds(20)
        o.livenessBound = .seconds(300)
        let r = Simulation.run(o)
        Self.expectClean(r, o)
        #expect(r.link["client→server"]!.blackholed > 0)
        #expect(r.completedAt! > .seconds(20))
    }

    @Test("healing ends blackholes: one that would never end stops at healAt, in the direction it was given; without healing the run fails")
    func healingEndsABlackhole() {
        var o = SimulationOptions()
        o.bytes = 50_000
        o.both = true
        o.link = LinkModel(delay: .milliseconds(10))
        o.reverse.outages = [.init(start: .seconds(0.02), end: .forever)]   // server → client only
        o.livenessBound = .seconds(400)
        let never = Simulation.run(o)
        #expect(!never.passed && never.link["client→server"]!.blackholed == 0)
        o.healAt = .seconds(5)
        let healed = Simulation(o)
        let r = healed.run()
        Self.expectClean(r, o)
        #expect(r.link["client→server"]!.blackholed == 0 && r.link["server→client"]!.blackholed > 0)
        #expect((r.completedAt ?? .zero) > .seconds(5), "nothing got back to the client before the network healed")
        #expect(r.text(options: o, replay: "").contains("every fault until 5.000 s"))
    }
}
