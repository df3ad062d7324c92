import Synchronization
import TCPCore
import TCPTrace
#if canImport(Glibc)
import Glibc
#endif

/// Where a `TunSession`'s trace and capture go: the ladder to standard error, row by row; the
/// pcap file record by record (written from the stack's loop, flushed at the end).
final class TunOutput: Sendable {
    private struct State: ~Copyable {
        var ladder: LiveLadder?
        /// Our side's records as entries: the peer is on a real network.
        var recorder: TimelineRecorder
        var pcap: UnsafeMutablePointer<FILE>?
        var record: [UInt8] = []
    }
    private let state: Mutex<State>
    let local: String

    /// - Parameters:
    ///   - trace: draw the ladder (its heading now, on standard error).
    ///   - pcap: the capture file to create (nil: none).
    ///   - local: our side's name in the ladder; `labels`: its label (our address).
    ///   - width: the columns the ladder fits (nil: its full width).
    /// - Throws: `TunSession.OpenError.pcap` when the file cannot be created.
    init(trace: Bool, pcap: String?, local: String, labels: String, width: Int? = nil) throws(TunSession.OpenError) {
        self.local = local
        var s = State(recorder: TimelineRecorder(timeline: Timeline(hosts: [local, "peer"]), segments: .live(peer: "peer")))
        if trace {
            let color = isatty(2) == 1 && getenv("NO_COLOR") == nil
            let ladder = LiveLadder(hosts: [local, "peer"], labels: [local: labels], color: color, width: width)
            FileOutput.standardError.write(ladder.heading())
            s.ladder = ladder
        }
        if let pcap {
            guard let f = fopen(pcap, "wb") else { throw .pcap(path: pcap) }
            var header: [UInt8] = []
            PcapWriter.appendFileHeader(to: &header)
            fwrite(header, 1, header.count, f)
            s.pcap = f
        }
        state = Mutex(s)
    }

    /// One engine trace record as ladder rows: our segments, state changes, drops and timers on
    /// our side; a segment we received as the peer's arrow, landing when it arrived
    /// (`TimelineRecorder.Segments.live`). Nothing is kept: the rows are drawn and forgotten.
    func trace(_ r: TraceRecord) {
        let text: String = state.withLock { s in
            guard s.ladder != nil, let e = s.recorder.entry(for: r, host: local) else { return "" }
            return s.ladder!.rows(for: e)
        }
        if !text.isEmpty { FileOutput.standardError.write(text) }
    }

    /// One packet through the device, stamped with the wall clock.
    func capture(_ packet: UnsafeRawBufferPointer) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let t = Instant(nanoseconds: Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
        state.withLock { s in
            guard let f = s.pcap else { return }
            s.record.removeAll(keepingCapacity: true)
            PcapWriter.appendRecord(time: t, bytes: packet, to: &s.record)
            fwrite(s.record, 1, s.record.count, f)
        }
    }

    func close() {
        state.withLock { s in
            if let f = s.pcap { fclose(f) }
            s.pcap = nil
        }
    }
}
