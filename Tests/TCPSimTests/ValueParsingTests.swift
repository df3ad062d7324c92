import Testing
import TCPCore
import TCPSim

/// The values the command line writes as text (times, rates, sizes, probabilities, queues, fault
/// windows and directions), read by the types themselves; what cannot be read is a typed error
/// whose message names the option, as `tcpkit` prints it.
@Suite struct ValueParsingTests {
    /// The message of the error `body` throws (nil: it did not throw).
    static func message<T>(_ body: () throws(ValueParseError) -> T) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.description
        }
    }

    @Test("times take a unit (ns, us, µs, ms, s); a bare number is seconds")
    func times() throws {
        #expect(try Duration(parsing: "25ms") == .milliseconds(25))
        #expect(try Duration(parsing: "0.1s") == .milliseconds(100))
        #expect(try Duration(parsing: "500us") == .microseconds(500))
        #expect(try Duration(parsing: "500µs") == .microseconds(500))
        #expect(try Duration(parsing: "250ns") == .nanoseconds(250))
        #expect(try Duration(parsing: "2") == .seconds(2), "a bare number is seconds")
        #expect(try Duration(parsing: "0.025") == .milliseconds(25))
        #expect(try Duration(parsing: "0") == .zero)
        for bad in ["", "ms", "soon", "-1", "-5ms", "25 ms", "inf", "nan", "1e30s", "10m"] {
            #expect(Self.message { () throws(ValueParseError) in try Duration(parsing: bad, option: "--delay") }
                    == "--delay: cannot read '\(bad)' as a time (e.g. 25ms, 0.1s)", "\(bad)")
        }
        #expect(Duration.withUnit("5") == "5s" && Duration.withUnit("0.5") == "0.5s" && Duration.withUnit("10ms") == "10ms")
        #expect(try Instant(parsing: "1.5s") == .seconds(1.5))
        #expect(try Instant(parsing: "2") == .seconds(2))
        #expect(Self.message { () throws(ValueParseError) in try Instant(parsing: "x", option: "--heal-at") }
                == "--heal-at: cannot read 'x' as a time (e.g. 1.5s, 250ms, or 2 for 2 s)")
    }

    @Test func probabilities() throws {
        #expect(try Probability(parsing: "0.05").value == 0.05)
        #expect(try Probability(parsing: "5%").value == 0.05)
        #expect(try Probability(parsing: "100%").value == 1)
        #expect(try Probability(parsing: "0").value == 0)
        #expect(Probability(1.5) == nil && Probability(.nan) == nil && Probability(0.5)?.value == 0.5)
        for bad in ["2", "101%", "-0.1", "-1%", "x", "%", "", "nan", "inf"] {
            #expect(Self.message { () throws(ValueParseError) in try Probability(parsing: bad, option: "--loss") }
                    == "--loss wants a probability in 0...1 (or 0%...100%), not '\(bad)'", "\(bad)")
        }
    }

    @Test func rates() throws {
        for (text, bits) in [("100M", 100e6), ("1.5G", 1.5e9), ("64k", 64e3), ("64K", 64e3), ("100Mbit", 100e6),
                             ("100Mbit/s", 100e6), ("2Mbps", 2e6), ("1000000", 1e6)] {
            #expect(try Rate(parsing: text).bitsPerSecond == bits, "\(text)")
        }
        for bad in ["0", "-1M", "fast", "M", "", "inf", "100T"] {
            #expect(Self.message { () throws(ValueParseError) in try Rate(parsing: bad) }
                    == "--bandwidth: cannot read '\(bad)' (e.g. 100M for 100 Mbit/s)", "\(bad)")
        }
    }

    @Test func sizes() throws {
        for (text, bytes) in [("64MiB", 64 << 20), ("1.5KiB", 1536), ("1GiB", 1 << 30), ("20K", 20_000), ("20k", 20_000),
                              ("1M", 1_000_000), ("1G", 1_000_000_000), ("150000B", 150_000), ("1000", 1000), ("0", 0)] {
            #expect(try ByteCount(parsing: text).bytes == bytes, "\(text)")
        }
        for bad in ["-1", "lots", "KiB", "1e30K", "1.5", ""] {
            #expect(Self.message { () throws(ValueParseError) in try ByteCount(parsing: bad, option: "--bytes") }
                    == "--bytes: cannot read '\(bad)' as a size (e.g. 64MiB)", "\(bad)")
        }
    }

    @Test("queues: packets (100, 100p) or bytes; zero is refused")
    func queues() throws {
        #expect(try LinkModel.QueueLimit(parsing: "100") == .packets(100))
        #expect(try LinkModel.QueueLimit(parsing: "100p") == .packets(100))
        #expect(try LinkModel.QueueLimit(parsing: "64KiB") == .bytes(65536))
        #expect(try LinkModel.QueueLimit(parsing: "150000B") == .bytes(150_000))
        #expect(Self.message { () throws(ValueParseError) in try LinkModel.QueueLimit(parsing: "0") } == "--queue must be positive")
        #expect(Self.message { () throws(ValueParseError) in try LinkModel.QueueLimit(parsing: "0B") } == "--queue must be positive")
        #expect(Self.message { () throws(ValueParseError) in try LinkModel.QueueLimit(parsing: "deep") }
                == "--queue: cannot read 'deep' as a size (e.g. 64MiB)")
    }

    @Test("windows: START..END, bare numbers in seconds, an open end for ever, the older 2-5")
    func windows() throws {
        #expect(try LinkModel.Outage(parsing: "1s..3s") == LinkModel.Outage(start: .seconds(1), end: .seconds(3)))
        #expect(try LinkModel.Outage(parsing: "2..5") == LinkModel.Outage(start: .seconds(2), end: .seconds(5)))
        #expect(try LinkModel.Outage(parsing: "250ms..1") == LinkModel.Outage(start: .seconds(0.25), end: .seconds(1)))
        #expect(try LinkModel.Outage(parsing: "10s..") == LinkModel.Outage(start: .seconds(10), end: .forever))
        #expect(try LinkModel.Outage(parsing: "2-5") == LinkModel.Outage(start: .seconds(2), end: .seconds(5)))
        let m = { (s: String) in Self.message { () throws(ValueParseError) in try LinkModel.Outage(parsing: s, option: "--partition") } }
        #expect(m("soon") == "--partition wants START..END (e.g. 1s..3s, or 10s.. for ever), not 'soon'")
        #expect(m("3s..1s") == "--partition: the window '3s..1s' ends before it starts")
        #expect(m("1s..1s") == "--partition: the window '1s..1s' ends before it starts")
        #expect(m("x..2s") == "--partition: cannot read 'x' as a time (e.g. 1.5s, 250ms, or 2 for 2 s)")
        #expect(m("..2s") == "--partition: cannot read '' as a time (e.g. 1.5s, 250ms, or 2 for 2 s)")
    }

    @Test func directions() throws {
        #expect(try LinkModel.Direction.split("s2c@5%", default: .both, option: "--loss") == (.s2c, "5%"))
        #expect(try LinkModel.Direction.split("both@1s..2s", default: .c2s, option: "--blackhole") == (.both, "1s..2s"))
        #expect(try LinkModel.Direction.split("5%", default: .both, option: "--loss") == (.both, "5%"))
        #expect(Self.message { () throws(ValueParseError) in try LinkModel.Direction.split("up@1s..2s", default: .c2s, option: "--blackhole") }
                == "--blackhole: 'up' is not a direction (c2s, s2c or both) in 'up@1s..2s'")
    }

    @Test func seedRanges() throws {
        #expect(try SimulationSweep.seeds(parsing: "1..1000") == 1...1000)
        #expect(try SimulationSweep.seeds(parsing: "7..7") == 7...7)
        for bad in ["5..1", "1-5", "1..", "..5", "a..b", "1...5x", "1.5"] {
            #expect(Self.message { () throws(ValueParseError) in try SimulationSweep.seeds(parsing: bad) } == "--seeds wants A..B, e.g. 1..1000", "\(bad)")
        }
    }
}
