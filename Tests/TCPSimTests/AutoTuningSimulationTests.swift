import Testing
import TCPCore
import TCPTrace
import TCPSim

/// Buffer auto-tuning in the simulator with the engine's default settings (no `--buffer`).
@Suite("Buffer auto-tuning in the simulator")
struct AutoTuningSimulationTests {
    static func options(bytes: Int, delay: Duration, bandwidth: Double, queue: Int?) -> SimulationOptions {
        var o = SimulationOptions()
        o.bytes = bytes
        var link = LinkModel(delay: delay)
        link.bandwidthBitsPerSecond = bandwidth
        link.queue = queue.map { .packets($0) }
        o.forward = link
        o.reverse = LinkModel(delay: delay)
        o.livenessBound = .seconds(3600)
        return o
    }

    @Test("200 Mbit/s, 200 ms RTT: the receiver's buffer doubles once per round trip from 256 KiB to the 6 MiB maximum, the advertised window with it; the sender's buffer grows, up to 4 MiB")
    func receiveWindowGrowsRoundByRound() throws {
        let rtt = Int64(200_000_000)
        var o = Self.options(bytes: 16 << 20, delay: .milliseconds(100), bandwidth: 200e6, queue: 5000)
        o.sampling = .every(.milliseconds(5))
        let r = Simulation.run(o)
        #expect(r.passed && r.directions[0].intact)
        let server = r.samples.filter { $0.host == "server" && $0.info.state == .established }
        // The buffer's sizes, and when each was reached.
        var steps: [(time: Instant, size: Int)] = []
        for s in server where s.info.receiveBufferBytes != steps.last?.size { steps.append((s.time, s.info.receiveBufferBytes)) }
        let sizes: [Int] = [256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20, 6 << 20]
        #expect(steps.map(\.size) == sizes)
        for (x, y) in zip(steps.dropFirst(), steps.dropFirst(2)) {
            let apart = y.time.nanoseconds - x.time.nanoseconds
            #expect(apart >= rtt * 9 / 10 && apart <= rtt * 3 / 2, "one step per round trip: \(x.time) -> \(y.time)")
        }
        // The largest window advertised in each round trip: it doubles from round to round once it
        // starts growing, until it reaches the maximum.
        var perRound: [Int] = []
        for s in server {
            let k = Int(s.time.nanoseconds / rtt)
            while perRound.count <= k { perRound.append(0) }
            perRound[k] = max(perRound[k], Int(s.info.receiveWindow))
        }
        let growing = try #require(perRound.firstIndex { $0 > 256 << 10 })
        let top = try #require(perRound.firstIndex { $0 > (6 << 20) - (64 << 10) })
        #expect(top - growing == 4, "512 KiB, 1, 2, 4, 6 MiB in successive rounds: \(perRound)")
        for k in growing..<top {
            let ratio = Double(perRound[k + 1]) / Double(perRound[k])
            #expect(ratio >= 1.4 && ratio <= 2.05, "round \(k) to \(k + 1): \(perRound[k]) -> \(perRound[k + 1])")
        }
        // The sender's buffer grew to hold what is in flight plus a window, within its maximum.
        let client = r.samples.filter { $0.host == "client" }
        let sendBuffer = client.map(\.info.sendBufferBytes).max() ?? 0
        #expect(sendBuffer > 256 << 10 && sendBuffer <= 4 << 20)
    }

    /// The path of `tcpkit simulate --delay 25ms --bandwidth 100M` (no queue limit).
    @Test("default settings on a 100 Mbit/s, 50 ms RTT path: goodput once slow start is over is at least 95 Mbit/s (256 KiB fixed buffers reach less than half)")
    func defaultsFillThePath() {
        var o = Self.options(bytes: 16 << 20, delay: .milliseconds(25), bandwidth: 100e6, queue: nil)
        let r = Simulation.run(o)
        #expect(r.passed && r.retransmittedSegments == 0)
        let steady = r.directions[0].steadyGoodputBitsPerSecond()
        #expect(steady >= 95e6, "steady goodput \(steady / 1e6) Mbit/s")
        o.configuration.sendBufferBytes = 256 << 10   // fixed, as --buffer 256KiB
        o.configuration.receiveBufferBytes = 256 << 10
        let fixed = Simulation.run(o).directions[0].steadyGoodputBitsPerSecond()
        #expect(fixed < 50e6, "fixed 256 KiB buffers: \(fixed / 1e6) Mbit/s")
    }
}
