import Testing
import TCPCore
import TCPSim

/// `SimulationArguments`: the options of `tcpkit simulate` read into a run, the replay command
/// that repeats them, and sweeps over seeds, without the binary.
@Suite struct SimulationArgumentsTests {
    @Test("the defaults: 1 MiB one way over 25 ms, no faults, the liveness bound 600 s; the replay names the seed, bytes and delay")
    func defaults() throws {
        let a = SimulationArguments()
        let o = try a.options(seed: 3)
        #expect(o.seed == 3 && o.bytes == 1 << 20 && !o.both && !o.ipv6)
        #expect(o.forward == LinkModel(delay: .milliseconds(25)) && o.reverse == o.forward)
        #expect(o.healAt == nil && o.livenessBound == .seconds(600) && o.faultRule == nil)
        #expect(a.replayCommand(seed: 3) == "tcpkit simulate --seed 3 --bytes 1MiB --delay 25ms")
        #expect(a.replayArguments(seed: 3) == ["simulate", "--seed", "3", "--bytes", "1MiB", "--delay", "25ms"])
    }

    @Test("every option reaches the run: the link, per-direction faults (later ones override), windows, phases and buffers")
    func optionsReachTheRun() throws {
        var a = SimulationArguments()
        a.bytes = "20K"
        a.both = true
        a.delay = "10ms"
        a.jitter = "0.002"
        a.bandwidth = "2M"
        a.queue = "64KiB"
        a.loss = ["5%", "s2c@10%"]
        a.duplicate = ["c2s@0.01"]
        a.faultsDuring = ["c2s@0.2s..0.6s"]
        a.blackhole = ["s2c@1s..2s"]
        a.partition = ["3..4"]
        a.healAt = "5"
        a.liveness = "300s"
        a.buffer = "64KiB"
        a.congestionControl = .newReno
        a.ipv6 = true
        let o = try a.options(seed: 9)
        #expect(o.bytes == 20_000 && o.both && o.ipv6 && o.configuration.congestionControl == .newReno)
        #expect(o.configuration.sendBufferBytes == 65536 && o.configuration.receiveBufferBytes == 65536)
        for link in [o.forward, o.reverse] {
            #expect(link.delay == .milliseconds(10) && link.jitter == .milliseconds(2))
            #expect(link.bandwidthBitsPerSecond == 2e6 && link.queue == .bytes(65536))
        }
        #expect(o.forward.loss == 0.05 && o.reverse.loss == 0.10)
        #expect(o.forward.duplicate == 0.01 && o.reverse.duplicate == 0)
        #expect(o.forward.faultsStart == .seconds(0.2) && o.forward.faultsEnd == .seconds(0.6) && o.reverse.faultsStart == nil)
        let partition = LinkModel.Outage(start: .seconds(3), end: .seconds(4))
        #expect(o.forward.outages == [partition])
        #expect(o.reverse.outages == [LinkModel.Outage(start: .seconds(1), end: .seconds(2)), partition])
        #expect(o.healAt == .seconds(5) && o.livenessBound == .seconds(300))
        // The replay repeats every option as given, times with their unit.
        #expect(a.replayCommand(seed: 9) == "tcpkit simulate --seed 9 --cc newreno --bytes 20K --both --delay 10ms --jitter 0.002s --bandwidth 2M --queue 64KiB --loss 5% --loss s2c@10% --duplicate c2s@0.01 --faults-during c2s@0.2s..0.6s --blackhole s2c@1s..2s --partition 3..4 --heal-at 5s --liveness 300s --buffer 64KiB --ipv6")
    }

    @Test("a bare number is seconds in every time: --delay 1 is one second (it used to be a millisecond)")
    func bareNumbersAreSeconds() throws {
        var a = SimulationArguments()
        a.delay = "1"
        a.jitter = "0.5"
        a.liveness = "60"
        let o = try a.options(seed: 1)
        #expect(o.forward.delay == .seconds(1) && o.forward.jitter == .milliseconds(500) && o.livenessBound == .seconds(60))
        #expect(a.replayCommand(seed: 1) == "tcpkit simulate --seed 1 --bytes 1MiB --delay 1s --jitter 0.5s --liveness 60s")
        // The default bound, however written, is not repeated.
        a.liveness = "600.0"
        #expect(!a.replayCommand(seed: 1).contains("--liveness"))
    }

    @Test("random faults: the seed chooses the link; options a seed would override are refused, by name")
    func randomFaults() throws {
        var a = SimulationArguments()
        a.faults = .random
        a.script = ["drop fin always"]
        a.json = true
        #expect(try a.options(seed: 4).forward == SimulationOptions.random(seed: 4).forward)
        #expect(try a.options(seed: 4).faultRule != nil)
        #expect(a.replayCommand(seed: 4) == "tcpkit simulate --seed 4 --faults random --script 'drop fin always' --format json")
        a.delay = "5ms"
        a.loss = ["5%"]
        #expect(a.overriddenByRandomFaults == ["--delay", "--loss"])
        #expect(throws: SimulationArguments.Error.overriddenByRandomFaults(["--delay", "--loss"])) { try a.check() }
        #expect(SimulationArguments.Error.overriddenByRandomFaults(["--delay", "--loss"]).description
                == "--faults random picks the transfer, link and faults from each seed; drop --delay, --loss (or use --faults given)")
    }

    @Test("what cannot be read is refused with the option's name, as the command prints it")
    func badArguments() {
        func message(_ change: (inout SimulationArguments) -> Void) -> String? {
            var a = SimulationArguments()
            change(&a)
            do { try a.check(); return nil } catch { return error.description }
        }
        #expect(message { $0.blackhole = ["up@1s..2s"] } == "--blackhole: 'up' is not a direction (c2s, s2c or both) in 'up@1s..2s'")
        #expect(message { $0.partition = ["3s..1s"] } == "--partition: the window '3s..1s' ends before it starts")
        #expect(message { $0.loss = ["s2c@2"] } == "--loss wants a probability in 0...1 (or 0%...100%), not '2'")
        #expect(message { $0.liveness = "0" } == "--liveness must be positive")
        #expect(message { $0.buffer = "1000" } == "--buffer must be at least 1024 bytes")
        #expect(message { $0.delay = "soon" } == "--delay: cannot read 'soon' as a time (e.g. 25ms, 0.1s)")
        #expect(message { $0.script = ["drop syn soon"] } == "--script: cannot read the script rule 'drop syn soon': unexpected 'soon'")
        #expect(message { $0.bytes = "20K" } == nil)
    }

    @Test("a sweep without the binary: every seed's run, in order, each with its replay command; failing seeds say why")
    func sweepReportsFailingSeeds() throws {
        var a = SimulationArguments()
        a.bytes = "1000"
        a.partition = ["0-100000"]
        a.liveness = "1000"
        var seen: [UInt64] = []
        let results = try Simulation.sweep(a, seeds: 3...4) { seen.append($0.seed) }
        #expect(seen == [3, 4] && results.map(\.seed) == [3, 4])
        for r in results {
            #expect(!r.passed && r.result.failures.contains("client: the transfer failed: connection timed out"))
            #expect(r.replay == "tcpkit simulate --seed \(r.seed) --bytes 1000 --delay 25ms --partition 0-100000 --liveness 1000s")
            #expect(r.failureLines == ["seed \(r.seed) FAILED: \(r.result.failures.joined(separator: "; "))", "  replay: \(r.replay)"])
            // The run its arguments describe is the run the sweep made.
            #expect(Simulation.run(try a.options(seed: r.seed)).json(options: r.options, replay: r.replay) == r.json)
        }
        #expect(SimulationSweep.summary(results) == ["0 passed, 2 failed", "failing seeds: 3 4"])
        #expect(SimulationSweep(a, seeds: 3...4).heading == "tcpkit simulate · seeds 3..4 · faults given")
    }

    @Test("a random sweep passes: each seed its own link and faults, every run intact and CLOSED")
    func randomSweepPasses() throws {
        var a = SimulationArguments()
        a.faults = .random
        let results = try Simulation.sweep(a, seeds: 1...5)
        #expect(results.count == 5 && results.allSatisfy(\.passed), "\(results.filter { !$0.passed }.map(\.failureLines))")
        #expect(SimulationSweep.summary(results) == ["5 passed, 0 failed"])
        #expect(Set(results.map { $0.options.forward }).count > 1, "each seed its own link")
    }
}
