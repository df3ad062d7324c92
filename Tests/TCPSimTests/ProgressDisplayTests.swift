import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim

/// The progress bar of long simulations.
@Suite struct ProgressDisplayTests {
    /// Collects what a display writes.
    final class Sink: @unchecked Sendable {
        var text: [String] = []
        func write(_ s: String) { text.append(s) }
    }

    @Test func lineShowsTimeBytesAndRate() {
        #expect(ProgressDisplay.line(simulatedTime: .seconds(12.4), bytes: 5_000_000, totalBytes: 10_000_000)
            == "[##########··········]  50%  t=12.400 s  5.00 MB of 10.00 MB  3.23 Mbit/s")
        #expect(ProgressDisplay.line(simulatedTime: .seconds(2), bytes: 999, totalBytes: nil) == "t=2.000 s  999 B  4.00 kbit/s")
        #expect(ProgressDisplay.line(simulatedTime: .zero, bytes: 0, totalBytes: 1000, barWidth: 4) == "[····]   0%  t=0.000 s  0 B of 1.00 kB  – bit/s")
        // More than the total (retransmitted copies count again) stays a full bar.
        #expect(ProgressDisplay.line(simulatedTime: .seconds(1), bytes: 1500, totalBytes: 1000, barWidth: 4).hasPrefix("[####] 100%"))
        #expect(ProgressDisplay.byteCount(1_234_567_890) == "1.23 GB")
        #expect(ProgressDisplay.bitRate(999) == "999 bit/s")
        #expect(ProgressDisplay.bitRate(2.5e9) == "2.50 Gbit/s")
    }

    @Test func disabledWritesNothing() {
        let sink = Sink()
        let p = ProgressDisplay(enabled: false, write: sink.write)
        p.minimumInterval = .zero
        p.update(simulatedTime: .seconds(1), bytes: 10, totalBytes: 100)
        p.finish()
        #expect(sink.text.isEmpty)
    }

    @Test func enabledRedrawsInPlaceAndErasesAtTheEnd() {
        let sink = Sink()
        let p = ProgressDisplay(enabled: true, write: sink.write)
        p.finish()
        #expect(sink.text.isEmpty, "nothing to erase before the first redraw")
        p.minimumInterval = .zero
        p.update(simulatedTime: .seconds(1), bytes: 10, totalBytes: 100)
        p.update(simulatedTime: .seconds(2), bytes: 20, totalBytes: 100)
        #expect(sink.text.count == 2)
        #expect(sink.text.allSatisfy { $0.hasPrefix("\r\u{1B}[2K[") && !$0.contains("\n") })
        #expect(sink.text[1].hasSuffix("t=2.000 s  20 B of 100 B  80 bit/s"))
        p.finish()
        #expect(sink.text.last == "\r\u{1B}[2K")
        // Throttled by wall-clock time.
        p.minimumInterval = .seconds(3600)
        p.update(simulatedTime: .seconds(3), bytes: 30, totalBytes: 100)
        p.update(simulatedTime: .seconds(4), bytes: 40, totalBytes: 100)
        #expect(sink.text.count == 3)
    }

    @Test func attachedToARun() {
        // Standard error of the tests is not what decides here: the display is told it is on.
        let sink = Sink()
        let p = ProgressDisplay(enabled: true, write: sink.write)
        p.minimumInterval = .zero
        let net = SimulatedNetwork(seed: 1)
        var turns = 0
        net.onTurn = { _ in turns += 1 }
        p.attach(to: net, totalBytes: 1000)
        // 200 turns of nothing but scheduled actions.
        for k in 0..<200 { net.schedule(at: .seconds(Double(k) / 100)) { _ in } }
        net.run()
        p.finish()
        #expect(turns >= 200, "the hook that was there before still runs")
        #expect(sink.text.count == turns / 64 + 1, "a redraw every 64 turns, and the erase")
        #expect(sink.text.dropLast().last?.contains("0 B of 1.00 kB") == true)
    }

    @Test func offWhenStandardErrorIsNotATerminal() throws {
        // Under `swift test` in CI standard error is a pipe or a file; a terminal only when a person
        // runs the tests by hand, where this test has nothing to check.
        guard isatty(2) == 0 else { return }
        #expect(!ProgressDisplay.standardErrorIsTerminal)
        #expect(!ProgressDisplay().enabled)
    }
}
